import type { Redis } from 'ioredis';
import { asc, inArray } from 'drizzle-orm';
import { accountStreamKey, firehoseStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { eventOutbox } from '../../drizzle/schema';
import type { Database } from '../../platform/postgres';
import { withTimeout } from '../../platform/timeout';
import { startDrain } from '../../platform/drain';

/** Entries kept per account stream; older ones are trimmed (Postgres holds the durable history). */
export const STREAM_MAX_LENGTH = 10_000;
/** Entries kept in the stream of all accounts' events. */
export const FIREHOSE_MAX_LENGTH = 200_000;
const DEDUPE_TTL_SECONDS = 7 * 24 * 3600;

// SET NX + XADD in one script: a retried publish finds the dedupe key and adds nothing. The entry goes to
// its account's stream and to a stream of every account's entries (the firehose for workflow events,
// qd:trader-alerts for alerts), which carries the account stream's entry ID so that live and replayed
// entries share one ordering (clients resume by it). ARGV[5] names the entry's field (event, alert).
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', ARGV[5], ARGV[3])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', ARGV[5], ARGV[3], 'accountEventId', id)
  return id
end
return false`;

/**
 * The EVAL arguments that add one entry (`field`: its JSON) to an account's stream and to `allStream` once
 * per `dedupeKey`; the script answers the account stream's entry ID, or nothing when already added.
 */
export function publishOnceArgs(e: {
  accountStream: string;
  dedupeKey: string;
  allStream: string;
  allMaxLength: number;
  field: 'event' | 'alert';
  json: string;
}) {
  return [
    PUBLISH_ONCE,
    3,
    e.accountStream,
    e.dedupeKey,
    e.allStream,
    DEDUPE_TTL_SECONDS,
    STREAM_MAX_LENGTH,
    e.json,
    e.allMaxLength,
    e.field,
  ] as const;
}

/** How long a publish may wait for Redis before its events go to the outbox instead. */
export const PUBLISH_TIMEOUT_MS = 2_000;
/** Events moved from the outbox to the streams per drain round. */
const DRAIN_BATCH = 500;

/** Adds each event to its account stream and the firehose once (dedupe keys); fails if any one failed. */
function publisher(redis: Redis, streamPrefix: string) {
  const args = (event: WorkflowEvent) =>
    publishOnceArgs({
      accountStream: accountStreamKey(streamPrefix, event.account),
      dedupeKey: `${streamPrefix}:event-keys:${event.eventKey}`,
      allStream: firehoseStreamKey(streamPrefix),
      allMaxLength: FIREHOSE_MAX_LENGTH,
      field: 'event',
      json: JSON.stringify(event),
    });
  const idOf = (id: unknown) => (typeof id === 'string' ? id : null);
  // Several events in order, in one round trip (a pipeline keeps their order).
  return async (events: readonly WorkflowEvent[]): Promise<(string | null)[]> => {
    if (!events.length) return [];
    const pipeline = redis.pipeline();
    for (const event of events) pipeline.eval(...args(event));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed || results.length !== events.length) throw failed?.[0] ?? new Error('the event pipeline did not run');
    return results.map(([, id]) => idOf(id));
  };
}

/**
 * Publishing workflow events (ARCHITECTURE §7): straight to Redis; when Redis is unreachable (its client is
 * not connected, or it does not answer within PUBLISH_TIMEOUT_MS), into the Postgres outbox instead, so that
 * no workflow step waits on Redis. Once this process has parked an event, later ones follow it into the
 * outbox until the outbox is empty again (the worker's drain emptied it), so a workflow's events keep their
 * order. Only when both stores fail does the activity fail (and Temporal retries it). Returns each event's
 * stream ID, or null (already published, or parked).
 */
export function createEventActivities(redis: Redis, streamPrefix: string, db?: Database) {
  const publish = publisher(redis, streamPrefix);
  let parking = false;
  const park = async (events: WorkflowEvent[]) => {
    await db!
      .insert(eventOutbox)
      .values(events.map((event) => ({ eventKey: event.eventKey, event, createdAt: new Date() })))
      .onConflictDoNothing();
    parking = true;
    return events.map(() => null);
  };
  const publishOrPark = async (events: WorkflowEvent[]): Promise<(string | null)[]> => {
    if (!db || !events.length) return publish(events);
    if (parking) {
      const waiting = await db.select({ seq: eventOutbox.seq }).from(eventOutbox).limit(1);
      if (waiting.length) return park(events);
      parking = false;
    }
    // A command queued while the client reconnects would run whenever Redis is back, after events parked
    // since: not connected means parked now.
    if (redis.status !== 'ready') return park(events);
    try {
      return await withTimeout(publish(events), PUBLISH_TIMEOUT_MS, 'Redis');
    } catch {
      return park(events);
    }
  };
  return {
    async publishWorkflowEvent(event: WorkflowEvent): Promise<string | null> {
      return (await publishOrPark([event]))[0] ?? null;
    },
    /**
     * Several events in order, in one round trip: steps that ran inside one activity, or a liquidation
     * batch's accounts, are reported together.
     */
    async publishWorkflowEvents(events: WorkflowEvent[]): Promise<(string | null)[]> {
      return publishOrPark(events);
    },
  };
}

/**
 * Moves parked events to the streams, oldest first, DRAIN_BATCH at a time; returns how many moved. Safe to
 * run in several processes at once: an event published twice is added once (its dedupe key).
 */
export async function drainEventOutbox(redis: Redis, streamPrefix: string, db: Database): Promise<number> {
  const rows = await db.select().from(eventOutbox).orderBy(asc(eventOutbox.seq)).limit(DRAIN_BATCH);
  if (!rows.length) return 0;
  if (redis.status !== 'ready') throw new Error(`${rows.length}+ events wait in the outbox: Redis is not connected`);
  await withTimeout(
    publisher(redis, streamPrefix)(rows.map((r) => r.event as WorkflowEvent)),
    PUBLISH_TIMEOUT_MS,
    'Redis',
  );
  await db.delete(eventOutbox).where(
    inArray(
      eventOutbox.seq,
      rows.map((r) => r.seq),
    ),
  );
  return rows.length;
}

/** Drains the outbox every `everyMs` until the returned function is called (the worker runs it). */
export function startEventOutboxDrain(
  redis: Redis,
  streamPrefix: string,
  db: Database,
  onError: (err: unknown) => void,
  everyMs = 1_000,
): () => void {
  return startDrain(() => drainEventOutbox(redis, streamPrefix, db), DRAIN_BATCH, onError, everyMs);
}
