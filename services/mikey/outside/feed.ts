import type { Redis } from 'ioredis';
import { CcxtSource, loadRecording, type Venue } from './ccxt-source';
import { encodeReading, outsideStatusKey, outsideStreamKey, type OutsideSource, type SourceStatus } from './source';

const READINGS_MAX_LENGTH = 10_000;

/** The configured venues, each in replay mode (from its committed recording) or live. */
export function outsideSources(venues: readonly Venue[], mode: 'replay' | 'live'): OutsideSource[] {
  return venues.map((v) => new CcxtSource(v, mode === 'replay' ? loadRecording(v) : null));
}

/**
 * Reads every source for `markets` and records each reading in `<prefix>:outside:<market>` (with MIKEY's
 * time of reading: an input of its consumer group like the others), and each source's status in
 * `<prefix>:outside-status`: its mode when the read succeeded, `unavailable` with the error when not.
 */
export async function pollOutside(
  redis: Redis,
  prefix: string,
  sources: readonly OutsideSource[],
  markets: readonly string[],
  now: Date,
): Promise<SourceStatus[]> {
  const statuses: SourceStatus[] = [];
  for (const source of sources) {
    let status: SourceStatus;
    try {
      const readings = await source.read(markets);
      for (const r of readings)
        await redis.xadd(
          outsideStreamKey(prefix, r.market),
          'MAXLEN',
          '~',
          READINGS_MAX_LENGTH,
          '*',
          ...encodeReading(r),
          'at',
          now.toISOString(),
        );
      status = { venue: source.venue, state: source.mode, checkedAt: now.toISOString(), error: null };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      status = { venue: source.venue, state: 'unavailable', checkedAt: now.toISOString(), error: error.slice(0, 300) };
    }
    await redis.hset(outsideStatusKey(prefix), source.venue, JSON.stringify(status));
    statuses.push(status);
  }
  return statuses;
}
