// The keeper's send journal through a Postgres outage: entries go to Redis, whoever comes later sends
// the bytes journaled first (drained yet or not), and the drain copies them into keeper_transactions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import bs58 from 'bs58';
import { eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { keeperTransactions } from '../../drizzle/schema';
import { createWorkerMetrics } from '../../temporal/worker-metrics';
import { createPostgres } from '../../platform/postgres';
import {
  drainJournalFallback,
  journalFallbackPending,
  journalWithFallback,
  type SendJournal,
} from '../../solana/send-journal';
import type { SignedWire } from '../../solana/rpc-pool';
import { switchableProxy, type SwitchableProxy } from '../support/switchable-proxy';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let proxy: SwitchableProxy;
let blinkingPg: ReturnType<typeof createPostgres>;
let journal: SendJournal;
let fallbacks = 0;

beforeAll(async () => {
  h = await startHarness({}, { worker: false });
  const url = new URL(h.config.postgres.url);
  proxy = await switchableProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  blinkingPg = createPostgres(url.toString(), { max: 4 });
  journal = journalWithFallback(blinkingPg.db, h.redis, h.config.streamPrefix, {
    primaryTimeoutMs: 500,
    onFallback: () => fallbacks++,
  });
}, 120_000);

afterAll(async () => {
  await blinkingPg?.pool.end().catch(() => undefined);
  await proxy?.close();
  await h?.close();
});

/** A stand-in for a signed transaction: one signature, then message bytes (the journal keeps bytes, it never parses them). */
function signed(): SignedWire {
  const wire = Buffer.concat([Buffer.of(1), randomBytes(64), randomBytes(40)]);
  return { wire, signature: bs58.encode(wire.subarray(1, 65)) };
}
const base64 = (tx: SignedWire) => tx.wire.toString('base64');
const rowOf = async (key: string) =>
  (await h.db.select().from(keeperTransactions).where(eq(keeperTransactions.key, key)))[0];

describe('the keeper journal through a Postgres outage', () => {
  it('journals in Redis while Postgres is unreachable, keeps the first claim, and drains it into Postgres', async () => {
    const key = `journal-test:${Date.now()}:step-0`;
    const [first, second] = [signed(), signed()];
    proxy.off();
    expect(await journal.claim(key, first)).toBeNull(); // journaled (in Redis)
    expect(fallbacks).toBeGreaterThan(0);
    expect(await journal.claim(key, second)).toBe(base64(first)); // a second runner sends the first's bytes
    expect(await journal.load(key)).toBe(base64(first));
    expect(await journalFallbackPending(h.redis, h.config.streamPrefix)).toBeGreaterThan(0);
    expect(await rowOf(key)).toBeUndefined();
    // The worker's metric (and its KeeperJournalInRedis alert) sees the entries waiting.
    const registry = new Registry();
    const metrics = createWorkerMetrics(registry, () => journalFallbackPending(h.redis, h.config.streamPrefix));
    const pendingMetric = async () =>
      Number((await registry.getSingleMetricAsString('qd_keeper_journal_redis_pending')).trim().split(' ').at(-1));
    expect(await pendingMetric()).toBeGreaterThan(0);

    proxy.on();
    // Postgres is back before the drain ran: a runner now still finds the outage's entry.
    expect(await journal.claim(key, signed())).toBe(base64(first));
    while ((await drainJournalFallback(h.redis, h.config.streamPrefix, h.db)) > 0);
    expect(await journalFallbackPending(h.redis, h.config.streamPrefix)).toBe(0);
    expect(await pendingMetric()).toBe(0);
    metrics.stop();
    const row = await rowOf(key);
    expect(row?.transaction).toBe(base64(first));
    expect(row?.signature).toBe(first.signature);
  }, 60_000);

  it('keeps a re-signed transaction replaced during the outage', async () => {
    const key = `journal-test:${Date.now()}:resign`;
    const [first, resigned] = [signed(), signed()];
    expect(await journal.claim(key, first)).toBeNull(); // in Postgres
    proxy.off();
    await journal.replace(key, resigned); // in Redis
    expect(await journal.load(key)).toBe(base64(resigned));
    proxy.on();
    while ((await drainJournalFallback(h.redis, h.config.streamPrefix, h.db)) > 0);
    // Postgres held the first bytes already; a later runner still sends the re-signed ones.
    expect(await journal.claim(key, signed())).toBe(base64(resigned));
    expect((await rowOf(key))?.transaction).toBe(base64(resigned));

    // Journaled in Redis during a second outage, then re-signed with Postgres back: the newest wins.
    proxy.off();
    const duringOutage = signed();
    await journal.replace(key, duringOutage);
    proxy.on();
    const afterOutage = signed();
    await journal.replace(key, afterOutage);
    expect(await journal.load(key)).toBe(base64(afterOutage));
    while ((await drainJournalFallback(h.redis, h.config.streamPrefix, h.db)) > 0);
    expect((await rowOf(key))?.transaction).toBe(base64(afterOutage));
  }, 60_000);

  it('never lets a retried attempt journal anew without Postgres: it sends only what Redis already holds, or waits', async () => {
    const key = `journal-test:${Date.now()}:retry`;
    const first = signed();
    expect(await journal.claim(key, first)).toBeNull(); // the first attempt, in Postgres
    proxy.off();
    // Its retry cannot see Postgres, and Redis has nothing: it must not sign and send other bytes.
    await expect(journal.claim(key, signed(), { retried: true })).rejects.toThrow(/waits for Postgres/);
    await expect(journal.load(key, { retried: true })).rejects.toThrow(/waits for Postgres/);
    // A first attempt's entry made in Redis during the outage is what a retry then sends.
    const other = `journal-test:${Date.now()}:retry-redis`;
    const inRedis = signed();
    expect(await journal.claim(other, inRedis)).toBeNull();
    expect(await journal.claim(other, signed(), { retried: true })).toBe(base64(inRedis));
    proxy.on();
    expect(await journal.claim(key, signed(), { retried: true })).toBe(base64(first));
    while ((await drainJournalFallback(h.redis, h.config.streamPrefix, h.db)) > 0);
  }, 60_000);

  it('fails only when neither store answers', async () => {
    const key = `journal-test:${Date.now()}:both`;
    proxy.off();
    const redisDown = journalWithFallback(blinkingPg.db, brokenRedis(), h.config.streamPrefix, {
      primaryTimeoutMs: 500,
    });
    await expect(redisDown.claim(key, signed())).rejects.toThrow();
    proxy.on();
    expect(await rowOf(key)).toBeUndefined();
  }, 60_000);
});

/** A Redis client whose every command fails (its server is gone). */
function brokenRedis() {
  return {
    status: 'end',
    get: () => Promise.reject(new Error('Connection is closed.')),
    eval: () => Promise.reject(new Error('Connection is closed.')),
  } as unknown as Harness['redis'];
}
