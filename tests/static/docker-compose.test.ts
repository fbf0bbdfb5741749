import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../platform/config';

interface Service {
  image?: string;
  deploy?: { replicas?: number };
  profiles?: string[];
  restart?: string;
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
    name === 'QD_PG_PASSWORD' || name === 'QD_REDIS_PASSWORD' ? 'sample' : `<${name}>`,
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

  it('publishes only the terminal and the API; the Temporal UI and Prometheus on loopback; nothing else leaves the network', () => {
    expect(services.web?.ports).toEqual(['3001:3001']);
    expect(services.api?.ports).toEqual(['3002:3002']);
    expect(services['temporal-ui']?.ports).toEqual(['127.0.0.1:8233:8080']);
    expect(services.prometheus?.ports).toEqual(['127.0.0.1:9090:9090']);
    const published = Object.entries(services)
      .filter(([, s]) => s.ports?.length)
      .map(([name]) => name);
    expect(published.sort()).toEqual(['api', 'prometheus', 'temporal-ui', 'web']);
  });

  it('runs Prometheus on the rules npm start evaluates, and Alertmanager with the webhook token as a secret', () => {
    const volumes = (services.prometheus as { volumes?: string[] } | undefined)?.volumes ?? [];
    expect(volumes).toContain('./monitoring/rules:/etc/prometheus/rules:ro');
    expect((services.alertmanager as { secrets?: string[] } | undefined)?.secrets).toEqual(['alert-webhook-token']);
    for (const name of ['worker', 'api', 'risk-monitor', 'price-feed'])
      expect(loadConfig(envOf(name)).metrics.host, name).toBe('0.0.0.0');
  });

  it('requires a password for Redis, which every app passes', () => {
    const command = services.redis?.command ?? [];
    expect(command[command.indexOf('--requirepass') + 1]).toBe('${QD_REDIS_PASSWORD:?set QD_REDIS_PASSWORD}');
    for (const name of ['worker', 'api', 'setup', 'risk-monitor', 'price-feed'])
      expect(new URL(loadConfig(envOf(name)).redis.url).password, name).toBe('sample');
  });

  it('runs two risk monitors', () => {
    expect(services['risk-monitor']?.deploy?.replicas).toBe(2);
  });

  it('restarts every long-running service, and runs the localnet only in the dev profile', () => {
    for (const [name, service] of Object.entries(services))
      expect(service.restart, name).toBe(name === 'setup' ? 'on-failure' : 'unless-stopped');
    expect(services.localnet?.profiles).toEqual(['dev']);
    // No service depends on the localnet (a real cluster replaces it): they restart until the chain answers.
    for (const name of Object.keys(services)) expect(dependsOn(name), name).not.toContain('localnet');
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

  it('serves the localnet to the compose network with the ports the apps use', () => {
    const command = services.localnet?.command ?? [];
    expect(command).toEqual(
      expect.arrayContaining(['--host', '0.0.0.0', '--rpc-ports', '8899,8901,8903', '--control-port', '8890']),
    );
    expect(services.localnet?.ports).toBeUndefined();
  });

  it('lets the API listen beyond loopback and the web app reach it', () => {
    expect(loadConfig(envOf('api')).api.host).toBe('0.0.0.0');
    expect(envOf('web').QD_API_URL).toBe('http://api:3002');
  });

  it('starts the app only after setup has migrated and registered search attributes', () => {
    expect(services.setup?.command).toEqual(['npx', 'tsx', 'scripts/setup.ts']);
    for (const name of ['worker', 'api']) expect(dependsOn(name)).toContain('setup');
  });

  it('keeps the database and Redis passwords out of the file', () => {
    const text = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    expect(text).toMatch(/\$\{QD_PG_PASSWORD:\?/);
    expect(text).toMatch(/\$\{QD_REDIS_PASSWORD:\?/);
    expect(text).not.toMatch(/POSTGRES_PASSWORD:\s*[^$\s]/);
  });
});
