import { Context } from '@temporalio/activity';

/** How often a running activity tells Temporal it is alive (the workflows' heartbeat timeout is a few times this). */
export const HEARTBEAT_EVERY_MS = 1_000;

type AnyActivity = (...args: never[]) => Promise<unknown>;

/**
 * Every activity heartbeats while it runs: when its worker dies, Temporal retries it on another worker
 * after the heartbeat timeout (seconds), not after the whole start-to-close timeout. Outside an activity
 * (benchmarks calling them directly) the functions run as they are.
 */
export function withHeartbeats<T extends Record<string, AnyActivity>>(
  activities: T,
  observe?: (name: string, seconds: number, ok: boolean) => void,
): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    const run = async (...args: never[]) => {
      let context: Context;
      try {
        context = Context.current();
      } catch {
        return fn(...args);
      }
      if (context.info.isLocal) return fn(...args); // local activities do not heartbeat
      const timer = setInterval(() => context.heartbeat(progress.get(context)), HEARTBEAT_EVERY_MS);
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    };
    // Measured (the worker's metrics), when an observer is given: each run's time and whether it threw.
    wrapped[name] = observe
      ? async (...args) => {
          const started = performance.now();
          let ok = false;
          try {
            const value = await run(...args);
            ok = true;
            return value;
          } finally {
            observe(name, (performance.now() - started) / 1000, ok);
          }
        }
      : run;
  }
  return wrapped as T;
}

/** Each running activity's latest progress details, sent with its next heartbeat. */
const progress = new WeakMap<Context, unknown>();

/**
 * Progress details for the running activity's next heartbeat (within HEARTBEAT_EVERY_MS): a batch that
 * reports every account's episode would otherwise encode and hand over a heartbeat per account, a few
 * percent of the liquidation worker's CPU in a crash. Does nothing outside an activity.
 */
export function heartbeatProgress(details: unknown): void {
  try {
    progress.set(Context.current(), details);
  } catch {
    // not inside an activity (a benchmark calling it directly)
  }
}
