import { Router } from 'express';
import { z } from 'zod';
import { desc, eq } from 'drizzle-orm';
import { PublicKey } from '@solana/web3.js';
import {
  equity,
  freeCollateral,
  leverageBps,
  liquidationPrice,
  marginRequirement,
  unrealizedPnl,
  type Account,
} from '../../domain/perp';
import { deposits, fills, fundingPayments, liquidations, orders, positions, withdrawals } from '../../drizzle/schema';
import { readAsWallet } from '../../platform/postgres';
import { perpAddresses } from '../../solana/perp-program';
import { marginAccountOf } from '../../solana/margin-account';
import { decodeUser } from '../../solana/perp-coders';
import { HttpError, parseInput } from '../http-error';
import { requireOwnAccount, requireSession } from '../auth/middleware';
import type { ApiDeps } from '../deps';
import { SESSION_ERRORS, type RouteSpec } from '../openapi';
import { base58Key } from '../schemas';
import { getOrderQuery, runningOrdersQuery } from '../../workflows/definitions';

const OPEN_ORDERS_LIMIT = 100;

/** Sub-accounts the terminal looks for (ids 0..7). */
export const SUB_ACCOUNTS = 8;

const accountParams = z.object({ account: base58Key }).strict();
const historyQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();

/** The risk dashboard's numbers for one sub-account, from the domain math on its chain state. */
export function riskOf(account: Account) {
  const e = equity(account);
  const maintenance = marginRequirement(account, 'maintenance');
  return {
    collateral: account.collateral.toString(),
    equity: e.toString(),
    initialRequirement: marginRequirement(account, 'initial').toString(),
    maintenanceRequirement: maintenance.toString(),
    freeCollateral: freeCollateral(account).toString(),
    leverageBps: leverageBps(account)?.toString() ?? null,
    // maintenance / equity in bps: 10,000 or more is liquidatable.
    marginRatioBps: e > 0n ? ((maintenance * 10_000n) / e).toString() : null,
    positions: account.positions.map((p, i) => ({
      marketIndex: p.position.marketIndex,
      base: p.position.base.toString(),
      quoteEntry: p.position.quoteEntry.toString(),
      markPrice: p.price.toString(),
      unrealizedPnl: unrealizedPnl(p.position, p.price).toString(),
      liquidationPrice: liquidationPrice(account, i)?.toString() ?? null,
    })),
  };
}

/**
 * A wallet's own data, in its session. GET /v1/accounts: its sub-accounts with live risk from the chain.
 * GET /v1/accounts/:account/<history>: rows read under Row Level Security as that wallet, so another
 * wallet's account reads as empty, whatever the URL says.
 */
export function createAccountRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/accounts', async (_req, res) => {
    const session = requireSession(res);
    if (!deps.rpcPool) throw new HttpError(503, 'chain_unavailable', 'this API has no Solana providers configured');
    const pool = deps.rpcPool;
    const wallet = new PublicKey(session.wallet);
    const addresses = Array.from({ length: SUB_ACCOUNTS }, (_, id) => perpAddresses.user(wallet, id));
    const infos = await pool.call('read sub-accounts', (c) => c.getMultipleAccountsInfo(addresses));
    const subAccounts = [];
    for (const [id, info] of infos.entries()) {
      if (!info) continue;
      const user = decodeUser(info.data);
      // unsettledPnl: what the PnL pool owes the account and could not pay yet (paid as it refills; not withdrawable before).
      subAccounts.push({
        subAccountId: id,
        address: addresses[id]!.toBase58(),
        ...riskOf(await marginAccountOf(pool, user)),
        unsettledPnl: user.unsettledPnl.toString(),
      });
    }
    res.json({ wallet: session.wallet, subAccounts, nextSubAccountId: infos.findIndex((i) => !i) });
  });

  router.get('/v1/accounts/:account/open-orders', async (req, res) => {
    const { account } = parseInput(accountParams, req.params, 'params');
    requireOwnAccount(res, account);
    const open = [];
    for await (const wf of deps.temporal.workflow.list({
      query: runningOrdersQuery(account),
      pageSize: OPEN_ORDERS_LIMIT,
    })) {
      if (open.length >= OPEN_ORDERS_LIMIT) break;
      const view = await deps.temporal.workflow
        .getHandle(wf.workflowId)
        .query(getOrderQuery)
        .catch(() => null);
      if (view) open.push({ workflowId: wf.workflowId, startTime: wf.startTime.toISOString(), ...view });
    }
    res.json({ account, openOrders: open });
  });

  const history = <T extends object>(
    path: string,
    read: (db: Parameters<Parameters<typeof readAsWallet>[2]>[0], account: string, limit: number) => Promise<T[]>,
  ) => {
    router.get(`/v1/accounts/:account/${path}`, async (req, res) => {
      const session = requireSession(res);
      const { account } = parseInput(accountParams, req.params, 'params');
      const { limit } = parseInput(historyQuery, req.query, 'query');
      const rows = await readAsWallet(deps.pool, session.wallet, (db) => read(db, account, limit));
      res.json({ account, [path]: rows.map(stringifyBigints) });
    });
  };
  history('positions', (db, a, limit) => db.select().from(positions).where(eq(positions.account, a)).limit(limit));
  history('orders', (db, a, limit) =>
    db.select().from(orders).where(eq(orders.account, a)).orderBy(desc(orders.createdAt)).limit(limit),
  );
  history('fills', (db, a, limit) =>
    db.select().from(fills).where(eq(fills.account, a)).orderBy(desc(fills.filledAt)).limit(limit),
  );
  history('funding', (db, a, limit) =>
    db
      .select()
      .from(fundingPayments)
      .where(eq(fundingPayments.account, a))
      .orderBy(desc(fundingPayments.epoch))
      .limit(limit),
  );
  history('deposits', (db, a, limit) =>
    db.select().from(deposits).where(eq(deposits.account, a)).orderBy(desc(deposits.createdAt)).limit(limit),
  );
  history('withdrawals', (db, a, limit) =>
    db.select().from(withdrawals).where(eq(withdrawals.account, a)).orderBy(desc(withdrawals.createdAt)).limit(limit),
  );
  history('liquidations', (db, a, limit) =>
    db
      .select()
      .from(liquidations)
      .where(eq(liquidations.account, a))
      .orderBy(desc(liquidations.createdAt))
      .limit(limit),
  );
  return router;
}

/** Rows as JSON: bigints as decimal strings (amounts never become floats), dates as ISO-8601. */
export function stringifyBigints(row: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v,
    ]),
  );
}

const HISTORIES = ['positions', 'orders', 'fills', 'funding', 'deposits', 'withdrawals', 'liquidations'] as const;
const E = SESSION_ERRORS;
export const accountRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/v1/accounts/:account/open-orders',
    summary: 'Orders waiting for their trigger (running order workflows), with their current trigger price',
    auth: 'session',
    params: accountParams,
    responses: { 200: 'open orders', ...E, 403: "another wallet's sub-account" },
  },
  {
    method: 'get',
    path: '/v1/accounts',
    summary:
      "The wallet's sub-accounts with collateral, positions and live risk (equity, margin ratio, leverage, liquidation prices)",
    auth: 'session',
    responses: { 200: 'sub-accounts', 401: 'not signed in', 429: 'rate limited', 503: 'no Solana providers' },
  },
  ...HISTORIES.map((h): RouteSpec => ({
    method: 'get',
    path: `/v1/accounts/:account/${h}`,
    summary: `The sub-account's ${h} (Row Level Security: only the signed-in wallet's rows)`,
    auth: 'session',
    params: accountParams,
    query: historyQuery,
    responses: { 200: `${h}, newest first`, ...E },
  })),
];
