import { Router } from 'express';
import { z } from 'zod';
import { desc, eq, sql } from 'drizzle-orm';
import { DEFAULT_MARKETS } from '../../domain/perp';
import { MAX_SUBSCRIPTIONS_PER_ACCOUNT, type AlertKind, type TraderAlertView } from '../../domain/alerts';
import type { InsightWorkings } from '../../domain/insights';
import { alertSubscriptions, traderAlerts } from '../../drizzle/schema';
import { readAsWallet, writeAsWallet } from '../../platform/postgres';
import { HttpError, parseInput } from '../http-error';
import { requireOwnAccount, requireSession } from '../auth/middleware';
import type { ApiDeps } from '../deps';
import { SESSION_ERRORS, type RouteSpec } from '../openapi';
import { base58Key } from '../schemas';

const market = z.enum(DEFAULT_MARKETS.map((m) => m.symbol) as [string, ...string[]]);
const common = { account: base58Key, market: market.optional() };
/** What a trader may subscribe to (domain/alerts.ts); a market left out means every market the account holds. */
const subscriptionBody = z.discriminatedUnion('kind', [
  z
    .object({
      ...common,
      kind: z.literal('liquidation-distance'),
      /** Alert when the oracle is within this many bps of the position's liquidation price (0.1 %–50 %). */
      thresholdBps: z.number().int().min(10).max(5_000),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('funding-apr'),
      /** Alert when the position's side pays at least this APR in bps (1 %–10,000 %). */
      thresholdBps: z.number().int().min(100).max(1_000_000),
    })
    .strict(),
  z.object({ ...common, kind: z.literal('liquidation-cascade') }).strict(),
]);

/** A subscription's ID is its business key: the account, the kind, the market (or all) and the threshold. */
const SUBSCRIPTION_ID = /^[1-9A-HJ-NP-Za-km-z]{32,44}:[a-z-]{1,30}:(\d{1,3}|all):(\d{1,7}|-)$/;
const subscriptionParams = z.object({ id: z.string().regex(SUBSCRIPTION_ID, 'a subscription ID') }).strict();
const listQuery = z.object({ account: base58Key.optional() }).strict();
const alertsQuery = z
  .object({ account: base58Key.optional(), limit: z.coerce.number().int().min(1).max(500).default(50) })
  .strict();

export const subscriptionIdOf = (s: {
  account: string;
  kind: AlertKind;
  marketIndex: number | null;
  thresholdBps: number | null;
}) => `${s.account}:${s.kind}:${s.marketIndex ?? 'all'}:${s.thresholdBps ?? '-'}`;

const symbolOf = (index: number | null) => DEFAULT_MARKETS.find((m) => m.marketIndex === index)?.symbol ?? null;

function viewOf(row: typeof alertSubscriptions.$inferSelect) {
  return {
    id: row.id,
    account: row.account,
    kind: row.kind,
    market: symbolOf(row.marketIndex),
    thresholdBps: row.thresholdBps,
    firing: row.firing.map(symbolOf),
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * A trader's alert subscriptions and the alerts MIKEY fired for them (issue 14). Every read and write runs
 * as the signed-in wallet under Row Level Security (platform/postgres writeAsWallet): another wallet's rows
 * are invisible and cannot be written, whatever the request says. Alerts also arrive live on the account's
 * socket room (`trader-alert`) and in its event stream.
 */
export function createAlertRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/alerts/subscriptions', async (req, res) => {
    const session = requireSession(res);
    const q = parseInput(listQuery, req.query, 'query');
    const rows = await readAsWallet(deps.pool, session.wallet, (db) =>
      db
        .select()
        .from(alertSubscriptions)
        .where(q.account ? eq(alertSubscriptions.account, q.account) : undefined)
        .orderBy(alertSubscriptions.createdAt),
    );
    res.json({ subscriptions: rows.map(viewOf) });
  });

  router.post('/v1/alerts/subscriptions', async (req, res) => {
    const session = requireSession(res);
    const body = parseInput(subscriptionBody, req.body, 'body');
    requireOwnAccount(res, body.account);
    const key = {
      account: body.account,
      kind: body.kind,
      marketIndex: body.market ? DEFAULT_MARKETS.find((m) => m.symbol === body.market)!.marketIndex : null,
      thresholdBps: 'thresholdBps' in body ? body.thresholdBps : null,
    };
    const id = subscriptionIdOf(key);
    const { row, created } = await writeAsWallet(deps.pool, session.wallet, async (db) => {
      const [existing] = await db.select().from(alertSubscriptions).where(eq(alertSubscriptions.id, id));
      if (existing) return { row: existing, created: false };
      // One account's subscriptions are counted under a lock on its key, so two requests cannot both pass.
      await db.execute(sql`select pg_advisory_xact_lock(hashtext(${body.account}))`);
      const [held] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(alertSubscriptions)
        .where(eq(alertSubscriptions.account, body.account));
      if ((held?.n ?? 0) >= MAX_SUBSCRIPTIONS_PER_ACCOUNT)
        throw new HttpError(
          409,
          'too_many_subscriptions',
          `a sub-account may hold ${MAX_SUBSCRIPTIONS_PER_ACCOUNT} alert subscriptions; delete one first`,
        );
      const [inserted] = await db
        .insert(alertSubscriptions)
        .values({ id, wallet: session.wallet, ...key, createdAt: new Date() })
        .onConflictDoNothing()
        .returning();
      if (inserted) return { row: inserted, created: true };
      const [raced] = await db.select().from(alertSubscriptions).where(eq(alertSubscriptions.id, id));
      return { row: raced!, created: false };
    });
    res.status(created ? 201 : 200).json(viewOf(row));
  });

  router.delete('/v1/alerts/subscriptions/:id', async (req, res) => {
    const session = requireSession(res);
    const { id } = parseInput(subscriptionParams, req.params, 'params');
    const deleted = await writeAsWallet(deps.pool, session.wallet, (db) =>
      db.delete(alertSubscriptions).where(eq(alertSubscriptions.id, id)).returning({ id: alertSubscriptions.id }),
    );
    if (!deleted.length) throw new HttpError(404, 'not_found', 'no such subscription of this wallet');
    res.status(204).end();
  });

  router.get('/v1/alerts', async (req, res) => {
    const session = requireSession(res);
    const q = parseInput(alertsQuery, req.query, 'query');
    const rows = await readAsWallet(deps.pool, session.wallet, (db) =>
      db
        .select()
        .from(traderAlerts)
        .where(q.account ? eq(traderAlerts.account, q.account) : undefined)
        .orderBy(desc(traderAlerts.at))
        .limit(q.limit),
    );
    res.json({
      alerts: rows.map((r): TraderAlertView => ({
        id: r.id,
        subscriptionId: r.subscriptionId,
        account: r.account,
        kind: r.kind,
        market: r.market,
        at: r.at.toISOString(),
        summary: r.summary,
        workings: r.workings as InsightWorkings,
      })),
    });
  });
  return router;
}

const E = SESSION_ERRORS;
export const alertRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/alerts/subscriptions',
    summary: "The wallet's alert subscriptions (Row Level Security), with the markets where each is firing",
    auth: 'session',
    query: listQuery,
    responses: { 200: 'subscriptions, oldest first', ...E },
  },
  {
    method: 'post',
    path: '/v1/alerts/subscriptions',
    summary:
      'Subscribe a sub-account to an alert: liquidation price within X bps, funding paid above Y bps APR, or a liquidation cascade in a market it holds',
    auth: 'session',
    body: subscriptionBody,
    responses: {
      201: 'subscribed',
      200: 'already subscribed (the same subscription)',
      ...E,
      403: "another wallet's sub-account",
      409: 'the sub-account holds the most subscriptions allowed',
    },
  },
  {
    method: 'delete',
    path: '/v1/alerts/subscriptions/:id',
    summary: "Delete one of the wallet's subscriptions",
    auth: 'session',
    params: subscriptionParams,
    responses: { 204: 'deleted', ...E, 404: 'no such subscription of this wallet' },
  },
  {
    method: 'get',
    path: '/v1/alerts',
    summary: "Alerts fired for the wallet's subscriptions, newest first, with their workings",
    auth: 'session',
    query: alertsQuery,
    responses: { 200: 'alerts, newest first', ...E },
  },
];
