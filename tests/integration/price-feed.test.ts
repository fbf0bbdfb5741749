import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicKey } from '@solana/web3.js';
import { oracleKindOf, oracleVerdict, readOraclePrice } from '../../solana/pyth-reader';
import { SWITCHBOARD_ON_DEMAND_PROGRAM } from '../../solana/switchboard-reader';
import { fetchPricedMarket } from '../../solana/accounts';
import {
  localnetSink,
  PriceFeed,
  seededRandom,
  DEFAULT_PATH,
  type PublishedPrice,
} from '../../services/price-feed/price-feed';
import { RpcPool } from '../../solana/rpc-pool';
import { DEFAULT_MARKETS, INITIAL_PRICES } from '../../domain/perp';
import { loadConfig } from '../../platform/config';
import { createRedis } from '../../platform/redis';
import { startLocalnet, type Localnet } from '../support/localnet';

let ln: Localnet;
let pool: RpcPool;
const redis = createRedis(loadConfig().redis.url, 'price-feed-test');
const prefix = `qd-it-feed-${process.pid}`;

beforeAll(async () => {
  ln = await startLocalnet(2);
  pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
}, 120_000);

afterAll(async () => {
  await ln?.stop();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const oracleOf = (i: number) => new PublicKey(ln.bootstrap.markets[i]!.oracle);

describe('the Pyth reader and the local price feed', () => {
  it('reads the bootstrapped Pyth accounts with @pythnetwork/client', async () => {
    const reading = await readOraclePrice(pool, oracleOf(1));
    expect(reading.price).toBe(INITIAL_PRICES.get(1));
    expect(reading.trading).toBe(true);
    expect(oracleVerdict(DEFAULT_MARKETS[1]!, reading, reading.publishSlot, reading.price)).toBe('ok');
  });

  it('reads the market listed on Switchboard (ETH-PERP) from its on-demand pull feed, and a feed without samples as stale', async () => {
    const eth = ln.bootstrap.markets.find((m) => m.symbol === 'ETH-PERP')!;
    expect(eth.oracleSource).toBe('switchboard');
    expect(ln.bootstrap.markets.filter((m) => m.oracleSource === 'pyth').map((m) => m.symbol)).toEqual([
      'SOL-PERP',
      'BTC-PERP',
    ]);
    // The program's market names the kind too, and the reader picks it from there.
    const { market, reading } = await fetchPricedMarket(pool, 2);
    expect(oracleKindOf(market)).toBe('switchboard');
    expect(reading).toMatchObject({ price: INITIAL_PRICES.get(2), trading: true });
    expect(reading.confidence).toBe(INITIAL_PRICES.get(2)! / 2_000n);
    // The localnet's control publishes the feed (its owner is Switchboard's on-demand program).
    const { slot, kind } = await ln.control<{ slot: number; kind: string }>('/oracle', {
      marketIndex: 2,
      price: '3123450000',
      confidence: '1000000',
    });
    expect(kind).toBe('switchboard');
    const info = await pool.call('read the feed', (c) => c.getAccountInfo(new PublicKey(eth.oracle)));
    expect(info!.owner.toBase58()).toBe(SWITCHBOARD_ON_DEMAND_PROGRAM);
    const fresh = await readOraclePrice(pool, new PublicKey(eth.oracle), 'switchboard');
    expect(fresh).toEqual({ price: 3_123_450_000n, confidence: 1_000_000n, publishSlot: BigInt(slot), trading: true });
    expect(oracleVerdict(DEFAULT_MARKETS[2]!, fresh, BigInt(slot), fresh.price)).toBe('ok');
  });

  it('writes each step of the price path to the Pyth accounts and to the Redis streams', async () => {
    const markets = ln.bootstrap.markets.map((m) => ({
      marketIndex: m.marketIndex,
      symbol: m.symbol,
      price: INITIAL_PRICES.get(m.marketIndex)!,
    }));
    const recorded: PublishedPrice[][] = [];
    const feed = new PriceFeed(
      markets,
      localnetSink(ln.controlUrl),
      redis,
      prefix,
      seededRandom(7n),
      DEFAULT_PATH,
      async (p) => void recorded.push(p),
    );
    await feed.step(new Date('2026-11-25T12:00:00Z'));
    await feed.step(new Date('2026-11-25T12:00:01Z'));
    expect(recorded.map((step) => step.map((p) => p.marketIndex))).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(recorded[1]!.map((p) => p.price)).toEqual(markets.map((m) => feed.prices().get(m.symbol)));
    for (const m of ln.bootstrap.markets) {
      const onChain = await readOraclePrice(pool, new PublicKey(m.oracle), m.oracleSource);
      expect(onChain.price).toBe(feed.prices().get(m.symbol));
      const entries = await redis.xrange(`${prefix}:prices:${m.symbol}`, '-', '+');
      expect(entries).toHaveLength(2);
      expect(entries[1]![1]).toEqual(
        expect.arrayContaining(['price', onChain.price.toString(), 'at', '2026-11-25T12:00:01.000Z']),
      );
    }
  });

  it('calls a feed older than the market allows stale', async () => {
    const reading = await readOraclePrice(pool, oracleOf(0));
    const { slot } = await ln.control<{ slot: number }>('/advance', { slots: 30, secs: 12 });
    expect(oracleVerdict(DEFAULT_MARKETS[0]!, reading, BigInt(slot), reading.price)).toBe('stale');
  });

  it('replays the same path from the same seed', () => {
    const a = seededRandom(42n);
    const b = seededRandom(42n);
    expect([a(1000n), a(1000n), a(1000n)]).toEqual([b(1000n), b(1000n), b(1000n)]);
  });
});
