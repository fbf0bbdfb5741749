import type { Redis } from 'ioredis';
import { accountStreamKey, firehoseStreamKey, type WorkflowEvent } from '../../domain/workflow-events';

/** Entries kept per account stream; older ones are trimmed (Postgres holds the durable history). */
export const STREAM_MAX_LENGTH = 10_000;
/** Entries kept in the stream of all accounts' events. */
export const FIREHOSE_MAX_LENGTH = 200_000;
const DEDUPE_TTL_SECONDS = 7 * 24 * 3600;

// SET NX + XADD in one script: a retried activity finds the dedupe key and adds nothing. The event goes
// to its account's stream and to the firehose, which carries the account stream's entry ID so that live
// and replayed events share one ordering (clients resume by it).
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[3])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'event', ARGV[3], 'accountEventId', id)
  return id
end
return false`;

export function createEventActivities(redis: Redis, streamPrefix: string) {
  const args = (event: WorkflowEvent) =>
    [
      PUBLISH_ONCE,
      3,
      accountStreamKey(streamPrefix, event.account),
      `${streamPrefix}:event-keys:${event.eventKey}`,
      firehoseStreamKey(streamPrefix),
      DEDUPE_TTL_SECONDS,
      STREAM_MAX_LENGTH,
      JSON.stringify(event),
      FIREHOSE_MAX_LENGTH,
    ] as const;
  const idOf = (id: unknown) => (typeof id === 'string' ? id : null);
  return {
    async publishWorkflowEvent(event: WorkflowEvent): Promise<string | null> {
      return idOf(await redis.eval(...args(event)));
    },
    /**
     * Several events in order, in one round trip (a pipeline keeps their order): steps that ran inside one
     * activity, or a liquidation batch's accounts, are reported together. Fails if any one failed.
     */
    async publishWorkflowEvents(events: WorkflowEvent[]): Promise<(string | null)[]> {
      if (!events.length) return [];
      const pipeline = redis.pipeline();
      for (const event of events) pipeline.eval(...args(event));
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed || results.length !== events.length) throw failed?.[0] ?? new Error('the event pipeline did not run');
      return results.map(([, id]) => idOf(id));
    },
  };
}
