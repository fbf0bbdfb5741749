import type { Server as HttpServer } from 'node:http';
import type { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { insightStreamKey } from '../services/mikey/streams';
import { DEFAULT_MARKETS } from '../domain/perp';
import {
  accountStreamKey,
  alertStreamKey,
  firehoseStreamKey,
  marketAccountOf,
  type WorkflowEvent,
} from '../domain/workflow-events';
import { traderAlertStreamKey, type TraderAlert } from '../domain/alerts';
import { ownsSubAccount } from './auth/middleware';
import type { Logger } from '../platform/logger';
import { SessionStore, type Session } from './auth/sessions';

/** What the server emits. Every account event carries its ID in `qd:events:<account>`, the order clients resume by. */
export interface ServerEvents {
  price: (p: {
    symbol: string;
    marketIndex: number;
    price: string;
    confidence: string;
    at: string;
    id: string;
  }) => void;
  funding: (e: { symbol: string; marketIndex: number; event: WorkflowEvent }) => void;
  workflow: (e: { account: string; id: string; event: WorkflowEvent }) => void;
  /** To a market's room: an insight MIKEY wrote (its stream `<prefix>:insights:<symbol>`), with its workings. */
  insight: (i: { symbol: string; id: string; insight: Record<string, unknown> }) => void;
  /** To an account's room: an alert MIKEY fired for one of its subscriptions (domain/alerts.ts). */
  'trader-alert': (a: { account: string; id: string; alert: TraderAlert }) => void;
  /** To operators only: an alert raised, resolved or acknowledged (the ops_alerts row), or a platform alert. */
  alert: (a: Record<string, unknown>) => void;
}

const subscribeMessage = z.union([
  z.object({ market: z.enum(DEFAULT_MARKETS.map((m) => m.symbol) as [string, ...string[]]) }).strict(),
  z
    .object({
      account: z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/),
      /** Resume: every event after this account stream ID. */
      since: z
        .string()
        .regex(/^\d{1,20}-\d{1,20}$/)
        .optional(),
      /** A fresh view: the latest `recent` events first (ignored with `since`). */
      recent: z.number().int().min(1).max(1_000).optional(),
    })
    .strict(),
]);

type Ack = (reply: { ok: true; replayed?: number } | { ok: false; error: string }) => void;

const marketRoom = (symbol: string) => `market:${symbol}`;
/** Every socket of an operator's session joins it at connection: alerts go there. */
const OPERATORS_ROOM = 'operators';
const accountRoom = (account: string) => `account:${account}`;
const BACKLOG_LIMIT = 1_000;

/** How often each socket's session is looked up again: a signed-out or expired session's sockets close. */
export const SESSION_RECHECK_MS = 15_000;
/**
 * Messages one socket may send per second (a terminal re-joins each of its rooms at once on reconnect); a socket
 * that sends more is disconnected.
 */
export const SOCKET_MESSAGES_PER_SECOND = 100;
/** Prices older than this are not relayed (a relay back from downtime skips them); events always are. */
export const STALE_PRICE_MS = 10_000;
/** Entries a relay's firehose group may be behind at start before it skips to the present (clients resume by ID). */
export const FIREHOSE_MAX_LAG = 10_000;

/**
 * socket.io on the API's HTTP server: connections authenticate with a session token; clients join
 * market rooms (prices, funding) and their own accounts' rooms (workflow progress), optionally resuming
 * from the last account event they saw, which is replayed from the account's stream before live ones.
 */
export function attachRealtime(
  http: HttpServer,
  deps: {
    sessions: SessionStore;
    redis: Redis;
    streamPrefix: string;
    corsOrigins: string[];
    logger: Logger;
    sessionRecheckMs?: number;
  },
) {
  const io = new Server<Record<string, never>, ServerEvents>(http, {
    cors: { origin: deps.corsOrigins },
    serveClient: false,
  });
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string')
      return next(new Error('unauthenticated: pass { auth: { token } } from POST /v1/auth/session'));
    deps.sessions.find(token).then((session) => {
      if (!session) return next(new Error('unauthenticated: the session has expired or was ended'));
      socket.data.session = session;
      socket.data.token = token;
      next();
    }, next);
  });
  // A socket lives as long as its session: looked up again every SESSION_RECHECK_MS (sign-out on any API
  // instance ends it in Redis), and closed at its expiry.
  const recheck = setInterval(() => {
    for (const socket of io.sockets.sockets.values()) {
      deps.sessions.find(socket.data.token as string).then(
        (session) => {
          if (!session) socket.disconnect(true);
        },
        (err: unknown) => deps.logger.warn({ err }, 'session recheck failed'),
      );
    }
  }, deps.sessionRecheckMs ?? SESSION_RECHECK_MS);
  recheck.unref();
  io.on('connection', (socket: Socket) => {
    const expiresIn = Date.parse((socket.data.session as Session).expiresAt) - Date.now();
    const expiry = setTimeout(() => socket.disconnect(true), Math.max(0, Math.min(expiresIn, 2 ** 31 - 1)));
    socket.on('disconnect', () => clearTimeout(expiry));
    if ((socket.data.session as Session).roles.includes('operator')) void socket.join(OPERATORS_ROOM);
    // Every message counts against the socket's budget; a flood closes it.
    let windowStart = Date.now();
    let inWindow = 0;
    socket.use((_packet, next) => {
      const now = Date.now();
      if (now - windowStart >= 1_000) {
        windowStart = now;
        inWindow = 0;
      }
      if (++inWindow > SOCKET_MESSAGES_PER_SECOND) {
        deps.logger.warn({ wallet: (socket.data.session as Session).wallet }, 'socket flooded; disconnected');
        socket.disconnect(true);
        return;
      }
      next();
    });
    socket.on('subscribe', async (message: unknown, ack?: Ack) => {
      const reply: Ack = typeof ack === 'function' ? ack : () => undefined;
      const parsed = subscribeMessage.safeParse(message);
      if (!parsed.success)
        return reply({
          ok: false,
          error: `invalid subscription: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
        });
      const m = parsed.data;
      if ('market' in m) {
        await socket.join(marketRoom(m.market));
        return reply({ ok: true });
      }
      if (!ownsSubAccount((socket.data.session as Session).wallet, m.account))
        return reply({ ok: false, error: "forbidden: another wallet's account" });
      // Join first, then replay: an event landing in between arrives twice, never not at all; clients drop
      // IDs they have already seen.
      await socket.join(accountRoom(m.account));
      let replayed = 0;
      const stream = accountStreamKey(deps.streamPrefix, m.account);
      const backlog = m.since
        ? await deps.redis.xrange(stream, `(${m.since}`, '+', 'COUNT', BACKLOG_LIMIT)
        : m.recent
          ? (await deps.redis.xrevrange(stream, '+', '-', 'COUNT', m.recent)).reverse()
          : [];
      for (const [id, fields] of backlog) {
        const field = (k: string) => (fields.includes(k) ? fields[fields.indexOf(k) + 1] : undefined);
        const alert = field('alert');
        if (alert) socket.emit('trader-alert', { account: m.account, id, alert: JSON.parse(alert) as TraderAlert });
        else socket.emit('workflow', { account: m.account, id, event: JSON.parse(field('event')!) as WorkflowEvent });
        replayed++;
      }
      reply({ ok: true, replayed });
    });
    socket.on('unsubscribe', async (message: unknown) => {
      const parsed = subscribeMessage.safeParse(message);
      if (parsed.success)
        await socket.leave('market' in parsed.data ? marketRoom(parsed.data.market) : accountRoom(parsed.data.account));
    });
  });
  return { io, stop: () => clearInterval(recheck) };
}

/** Sockets connected to this instance, and its rooms by kind (market, account, operators). */
function countSockets(registry: Registry, io: Server): void {
  new Gauge({
    name: 'qd_api_socket_clients',
    help: 'socket.io clients connected to this API instance',
    registers: [registry],
    collect() {
      this.set(io.of('/').sockets.size);
    },
  });
  new Gauge({
    name: 'qd_api_socket_rooms',
    help: 'socket.io rooms with at least one client, by kind (market, account, operators)',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const counts = { market: 0, account: 0, operators: 0 };
      for (const room of io.of('/').adapter.rooms.keys()) {
        const kind = room === OPERATORS_ROOM ? 'operators' : room.split(':')[0];
        if (kind === 'market' || kind === 'account' || kind === 'operators') counts[kind]++;
      }
      for (const [kind, n] of Object.entries(counts)) this.set({ kind }, n);
    },
  });
}

/**
 * Feeds the rooms from Redis Streams through consumer groups: each API instance reads every entry of the
 * firehose and the price streams in its own group (`api:<instance>`), so several instances each serve
 * their clients, and an instance that restarts continues from where its group stopped.
 */
export class StreamRelay {
  /** Starts socket.io on `http` and the relay feeding it (on its own Redis connection: it blocks). */
  static async serve(
    http: HttpServer,
    deps: {
      redis: Redis;
      streamPrefix: string;
      corsOrigins: string[];
      instance: string;
      logger: Logger;
      sessionRecheckMs?: number;
      /** The API's metrics registry: socket clients and rooms are counted there. */
      registry?: Registry;
    },
  ) {
    const { io, stop } = attachRealtime(http, { ...deps, sessions: new SessionStore(deps.redis, deps.streamPrefix) });
    if (deps.registry) countSockets(deps.registry, io);
    const reader = deps.redis.duplicate();
    const relay = new StreamRelay(io, reader, deps.streamPrefix, deps.instance, deps.logger);
    await relay.start();
    return {
      io,
      async close() {
        relay.stop();
        stop();
        await new Promise<void>((resolve) => {
          void io.close(() => resolve());
        });
        reader.disconnect();
      },
    };
  }

  private running = false;
  private readonly group: string;
  private readonly streams: string[];
  /** Price stream key -> its market, and the firehose's funding account (market-N) -> its market. */
  private readonly marketOfStream: Map<string, (typeof DEFAULT_MARKETS)[number]>;
  private readonly marketOfFundingAccount: Map<string, (typeof DEFAULT_MARKETS)[number]>;
  private readonly marketOfInsightStream: Map<string, (typeof DEFAULT_MARKETS)[number]>;

  constructor(
    private readonly io: Server<Record<string, never>, ServerEvents>,
    private readonly redis: Redis,
    private readonly prefix: string,
    instance: string,
    private readonly logger: Logger,
  ) {
    this.group = `api:${instance}`;
    this.marketOfStream = new Map(DEFAULT_MARKETS.map((m) => [`${prefix}:prices:${m.symbol}`, m]));
    this.marketOfFundingAccount = new Map(DEFAULT_MARKETS.map((m) => [marketAccountOf(m.marketIndex), m]));
    this.marketOfInsightStream = new Map(DEFAULT_MARKETS.map((m) => [insightStreamKey(prefix, m.symbol), m]));
    this.streams = [
      firehoseStreamKey(prefix),
      alertStreamKey(prefix),
      traderAlertStreamKey(prefix),
      ...this.marketOfStream.keys(),
      ...this.marketOfInsightStream.keys(),
    ];
  }

  async start(): Promise<void> {
    await this.ensureGroups();
    this.running = true;
    void this.loop();
  }

  /**
   * Each stream's group, created at the present if missing. An existing group keeps its place on the
   * firehose unless it is more than FIREHOSE_MAX_LAG entries behind (clients resume their accounts by ID
   * from the account streams); on price streams it skips to the present (old prices are of no use).
   */
  private async ensureGroups(): Promise<void> {
    const firehose = firehoseStreamKey(this.prefix);
    for (const stream of this.streams) {
      try {
        await this.redis.xgroup('CREATE', stream, this.group, '$', 'MKSTREAM');
        continue;
      } catch (err) {
        if (!String(err).includes('BUSYGROUP')) throw err;
      }
      if (stream !== firehose || (await this.lagOf(stream)) > FIREHOSE_MAX_LAG) {
        await this.redis.xgroup('SETID', stream, this.group, '$');
      }
    }
  }

  private async lagOf(stream: string): Promise<number> {
    const groups = (await this.redis.xinfo('GROUPS', stream)) as (string | number | null)[][];
    for (const g of groups) {
      const field = (k: string) => g[g.indexOf(k) + 1];
      if (field('name') === this.group) return Number(field('lag') ?? 0);
    }
    return 0;
  }

  stop(): void {
    this.running = false;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const batch = (await this.redis.xreadgroup(
          'GROUP',
          this.group,
          'relay',
          'COUNT',
          500,
          'BLOCK',
          500,
          'STREAMS',
          ...this.streams,
          ...this.streams.map(() => '>'),
        )) as [string, [string, string[]][]][] | null;
        for (const [stream, entries] of batch ?? []) {
          for (const [id, fields] of entries) this.dispatch(stream, id, fields);
          if (entries.length) await this.redis.xack(stream, this.group, ...entries.map(([id]) => id));
        }
      } catch (err) {
        if (!this.running) return;
        // A stream deleted or Redis restarted without its data: the group is gone, make it again.
        if (String(err).includes('NOGROUP')) {
          this.logger.warn({ group: this.group }, 'stream relay group missing; recreating it');
          await this.ensureGroups().catch((e: unknown) => this.logger.warn({ err: e }, 'recreating the group failed'));
          continue;
        }
        this.logger.warn({ err }, 'stream relay read failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private dispatch(stream: string, id: string, fields: string[]): void {
    const get = (k: string) => fields[fields.indexOf(k) + 1];
    if (stream === firehoseStreamKey(this.prefix)) {
      const event = JSON.parse(get('event')!) as WorkflowEvent;
      if (event.kind === 'funding') {
        const market = this.marketOfFundingAccount.get(event.account);
        if (market)
          this.io
            .to(marketRoom(market.symbol))
            .emit('funding', { symbol: market.symbol, marketIndex: market.marketIndex, event });
        return;
      }
      this.io
        .to(accountRoom(event.account))
        .emit('workflow', { account: event.account, id: get('accountEventId') ?? id, event });
      return;
    }
    const insightMarket = this.marketOfInsightStream.get(stream);
    if (insightMarket) {
      const insight = JSON.parse(get('insight')!) as Record<string, unknown>;
      this.io.to(marketRoom(insightMarket.symbol)).emit('insight', { symbol: insightMarket.symbol, id, insight });
      return;
    }
    if (stream === traderAlertStreamKey(this.prefix)) {
      const alert = JSON.parse(get('alert')!) as TraderAlert;
      this.io
        .to(accountRoom(alert.account))
        .emit('trader-alert', { account: alert.account, id: get('accountEventId') ?? id, alert });
      return;
    }
    if (stream === alertStreamKey(this.prefix)) {
      this.io.to(OPERATORS_ROOM).emit('alert', { id, ...(JSON.parse(get('alert')!) as Record<string, unknown>) });
      return;
    }
    const market = this.marketOfStream.get(stream);
    if (!market) return;
    const at = Date.parse(get('at') ?? '');
    if (Number.isFinite(at) && Date.now() - at > STALE_PRICE_MS) return;
    this.io.to(marketRoom(market.symbol)).emit('price', {
      symbol: market.symbol,
      marketIndex: market.marketIndex,
      price: get('price')!,
      confidence: get('confidence') ?? '0',
      at: get('at') ?? '',
      id,
    });
  }
}
