import { Router } from 'express';
import { z } from 'zod';
import { and, desc, eq, gte, lte, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { DEFAULT_MARKETS, type MarketParams } from '../../domain/perp';
import { fundingRates, insights, oraclePrices } from '../../drizzle/schema';
import { marketStateStreamKey } from '../../services/mikey/streams';
import { OUTSIDE_STATUS_MAX_AGE_MS, outsideStreamKey, readOutsideStatus } from '../../services/mikey/outside/source';

import type { InsightView, InsightWorkings } from '../../domain/insights';
import * as schema from '../../drizzle/schema';
import { fetchMarket } from '../../solana/accounts';
import { HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';

export const CANDLE_INTERVALS = { '1m': 60, '5m': 300, '15m': 900, '1h': 3_600, '4h': 14_400, '1d': 86_400 } as const;

const symbolParams = z
  .object({ symbol: z.enum(DEFAULT_MARKETS.map((m) => m.symbol) as [string, ...string[]]) })
  .strict();
const candleQuery = z
  .object({
    interval: z.enum(Object.keys(CANDLE_INTERVALS) as [keyof typeof CANDLE_INTERVALS]).default('1m'),
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(300),
  })
  .strict();

const intelligenceQuery = z
  .object({
    kind: z
      .string()
      .regex(/^[a-z-]{1,40}$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

const marketOf = (symbol: string): MarketParams => DEFAULT_MARKETS.find((m) => m.symbol === symbol)!;

/** The latest price the feed published (Redis stream), or null before the first tick. */
async function latestPrice(deps: ApiDeps, symbol: string): Promise<{ price: string; at: string; slot: string } | null> {
  const [entry] = await deps.redis.xrevrange(`${deps.config.streamPrefix}:prices:${symbol}`, '+', '-', 'COUNT', 1);
  if (!entry) return null;
  const f = entry[1];
  const get = (k: string) => f[f.indexOf(k) + 1]!;
  return { price: get('price'), at: get('at'), slot: get('slot') };
}

/**
 * Public market data: GET /v1/markets (board: price, 24h change, funding, open interest, parameters),
 * GET /v1/prices, GET /v1/markets/:symbol/candles (OHLC from the recorded oracle prices).
 */
export function createMarketRouter(deps: ApiDeps): Router {
  const router = Router();
  const db = drizzle(deps.pool, { schema });

  router.get('/v1/markets', async (_req, res) => {
    const dayAgo = new Date(Date.now() - 86_400_000);
    const markets = await Promise.all(
      DEFAULT_MARKETS.map(async (m) => {
        const [last, [open], [funding], chain] = await Promise.all([
          latestPrice(deps, m.symbol),
          db
            .select({ price: oraclePrices.price })
            .from(oraclePrices)
            .where(and(eq(oraclePrices.marketIndex, m.marketIndex), gte(oraclePrices.publishedAt, dayAgo)))
            .orderBy(oraclePrices.publishedAt)
            .limit(1),
          db
            .select()
            .from(fundingRates)
            .where(eq(fundingRates.marketIndex, m.marketIndex))
            .orderBy(desc(fundingRates.epoch))
            .limit(1),
          deps.rpcPool ? fetchMarket(deps.rpcPool, m.marketIndex).catch(() => null) : Promise.resolve(null),
        ]);
        const change24hBps =
          last && open && open.price > 0n
            ? (((BigInt(last.price) - open.price) * 10_000n) / open.price).toString()
            : null;
        return {
          marketIndex: m.marketIndex,
          symbol: m.symbol,
          price: last?.price ?? null,
          priceAt: last?.at ?? null,
          change24hBps,
          fundingRate: funding ? funding.rate.toString() : null,
          fundingEpoch: funding ? funding.epoch.toString() : null,
          longOpenInterest: chain ? chain.longOpenInterest.toString() : null,
          shortOpenInterest: chain ? chain.shortOpenInterest.toString() : null,
          paused: chain ? chain.paused : null,
          params: {
            initialMarginBps: m.initialMarginBps.toString(),
            maintenanceMarginBps: m.maintenanceMarginBps.toString(),
            imfBpsPerSqrtUnit: m.imfBpsPerSqrtUnit.toString(),
            takerFeeBps: m.takerFeeBps.toString(),
            liquidationFeeBps: m.liquidationFeeBps.toString(),
            skewScaleBase: m.skewScaleBase.toString(),
            maxOpenInterestBase: m.maxOpenInterestBase.toString(),
            fundingRateCap: m.fundingRateCap.toString(),
          },
        };
      }),
    );
    res.json({ markets });
  });

  router.get('/v1/prices', async (_req, res) => {
    const prices = await Promise.all(
      DEFAULT_MARKETS.map(async (m) => ({
        marketIndex: m.marketIndex,
        symbol: m.symbol,
        ...(await latestPrice(deps, m.symbol)),
      })),
    );
    res.json({ prices });
  });

  router.get('/v1/markets/:symbol/candles', async (req, res) => {
    const { symbol } = parseInput(symbolParams, req.params, 'params');
    const q = parseInput(candleQuery, req.query, 'query');
    const seconds = CANDLE_INTERVALS[q.interval];
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - seconds * 1000 * q.limit);
    if (from >= to) throw new HttpError(400, 'invalid_request', '`from` must be before `to`');
    // The interval inline (an integer from the fixed table above), so select and group by are one expression.
    const bucket = sql<Date>`date_bin(${sql.raw(`'${seconds} seconds'`)}::interval, ${oraclePrices.publishedAt}, timestamptz '2000-01-01')`;
    const rows = await db
      .select({
        start: bucket,
        open: sql<string>`(array_agg(${oraclePrices.price} order by ${oraclePrices.publishedAt}))[1]`,
        high: sql<string>`max(${oraclePrices.price})`,
        low: sql<string>`min(${oraclePrices.price})`,
        close: sql<string>`(array_agg(${oraclePrices.price} order by ${oraclePrices.publishedAt} desc))[1]`,
        ticks: sql<number>`count(*)::int`,
      })
      .from(oraclePrices)
      .where(
        and(
          eq(oraclePrices.marketIndex, marketOf(symbol).marketIndex),
          gte(oraclePrices.publishedAt, from),
          lte(oraclePrices.publishedAt, to),
        ),
      )
      .groupBy(bucket)
      .orderBy(desc(bucket))
      .limit(q.limit);
    res.json({
      symbol,
      interval: q.interval,
      candles: rows.reverse().map((r) => ({
        start: new Date(r.start).toISOString(),
        open: String(r.open),
        high: String(r.high),
        low: String(r.low),
        close: String(r.close),
        ticks: r.ticks,
      })),
    });
  });
  // MIKEY's view of a market: its latest sample from the chain (open interest, funding, TWAPs, the
  // liquidation map) and its recent insights with their workings, newest first.
  router.get('/v1/markets/:symbol/intelligence', async (req, res) => {
    const { symbol } = parseInput(symbolParams, req.params, 'params');
    const q = parseInput(intelligenceQuery, req.query, 'query');
    const prefix = deps.config.streamPrefix;
    const [[latest], rows, recent, statuses] = await Promise.all([
      deps.redis.xrevrange(marketStateStreamKey(prefix, symbol), '+', '-', 'COUNT', 1),
      db
        .select()
        .from(insights)
        .where(and(eq(insights.market, symbol), q.kind ? eq(insights.kind, q.kind) : undefined))
        .orderBy(desc(insights.at))
        .limit(q.limit),
      deps.redis.xrevrange(outsideStreamKey(prefix, symbol), '+', '-', 'COUNT', 20),
      readOutsideStatus(deps.redis, prefix, Date.now(), OUTSIDE_STATUS_MAX_AGE_MS),
    ]);
    // Each venue's latest reading of the market (integers as strings), beside its status: a source that is
    // not answering is shown unavailable, a replayed one as replay, never as live.
    const readings = new Map<string, unknown>();
    for (const [, f] of recent) {
      const reading = JSON.parse(f[f.indexOf('reading') + 1]!) as { venue: string };
      if (!readings.has(reading.venue)) readings.set(reading.venue, { ...reading, readAt: f[f.indexOf('at') + 1] });
    }
    const fields = latest?.[1];
    const sample = fields ? fields[fields.indexOf('sample') + 1] : undefined;
    res.json({
      symbol,
      // The sample as MIKEY recorded it (integers as decimal strings), or null before its first.
      state: sample ? (JSON.parse(sample) as unknown) : null,
      outside: statuses.map((s) => ({ ...s, reading: readings.get(s.venue) ?? null })),
      insights: rows.map((r): InsightView => ({
        id: r.id,
        kind: r.kind,
        at: r.at.toISOString(),
        summary: r.summary,
        value: r.value,
        workings: r.workings as InsightWorkings,
      })),
    });
  });
  return router;
}

export const marketRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/markets',
    summary: 'The markets board: price, 24h change, last funding rate, open interest, parameters',
    auth: 'public',
    responses: { 200: 'every listed market', 429: 'rate limited' },
  },
  {
    method: 'get',
    path: '/v1/prices',
    summary: 'The latest oracle price of each market',
    auth: 'public',
    responses: { 200: 'prices (PRICE_PRECISION strings)', 429: 'rate limited' },
  },
  {
    method: 'get',
    path: '/v1/markets/:symbol/candles',
    summary: 'OHLC candles from the recorded oracle prices',
    auth: 'public',
    params: symbolParams,
    query: candleQuery,
    responses: { 200: 'candles, oldest first', 400: 'invalid input', 429: 'rate limited' },
  },
  {
    method: 'get',
    path: '/v1/markets/:symbol/intelligence',
    summary:
      "MIKEY's latest sample of the market (open interest, funding, TWAPs, liquidation map) and its recent insights",
    auth: 'public',
    params: symbolParams,
    query: intelligenceQuery,
    responses: { 200: 'state and insights, newest first', 400: 'invalid input', 429: 'rate limited' },
  },
];
