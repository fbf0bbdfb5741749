import type { Redis } from 'ioredis';

// Third-party market data (issue 14, item 5): reference prices, funding and open interest from other venues,
// behind one interface. Amounts are the program's integers (PRICE 1e6, BASE 1e9, funding per hour 1e9).

/** One venue's view of one of our markets at `at` (the venue's time). */
export interface OutsideReading {
  venue: string;
  /** `replay`: from a recording, not the venue now (the panel and the insights say so). */
  mode: 'live' | 'replay';
  /** Our market's symbol (SOL-PERP). */
  market: string;
  /** The venue's instrument (SOL/USDT:USDT). */
  instrument: string;
  at: string;
  /** Last traded price, PRICE_PRECISION. */
  price: bigint;
  /** The venue's index (its reference spot price), PRICE_PRECISION, when it publishes one. */
  indexPrice: bigint | null;
  /** Its current funding rate converted to a rate per hour, FUNDING_RATE_PRECISION. */
  fundingRatePerHour: bigint | null;
  /** Open interest in base units, BASE_PRECISION. */
  openInterest: bigint | null;
}

/**
 * How a source is reached: `live` (the venue's API), `replay` (committed recorded responses, for machines
 * that reach no exchange: never shown as live), or `unavailable` (its last read failed).
 */
export type SourceState = 'live' | 'replay' | 'unavailable';

export interface SourceStatus {
  venue: string;
  state: SourceState;
  /** When MIKEY last read it (its own clock), and the last failure's message. */
  checkedAt: string;
  error: string | null;
}

/** A venue behind one interface: the readings of the markets it lists, or a failure. */
export interface OutsideSource {
  readonly venue: string;
  /** What a successful read is: `live`, or `replay` of recorded responses. */
  readonly mode: 'live' | 'replay';
  read(markets: readonly string[]): Promise<OutsideReading[]>;
}

/** Stream of one market's outside readings: one of MIKEY's inputs (replayable like the rest). */
export const outsideStreamKey = (prefix: string, symbol: string): string => `${prefix}:outside:${symbol}`;
/** Hash of every source's status (venue -> JSON SourceStatus), for /health and the Intelligence panel. */
export const outsideStatusKey = (prefix: string): string => `${prefix}:outside-status`;

/** A source MIKEY has not read for this long is reported unavailable (QD_OUTSIDE_MS is a minute by default). */
export const OUTSIDE_STATUS_MAX_AGE_MS = 5 * 60_000;

/**
 * Every source's last status as MIKEY recorded it; one not checked within `maxAgeMs` is `unavailable`
 * (MIKEY stopped reading it), never shown as live.
 */
export async function readOutsideStatus(
  redis: Redis,
  prefix: string,
  nowMs: number,
  maxAgeMs: number,
): Promise<SourceStatus[]> {
  const all = await redis.hgetall(outsideStatusKey(prefix));
  return Object.values(all)
    .map((json) => JSON.parse(json) as SourceStatus)
    .map((s) =>
      nowMs - Date.parse(s.checkedAt) > maxAgeMs
        ? {
            ...s,
            state: 'unavailable' as const,
            error: `not read for ${Math.round((nowMs - Date.parse(s.checkedAt)) / 1000)} s`,
          }
        : s,
    )
    .sort((a, b) => a.venue.localeCompare(b.venue));
}

const BIG_KEYS = new Set(['price', 'indexPrice', 'fundingRatePerHour', 'openInterest']);

export function encodeReading(r: OutsideReading): string[] {
  return ['reading', JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))];
}

export function decodeReading(json: string): OutsideReading {
  return JSON.parse(json, (k, v: unknown) =>
    BIG_KEYS.has(k) && typeof v === 'string' ? BigInt(v) : v,
  ) as OutsideReading;
}

/**
 * A decimal as a venue prints it ("150.12", "1e-05", "8123456.789") as an integer of `decimals` places,
 * truncated toward zero; null when it is no finite decimal.
 */
export function decimalToInteger(text: string, decimals: number): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text.trim());
  if (!m) return null;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const point = m[2]!.length + Number(m[4] ?? 0) + decimals;
  if (point > 60) return null;
  const whole = point <= 0 ? '0' : digits.padEnd(point, '0').slice(0, point);
  const v = BigInt(whole || '0');
  return m[1] === '-' ? -v : v;
}
