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
  const publishOnce = async (event: WorkflowEvent): Promise<string | null> => {
    const stream = accountStreamKey(streamPrefix, event.account);
    const dedupeKey = `${streamPrefix}:event-keys:${event.eventKey}`;
    const id = await redis.eval(PUBLISH_ONCE, 3, stream, dedupeKey, firehoseStreamKey(streamPrefix), DEDUPE_TTL_SECONDS, STREAM_MAX_LENGTH, JSON.stringify(event), FIREHOSE_MAX_LENGTH);
    return typeof id === 'string' ? id : null;
  };
  return {
    publishWorkflowEvent: publishOnce,
    /** Several events in order, in one activity (steps that ran inside one activity are reported together). */
    async publishWorkflowEvents(events: WorkflowEvent[]): Promise<(string | null)[]> {
      const ids = [];
      for (const event of events) ids.push(await publishOnce(event));
      return ids;
    },
  };
}
