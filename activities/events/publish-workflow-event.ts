import type { Redis } from 'ioredis';
import { accountStreamKey, type WorkflowEvent } from '../../domain/workflow-events';

/** Entries kept per account stream; older ones are trimmed (Postgres holds the durable history). */
export const STREAM_MAX_LENGTH = 10_000;
const DEDUPE_TTL_SECONDS = 7 * 24 * 3600;

// SET NX + XADD in one script: a retried activity finds the dedupe key and adds nothing.
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[3])
end
return false`;

export function createEventActivities(redis: Redis, streamPrefix: string) {
  return {
    async publishWorkflowEvent(event: WorkflowEvent): Promise<string | null> {
      const stream = accountStreamKey(streamPrefix, event.account);
      const dedupeKey = `${streamPrefix}:event-keys:${event.eventKey}`;
      const id = await redis.eval(PUBLISH_ONCE, 2, stream, dedupeKey, DEDUPE_TTL_SECONDS, STREAM_MAX_LENGTH, JSON.stringify(event));
      return typeof id === 'string' ? id : null;
    },
  };
}
