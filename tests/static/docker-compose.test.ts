import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../platform/config';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, unknown>;
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

/** Substitutes ${VAR:?msg} / ${VAR:-default} as docker compose would, with a sample password. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::[?-]([^}]*))?\}/g, (_m, name: string) =>
    name === 'QD_PG_PASSWORD' ? 'sample' : `<${name}>`,
  );
}

const envOf = (name: string) =>
  Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
const dependsOn = (name: string) => {
  const d = services[name]?.depends_on ?? [];
  return Array.isArray(d) ? d : Object.keys(d);
};

describe('docker-compose.yml describes the same system', () => {
  it('has every service of the platform', () => {
    for (const name of [
      'temporal',
      'temporal-ui',
      'postgres',
      'redis',
      'worker',
      'api',
      'web',
      'localnet',
      'price-feed',
      'risk-monitor',
    ]) {
      expect(services[name], name).toBeDefined();
    }
  });

  it('publishes the documented ports', () => {
    expect(services.web?.ports).toContain('3001:3001');
    expect(services.api?.ports).toContain('3002:3002');
    expect(services.temporal?.ports).toContain('7233:7233');
    expect(services['temporal-ui']?.ports).toContain('8233:8080');
    expect(services.postgres?.ports).toContain('5432:5432');
    expect(services.redis?.ports).toContain('6379:6379');
  });

  it('runs Temporal on Postgres persistence', () => {
    expect(envOf('temporal')).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    expect(dependsOn('temporal')).toContain('postgres');
    expect(envOf('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it.each(['worker', 'api', 'setup'])(
    'wires %s to the compose services with a configuration loadConfig accepts',
    (name) => {
      const env = envOf(name);
      const config = loadConfig(env);
      expect(new URL(config.postgres.url).hostname).toBe('postgres');
      expect(new URL(config.redis.url).hostname).toBe('redis');
      expect(config.temporal.address).toBe('temporal:7233');
      expect(config.solana.rpcUrls.map((u) => new URL(u).host)).toEqual([
        'localnet:8899',
        'localnet:8901',
        'localnet:8903',
      ]);
      for (const key of Object.keys(env)) expect(key).toMatch(/^QD_/);
    },
  );

  it('serves the localnet on every interface with the ports the apps use', () => {
    const command = services.localnet?.command ?? [];
    expect(command).toEqual(
      expect.arrayContaining(['--host', '0.0.0.0', '--rpc-ports', '8899,8901,8903', '--control-port', '8890']),
    );
    expect(services.localnet?.ports).toEqual(expect.arrayContaining(['8899-8904:8899-8904', '8890:8890']));
  });

  it('lets the API listen beyond loopback and the web app reach it', () => {
    expect(loadConfig(envOf('api')).api.host).toBe('0.0.0.0');
    expect(envOf('web').QD_API_URL).toBe('http://api:3002');
  });

  it('starts the app only after setup has migrated and registered search attributes', () => {
    expect(services.setup?.command).toEqual(['npx', 'tsx', 'scripts/setup.ts']);
    for (const name of ['worker', 'api']) expect(dependsOn(name)).toContain('setup');
  });

  it('keeps the database password out of the file', () => {
    const text = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    expect(text).toMatch(/\$\{QD_PG_PASSWORD:\?/);
    expect(text).not.toMatch(/POSTGRES_PASSWORD:\s*[^$\s]/);
  });
});
