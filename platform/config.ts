import { z } from 'zod';

/**
 * Every setting is a QD_* environment variable with a default that works with `npm start` on one
 * machine. loadConfig validates all of them at once and names each bad variable.
 */
const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

/** A comma-separated list, items trimmed, empty items dropped. */
const commaList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const wallets = z
  .string()
  .default('')
  .transform(commaList)
  .pipe(z.array(z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, 'base58 wallet addresses, comma-separated')));

const envSchema = z.object({
  QD_ENV: z.enum(['development', 'test', 'production']).default('development'),
  QD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  QD_API_PORT: port.default(3002),
  QD_API_HOST: z.string().min(1).default('127.0.0.1'),
  QD_WEB_PORT: port.default(3001),
  QD_PG_URL: url(['postgres:', 'postgresql:']).default('postgres://quantdesk@127.0.0.1:5432/quantdesk'),
  QD_REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  QD_TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233')
    .default('127.0.0.1:7233'),
  QD_TEMPORAL_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{2,255}$/, 'must be a Temporal namespace name')
    .default('quantdesk'),
  QD_TEMPORAL_UI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8233'),
  QD_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be a task queue name')
    .default('quantdesk'),
  QD_LIQUIDATION_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be a task queue name')
    .optional(),
  QD_STREAM_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]{1,40}$/, 'lowercase letters, digits, ":", "_", "-"')
    .default('qd'),
  QD_SOLANA_RPC_URLS: z
    .string()
    .default('http://127.0.0.1:8899,http://127.0.0.1:8901,http://127.0.0.1:8903')
    .transform(commaList)
    .pipe(z.array(url(['http:', 'https:'])).min(1, 'at least one RPC URL')),
  // The RPC pool's CALLS_PER_REQUEST.
  QD_SOLANA_RPC_CALLS_PER_REQUEST: z.coerce.number().int().min(1).max(100).default(50),
  QD_LOCALNET_CONTROL_URL: url(['http:']).default('http://127.0.0.1:8890'),
  QD_OPERATOR_TOKEN: z.string().min(24, 'at least 24 characters').optional(),
  QD_KEEPER_KEYPAIR_FILE: z.string().min(1).optional(),
  QD_ADMIN_KEYPAIR_FILE: z.string().min(1).optional(),
  QD_PRICE_FEED_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  QD_CORS_ORIGINS: z.string().default('http://127.0.0.1:3001,http://localhost:3001').transform(commaList),
  QD_SIWS_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'a host[:port], as the terminal is served')
    .default('localhost:3001'),
  QD_SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  QD_OPERATOR_WALLETS: wallets,
  QD_ADMIN_WALLETS: wallets,
  QD_AUDITOR_WALLETS: wallets,
  QD_API_INSTANCE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_", "-"')
    .default('api-1'),
  QD_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(600),
  QD_API_TEMPORAL_DEADLINE_MS: z.coerce.number().int().min(100).max(600_000).default(8_000),
  /**
   * The proxies whose X-Forwarded-For the API believes (Express's trust proxy list: addresses, CIDRs or
   * loopback / linklocal / uniquelocal): behind them, each client is limited by its own address.
   */
  QD_TRUSTED_PROXIES: z
    .string()
    .regex(/^[A-Za-z0-9.:/, ]{1,500}$/, 'addresses, CIDRs or loopback / linklocal / uniquelocal, comma-separated')
    .default('loopback'),
  /** Where each process serves its Prometheus metrics (0 turns a process's endpoint off). */
  QD_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  QD_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9470),
  QD_WORKER_SDK_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9471),
  QD_RISK_MONITOR_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9472),
  QD_PRICE_FEED_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9473),
  QD_MIKEY_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9474),
  QD_MIKEY_SAMPLE_MS: z.coerce.number().int().min(1_000).default(60_000),
  QD_MIKEY_BOOK_MS: z.coerce.number().int().min(1_000).default(300_000),
  QD_MIKEY_ALERT_MS: z.coerce.number().int().min(100).default(2_000),
  /**
   * Third-party venues MIKEY reads through ccxt (comma-separated ccxt ids; empty: none), how (`replay`: the
   * committed recordings, for machines that reach no exchange; `live`: the venues' public APIs), how often.
   */
  QD_OUTSIDE_VENUES: z
    .string()
    .default('binanceusdm,bybit')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['binanceusdm', 'bybit']))),
  QD_OUTSIDE_MODE: z.enum(['replay', 'live']).default('replay'),
  QD_OUTSIDE_MS: z.coerce.number().int().min(1_000).default(60_000),
  /**
   * The long-lived services /health reports beside its dependencies (their heartbeats), and the
   * reconciliation's age; an API whose deployment runs none of them (the tests) lists none.
   */
  QD_HEALTH_SERVICES: z
    .string()
    .default('risk-monitor,price-feed,mikey,reconciliation')
    .transform(commaList)
    .pipe(z.array(z.enum(['risk-monitor', 'price-feed', 'mikey', 'reconciliation']))),
  /** The bearer token Alertmanager presents to the API's alert webhook (nothing else accepts it). */
  QD_ALERT_WEBHOOK_TOKEN: z.string().min(24, 'at least 24 characters').optional(),
  /** Prometheus' HTTP API, which the operators' dashboard reads through the API. */
  QD_PROMETHEUS_URL: url(['http:', 'https:']).default('http://127.0.0.1:9090'),
});

export interface Config {
  env: 'development' | 'test' | 'production';
  logLevel: string;
  api: {
    host: string;
    port: number;
    corsOrigins: string[];
    operatorToken: string | null;
    /** Sign-In With Solana: the domain the message names, session lifetime, wallets with extra roles. */
    siwsDomain: string;
    sessionTtlSeconds: number;
    roleWallets: { operator: string[]; admin: string[]; auditor: string[] };
    /** Requests per minute: per wallet once signed in, per client address before. */
    rateLimitPerMinute: number;
    /** How long a request's Temporal calls may take in all (an auditor's replay gets 15 times as long). */
    temporalDeadlineMs: number;
    /** Proxies whose X-Forwarded-For names the client (Express's trust proxy). */
    trustedProxies: string;
    /** This instance's name: its consumer group on the event streams (api:<instance>). */
    instance: string;
    /** Services whose heartbeats /health checks (and whether it checks the reconciliation's age). */
    healthServices: ('risk-monitor' | 'price-feed' | 'mikey' | 'reconciliation')[];
    alertWebhookToken: string | null;
  };
  web: { port: number };
  postgres: { url: string };
  redis: { url: string };
  temporal: { address: string; namespace: string; taskQueue: string; liquidationTaskQueue: string; uiUrl: string };
  streamPrefix: string;
  /** How often MIKEY samples each market from the chain, and re-reads every account for the liquidation map. */
  mikey: { sampleMs: number; bookMs: number; alertMs: number };
  outside: { venues: ('binanceusdm' | 'bybit')[]; mode: 'replay' | 'live'; everyMs: number };
  metrics: {
    host: string;
    /** Per process; 0 serves none. */
    workerPort: number;
    /** The Temporal SDK's own metrics of the worker process. */
    workerSdkPort: number;
    riskMonitorPort: number;
    priceFeedPort: number;
    mikeyPort: number;
    prometheusUrl: string;
  };
  solana: {
    rpcUrls: string[];
    /** JSON-RPC calls per batch request to one provider (1: a request per call). */
    rpcCallsPerRequest: number;
    localnetControlUrl: string;
    priceFeedMs: number;
    keeperKeypairFile: string | null;
    adminKeypairFile: string | null;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  return {
    env: e.QD_ENV,
    logLevel: e.QD_LOG_LEVEL,
    api: {
      host: e.QD_API_HOST,
      port: e.QD_API_PORT,
      corsOrigins: e.QD_CORS_ORIGINS,
      operatorToken: e.QD_OPERATOR_TOKEN ?? null,
      siwsDomain: e.QD_SIWS_DOMAIN,
      sessionTtlSeconds: e.QD_SESSION_TTL_SECONDS,
      roleWallets: { operator: e.QD_OPERATOR_WALLETS, admin: e.QD_ADMIN_WALLETS, auditor: e.QD_AUDITOR_WALLETS },
      rateLimitPerMinute: e.QD_RATE_LIMIT_PER_MINUTE,
      temporalDeadlineMs: e.QD_API_TEMPORAL_DEADLINE_MS,
      trustedProxies: e.QD_TRUSTED_PROXIES,
      instance: e.QD_API_INSTANCE,
      healthServices: e.QD_HEALTH_SERVICES,
      alertWebhookToken: e.QD_ALERT_WEBHOOK_TOKEN ?? null,
    },
    web: { port: e.QD_WEB_PORT },
    postgres: { url: e.QD_PG_URL },
    redis: { url: e.QD_REDIS_URL },
    temporal: {
      address: e.QD_TEMPORAL_ADDRESS,
      namespace: e.QD_TEMPORAL_NAMESPACE,
      taskQueue: e.QD_TASK_QUEUE,
      liquidationTaskQueue: e.QD_LIQUIDATION_TASK_QUEUE ?? `${e.QD_TASK_QUEUE}-liquidations`,
      uiUrl: e.QD_TEMPORAL_UI_URL,
    },
    streamPrefix: e.QD_STREAM_PREFIX,
    mikey: { sampleMs: e.QD_MIKEY_SAMPLE_MS, bookMs: e.QD_MIKEY_BOOK_MS, alertMs: e.QD_MIKEY_ALERT_MS },
    outside: { venues: e.QD_OUTSIDE_VENUES, mode: e.QD_OUTSIDE_MODE, everyMs: e.QD_OUTSIDE_MS },
    metrics: {
      host: e.QD_METRICS_HOST,
      workerPort: e.QD_WORKER_METRICS_PORT,
      workerSdkPort: e.QD_WORKER_SDK_METRICS_PORT,
      riskMonitorPort: e.QD_RISK_MONITOR_METRICS_PORT,
      priceFeedPort: e.QD_PRICE_FEED_METRICS_PORT,
      mikeyPort: e.QD_MIKEY_METRICS_PORT,
      prometheusUrl: e.QD_PROMETHEUS_URL,
    },
    solana: {
      rpcUrls: e.QD_SOLANA_RPC_URLS,
      rpcCallsPerRequest: e.QD_SOLANA_RPC_CALLS_PER_REQUEST,
      localnetControlUrl: e.QD_LOCALNET_CONTROL_URL,
      priceFeedMs: e.QD_PRICE_FEED_MS,
      keeperKeypairFile: e.QD_KEEPER_KEYPAIR_FILE ?? null,
      adminKeypairFile: e.QD_ADMIN_KEYPAIR_FILE ?? null,
    },
  };
}

/** The URL with any password replaced, safe to log. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** The configuration as it may be logged: credentials removed. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    postgres: { url: redactUrl(config.postgres.url) },
    redis: { url: redactUrl(config.redis.url) },
    api: {
      ...config.api,
      operatorToken: config.api.operatorToken ? '[set]' : null,
      alertWebhookToken: config.api.alertWebhookToken ? '[set]' : null,
    },
  };
}
