import type { Redis } from 'ioredis';
import { BPS_PRECISION, PRICE_PRECISION } from '../../domain/perp';

/** A deterministic source of uniform integers, so a price path can be replayed from its seed. */
export function seededRandom(seed: bigint): (below: bigint) => bigint {
  let state = seed === 0n ? 0x9e3779b97f4a7c15n : seed;
  const mask = (1n << 64n) - 1n;
  return (below: bigint) => {
    state ^= state >> 12n;
    state ^= (state << 25n) & mask;
    state ^= state >> 27n;
    return ((state * 2685821657736338717n) & mask) % below;
  };
}

export interface PricePath {
  /** Largest ordinary move per step, in bps. */
  stepBps: bigint;
  /** Chance of a jump per step, per mille. */
  jumpPermille: bigint;
  /** Largest jump, in bps. */
  jumpBps: bigint;
}

export const DEFAULT_PATH: PricePath = { stepBps: 10n, jumpPermille: 5n, jumpBps: 300n };

/** One step of a random walk with jumps (integer bps moves, never below one cent). */
export function nextPrice(price: bigint, path: PricePath, random: (below: bigint) => bigint): bigint {
  const move = random(2n * path.stepBps + 1n) - path.stepBps;
  const jump = random(1000n) < path.jumpPermille ? random(2n * path.jumpBps + 1n) - path.jumpBps : 0n;
  const next = price + (price * (move + jump)) / BPS_PRECISION;
  return next > PRICE_PRECISION / 100n ? next : PRICE_PRECISION / 100n;
}

export interface FeedMarket {
  marketIndex: number;
  symbol: string;
  price: bigint;
}

export interface PublishedPrice {
  marketIndex: number;
  price: bigint;
  confidence: bigint;
  slot: number;
  at: Date;
}

export interface PriceSink {
  /** Writes the market's oracle, Pyth or Switchboard as the market names (the localnet's dev control). */
  publish(marketIndex: number, price: bigint, confidence: bigint): Promise<{ slot: number }>;
}

/**
 * The local price feed: moves every market one step, writes each new price to its oracle account (Pyth or Switchboard) and to
 * the Redis Stream `<prefix>:prices:<symbol>` that the API and the risk monitor read.
 */
export class PriceFeed {
  constructor(
    private readonly markets: FeedMarket[],
    private readonly sink: PriceSink,
    private readonly redis: Redis,
    private readonly streamPrefix: string,
    private readonly random: (below: bigint) => bigint,
    private readonly path: PricePath = DEFAULT_PATH,
    /** Durable record of every published price (oracle_prices, for candles and audits). */
    private readonly record: (prices: PublishedPrice[]) => Promise<void> = async () => undefined,
  ) {}

  prices(): ReadonlyMap<string, bigint> {
    return new Map(this.markets.map((m) => [m.symbol, m.price]));
  }

  async step(now: Date): Promise<void> {
    const published: PublishedPrice[] = [];
    for (const market of this.markets) {
      market.price = nextPrice(market.price, this.path, this.random);
      const confidence = market.price / 2_000n; // 5 bps
      const { slot } = await this.sink.publish(market.marketIndex, market.price, confidence);
      await this.redis.xadd(
        `${this.streamPrefix}:prices:${market.symbol}`,
        'MAXLEN',
        '~',
        '100000',
        '*',
        'price',
        market.price.toString(),
        'confidence',
        confidence.toString(),
        'slot',
        String(slot),
        'at',
        now.toISOString(),
      );
      published.push({ marketIndex: market.marketIndex, price: market.price, confidence, slot, at: now });
    }
    await this.record(published);
  }
}

/** A PriceSink writing through the localnet's control API. */
export function localnetSink(controlUrl: string): PriceSink {
  return {
    async publish(marketIndex, price, confidence) {
      const res = await fetch(`${controlUrl}/oracle`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ marketIndex, price: price.toString(), confidence: confidence.toString() }),
      });
      if (!res.ok)
        throw new Error(`localnet refused the price for market ${marketIndex}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { slot: number };
    },
  };
}
