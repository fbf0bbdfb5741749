import type { Redis } from 'ioredis';
import bs58 from 'bs58';
import { eq, inArray, sql } from 'drizzle-orm';
import { keeperTransactions } from '../drizzle/schema';
import type { Database } from '../platform/postgres';
import { withTimeout } from '../platform/timeout';
import { startDrain } from '../platform/drain';
import { turnBatcher } from '../platform/turn-batcher';
import { insertByColumns, setExcluded } from '../platform/unnest';
import type { SignedWire } from './rpc-pool';

/** Where signed keeper transactions are journaled before sending (keyed by what retries share). */
export interface SendJournal {
  /** The transaction journaled under `key`, or null. `retried`: asked by a retried attempt (see journalWithFallback). */
  load(key: string, context?: JournalContext): Promise<string | null>;
  /**
   * Journals `transaction` under `key` unless one is there already; returns the one already there
   * (base64), which is then sent instead (a second runner of the same work sends the first one's bytes,
   * so the chain sees one transaction), or null when `transaction` was journaled.
   */
  claim(key: string, transaction: SignedWire, context?: JournalContext): Promise<string | null>;
  /** Replaces the journaled transaction (re-signed with a fresh blockhash once the old one expired). */
  replace(key: string, transaction: SignedWire): Promise<void>;
}

/** Who asks: a retried activity attempt may have journaled (and sent) under the same key before. */
export interface JournalContext {
  retried?: boolean;
}

const rowOf = (key: string, transaction: string, signature: string) => {
  const now = new Date();
  return { key, signature, transaction, createdAt: now, updatedAt: now };
};

const JOURNAL_COLUMNS = ['key', 'signature', 'transaction', 'createdAt', 'updatedAt'] as const;

/** Claims journaled in one statement at most. */
const CLAIMS_PER_STATEMENT = 200;

/** The journal in Postgres (table keeper_transactions). */
export function postgresJournal(db: Database): SendJournal {
  const load = async (key: string) => {
    const [row] = await db
      .select({ transaction: keeperTransactions.transaction })
      .from(keeperTransactions)
      .where(eq(keeperTransactions.key, key));
    return row?.transaction ?? null;
  };
  // The claims of one turn of the event loop in one statement (a burst of keeper sends claims together).
  const claim = turnBatcher(async (claims: { key: string; tx: SignedWire }[]): Promise<(string | null)[]> => {
    const first = new Map<string, { tx: SignedWire; base64: string }>();
    for (const { key, tx } of claims) if (!first.has(key)) first.set(key, { tx, base64: tx.wire.toString('base64') });
    const inserted = await db.execute<{ key: string }>(
      sql`${insertByColumns(
        keeperTransactions,
        JOURNAL_COLUMNS,
        [...first].map(([key, { tx, base64 }]) => rowOf(key, base64, tx.signature)),
      )} on conflict do nothing returning ${sql.identifier(keeperTransactions.key.name)} as key`,
    );
    const mine = new Set(inserted.rows.map((r) => r.key));
    const taken = [...first.keys()].filter((key) => !mine.has(key));
    const earlier = new Map(
      taken.length
        ? (
            await db
              .select({ key: keeperTransactions.key, transaction: keeperTransactions.transaction })
              .from(keeperTransactions)
              .where(inArray(keeperTransactions.key, taken))
          ).map((r) => [r.key, r.transaction])
        : [],
    );
    // Journaled by this batch: null for the claim that journaled it, its bytes for a later one in the batch.
    return claims.map(({ key, tx }) => {
      if (!mine.has(key)) return earlier.get(key) ?? null;
      const journaled = first.get(key)!;
      return journaled.tx === tx ? null : journaled.base64;
    });
  }, CLAIMS_PER_STATEMENT);
  return {
    load,
    claim: (key, tx) => claim({ key, tx }),
    async replace(key, tx) {
      await upsertRows(db, [rowOf(key, tx.wire.toString('base64'), tx.signature)]);
    },
  };
}

/** Journal rows written over whatever their keys held (a re-signed transaction; entries drained from Redis). */
function upsertRows(db: Database, rows: ReturnType<typeof rowOf>[]) {
  const { key, signature, transaction, updatedAt } = keeperTransactions;
  return db.execute(sql`${insertByColumns(keeperTransactions, JOURNAL_COLUMNS, rows)}
    on conflict (${sql.identifier(key.name)}) do update set ${setExcluded([signature, transaction, updatedAt])}`);
}

/** How long a journal entry made in Redis stays there if it is never drained (the drain removes it). */
const REDIS_JOURNAL_TTL_SECONDS = 7 * 24 * 3600;

// Claim: SET NX, naming the key in the set of entries the drain has still to copy; or the entry already
// there. Replace: SET and name it. Drained: remove the entry once Postgres holds it, unless it changed since.
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('SADD', KEYS[2], ARGV[3])
  return false
end
return redis.call('GET', KEYS[1])`;
const REPLACE = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1`;
const DRAINED = `
if ARGV[1] == '' or redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
return 0`;

const entryOf = (streamPrefix: string, key: string) => `${streamPrefix}:keeper-journal:${key}`;
const pendingSetOf = (streamPrefix: string) => `${streamPrefix}:keeper-journal-pending`;

/**
 * The journal in Redis, for while Postgres is unreachable: `<prefix>:keeper-journal:<key>` holds the
 * transaction (base64 wire bytes) and `<prefix>:keeper-journal-pending` names the entries
 * drainJournalFallback has still to copy into keeper_transactions (it removes them once copied, so an
 * entry here is always newer than what Postgres holds at its key).
 */
export function redisJournal(redis: Redis, streamPrefix: string): SendJournal {
  const pending = pendingSetOf(streamPrefix);
  const run = (script: string, key: string, tx: SignedWire) =>
    redis.eval(
      script,
      2,
      entryOf(streamPrefix, key),
      pending,
      tx.wire.toString('base64'),
      REDIS_JOURNAL_TTL_SECONDS,
      key,
    );
  return {
    load: (key) => redis.get(entryOf(streamPrefix, key)),
    async claim(key, tx) {
      const earlier = await run(CLAIM, key, tx);
      return typeof earlier === 'string' ? earlier : null;
    },
    async replace(key, tx) {
      await run(REPLACE, key, tx);
    },
  };
}

/** Removes `key`'s Redis entry once Postgres holds `value` (any value when `value` is empty). */
const dropDrained = (redis: Redis, streamPrefix: string, key: string, value: string) =>
  redis.eval(DRAINED, 2, entryOf(streamPrefix, key), pendingSetOf(streamPrefix), value, key);

/** How long the journal waits for Postgres before it journals in Redis instead. */
export const JOURNAL_PRIMARY_TIMEOUT_MS = 1_000;
/** How long a claim waits for Redis's view of the same key (an entry made during a Postgres outage). */
const FALLBACK_READ_TIMEOUT_MS = 250;

/**
 * The journal a keeper sends through: Postgres, and Redis while Postgres is unreachable (an error, or no
 * answer within JOURNAL_PRIMARY_TIMEOUT_MS), so the chain work goes on through a Postgres outage; the
 * entries made in Redis reach Postgres with drainJournalFallback once it is back. An entry in Redis is
 * newer than Postgres's at the same key (written during an outage, removed once drained): every claim and
 * load also reads it (skipped while Redis is not connected), and it wins, so a runner that comes after an
 * outage sends what was journaled during it, drained yet or not. A retried attempt never journals in
 * Redis (its earlier attempt may have journaled, and sent, under the same key in Postgres before the
 * outage): without Postgres it sends only what Redis already holds, or fails and is retried. Only when
 * both stores fail does a first attempt's send fail (and its activity is retried). What it cannot see: an
 * entry journaled in Postgres only (Redis down then) by a runner whose successor finds Postgres down in
 * turn, and (liquidations, whose key every runner of an episode shares) a second runner that first claims
 * during an outage while the first one's entry is in Postgres; the program's own dedupe (a liquidation step
 * executes once per episode and index, an order's nonce once) still keeps the chain exact then.
 */
export function journalWithFallback(
  db: Database,
  redis: Redis,
  streamPrefix: string,
  options: { primaryTimeoutMs?: number; onFallback?: (err: unknown) => void } = {},
): SendJournal {
  const primary = postgresJournal(db);
  const fallback = redisJournal(redis, streamPrefix);
  const timeoutMs = options.primaryTimeoutMs ?? JOURNAL_PRIMARY_TIMEOUT_MS;
  const connected = () => redis.status === 'ready';
  /** Redis's entry for `key`, or null (none, or Redis not answering: it cannot have taken one then). */
  const inRedis = (key: string): Promise<string | null> =>
    connected()
      ? withTimeout(fallback.load(key), FALLBACK_READ_TIMEOUT_MS, 'Redis').catch(() => null)
      : Promise.resolve(null);
  /** Postgres's answer, or null once `onUnreachable` ran instead (an error, or no answer in time). */
  const inPostgres = async <T>(work: () => Promise<T>, onUnreachable: () => Promise<T>) => {
    try {
      return { answered: true as const, value: await withTimeout(work(), timeoutMs, 'Postgres') };
    } catch (err) {
      options.onFallback?.(err);
      return { answered: false as const, value: await onUnreachable() };
    }
  };
  /** Without Postgres, only Redis's entry can answer; a retried attempt's earlier entry may be in Postgres alone. */
  const unknownWithoutPostgres = (key: string) =>
    new Error(
      `Postgres does not answer and Redis holds no journal entry for ${key}: an earlier attempt may have journaled ` +
        'it in Postgres, so this retry waits for Postgres',
    );
  return {
    async load(key) {
      const [outage, stored] = await Promise.all([
        inRedis(key),
        inPostgres(
          () => primary.load(key),
          async () => undefined,
        ),
      ]);
      if (outage !== null) return outage;
      if (!stored.answered) throw unknownWithoutPostgres(key);
      return stored.value ?? null;
    },
    async claim(key, tx, context = {}) {
      const outageRead = inRedis(key);
      const claimed = await inPostgres(
        () => primary.claim(key, tx),
        async () => {
          // A first attempt journals in Redis; a retry only finds what an earlier attempt journaled there.
          if (!context.retried) return fallback.claim(key, tx);
          const earlier = await outageRead;
          if (earlier === null) throw unknownWithoutPostgres(key);
          return earlier;
        },
      );
      // Journaled in Redis now (or found there): that answer is the newest there is.
      if (!claimed.answered) return claimed.value;
      const outage = await outageRead;
      if (outage === null) return claimed.value;
      // Journaled during an outage, not drained yet: those are the bytes; Postgres takes them now.
      const mine = tx.wire.toString('base64');
      if (outage !== (claimed.value ?? mine)) await primary.replace(key, wireFrom(outage)).catch(() => undefined);
      return outage === mine ? null : outage;
    },
    async replace(key, tx) {
      const replaced = await inPostgres(
        () => primary.replace(key, tx).then(() => true),
        () => fallback.replace(key, tx).then(() => false),
      );
      // Postgres holds the newest now: an older entry from an outage must not win over it.
      if (replaced.answered && connected())
        await withTimeout(dropDrained(redis, streamPrefix, key, ''), FALLBACK_READ_TIMEOUT_MS, 'Redis').catch(
          () => undefined,
        );
    },
  };
}

/** A journaled transaction (base64 wire bytes of a single-signer transaction) as sent. */
export function wireFrom(base64: string): SignedWire {
  const wire = Buffer.from(base64, 'base64');
  return { wire, signature: signatureText(wire) };
}

const signatureText = (wire: Buffer) => bs58.encode(wire.subarray(1, 65));

/** Entries copied from Redis to Postgres per drain round. */
const DRAIN_BATCH = 500;

/** Copies the entries an outage left in Redis into Postgres every `everyMs` until the returned function is called. */
export function startJournalDrain(
  redis: Redis,
  streamPrefix: string,
  db: Database,
  onError: (err: unknown) => void,
  everyMs = 1_000,
): () => void {
  return startDrain(() => drainJournalFallback(redis, streamPrefix, db), DRAIN_BATCH, onError, everyMs);
}

/**
 * Copies the entries journaled in Redis during a Postgres outage into keeper_transactions (they are newer
 * than what Postgres holds at their keys) and removes them from Redis; returns how many were copied. Safe
 * to run in several processes at once.
 */
export async function drainJournalFallback(redis: Redis, streamPrefix: string, db: Database): Promise<number> {
  const keys = await redis.srandmember(pendingSetOf(streamPrefix), DRAIN_BATCH);
  if (!keys.length) return 0;
  const values = await redis.mget(keys.map((k) => entryOf(streamPrefix, k)));
  const rows = keys.flatMap((key, i) => {
    const transaction = values[i];
    return transaction ? [rowOf(key, transaction, signatureText(Buffer.from(transaction, 'base64')))] : [];
  });
  if (rows.length) await upsertRows(db, rows);
  const pipeline = redis.pipeline();
  keys.forEach((key, i) =>
    pipeline.eval(DRAINED, 2, entryOf(streamPrefix, key), pendingSetOf(streamPrefix), values[i] ?? '', key),
  );
  await pipeline.exec();
  return rows.length;
}

/** How many entries made in Redis still wait for Postgres (tests, health). */
export async function journalFallbackPending(redis: Redis, streamPrefix: string): Promise<number> {
  return redis.scard(pendingSetOf(streamPrefix));
}
