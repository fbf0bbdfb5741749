import type { Redis } from 'ioredis';
import { and, asc, eq, inArray, isNull, not, or } from 'drizzle-orm';
import { DEFAULT_MARKETS } from '../../domain/perp';
import {
  checkSubscription,
  decide,
  traderAlertStreamKey,
  type AlertKind,
  type AlertMarket,
  type TraderAlert,
} from '../../domain/alerts';
import { workingsOf, type Insight } from '../../domain/insights';
import { accountStreamKey } from '../../domain/workflow-events';
import { publishOnceArgs } from '../../activities/bookkeeping/publish-workflow-event';
import { alertSubscriptions, traderAlerts } from '../../drizzle/schema';
import type { Database } from '../../platform/postgres';
import { fetchAccountsData } from '../../solana/account-data';
import { fetchPricedMarket } from '../../solana/accounts';
import { big, marginAccountOf } from '../../solana/margin-account';
import { decodeUser } from '../../solana/perp-coders';
import type { RpcPool } from '../../solana/rpc-pool';

/** Entries kept in the stream of every account's alerts (the API relays it to the account rooms). */
const ALERTS_MAX_LENGTH = 100_000;
const ACCOUNTS_PER_READ = 100;

type SubscriptionRow = typeof alertSubscriptions.$inferSelect;

/**
 * Per-trader alerts (issue 14), in MIKEY's process. `check` reads every subscribed account and the listed
 * markets from the chain and decides each liquidation-distance and funding-apr subscription
 * (domain/alerts.ts: one alert when a condition starts to hold, re-armed once it is clear); `onInsights`
 * turns a liquidation-cascade insight into an alert for every cascade subscriber holding that market. An
 * alert and its subscription's new state are written in one transaction, then published to the account's
 * event stream and `<prefix>:trader-alerts` (the API's relay sends it to the account's room); rows not yet
 * published (a crash in between) are published by the next round.
 */
export class AlertDesk {
  /** Each subscribed account's markets at the last check: who a cascade concerns. */
  private holdings = new Map<string, Set<number>>();

  constructor(
    private readonly db: Database,
    private readonly redis: Redis,
    private readonly pool: RpcPool,
    private readonly prefix: string,
  ) {}

  /** One round over the chain at `now`: returns the alerts it fired. */
  async check(now: Date): Promise<TraderAlert[]> {
    const subs = await this.db.select().from(alertSubscriptions).orderBy(asc(alertSubscriptions.id));
    const accounts = [...new Set(subs.map((s) => s.account))];
    const markets = new Map<number, Awaited<ReturnType<typeof fetchPricedMarket>>>();
    const state = new Map<number, AlertMarket>();
    if (accounts.length)
      for (const m of DEFAULT_MARKETS) {
        const priced = await fetchPricedMarket(this.pool, m.marketIndex);
        markets.set(m.marketIndex, priced);
        state.set(m.marketIndex, {
          symbol: m.symbol,
          price: priced.reading.price,
          fundingRate: big(priced.market.lastFundingRate),
        });
      }
    const margin = new Map<string, Awaited<ReturnType<typeof marginAccountOf>>>();
    for (let i = 0; i < accounts.length; i += ACCOUNTS_PER_READ) {
      const chunk = accounts.slice(i, i + ACCOUNTS_PER_READ);
      const { values } = await fetchAccountsData(this.pool, 'read subscribed accounts', chunk);
      for (const [j, value] of values.entries()) {
        if (!value) continue;
        const user = decodeUser(value.data);
        margin.set(chunk[j]!, await marginAccountOf(this.pool, user, markets));
      }
    }
    this.holdings = new Map(
      [...margin].map(([a, acc]) => [a, new Set(acc.positions.map((p) => p.position.marketIndex))]),
    );
    const at = now.toISOString();
    const fired: { sub: SubscriptionRow; alert: TraderAlert | null; firing: number[] }[] = [];
    for (const sub of subs) {
      if (sub.kind === 'liquidation-cascade') continue;
      const account = margin.get(sub.account) ?? { collateral: 0n, positions: [] };
      const { fire, firing } = decide(
        sub.firing,
        checkSubscription({ ...sub, kind: sub.kind as AlertKind }, account, state),
      );
      const same = firing.length === sub.firing.length && firing.every((m, i) => m === sub.firing[i]);
      if (!fire.length && same) continue;
      if (!fire.length) fired.push({ sub, alert: null, firing });
      for (const f of fire)
        fired.push({
          sub,
          firing,
          alert: {
            id: `${sub.id}:${f.marketIndex}:${at}`,
            subscriptionId: sub.id,
            wallet: sub.wallet,
            account: sub.account,
            kind: sub.kind as AlertKind,
            market: state.get(f.marketIndex)!.symbol,
            at,
            summary: f.summary,
            ...f.workings,
          },
        });
    }
    await this.record(fired);
    await this.publishPending();
    return fired.flatMap((f) => (f.alert ? [f.alert] : []));
  }

  /** Liquidation cascades MIKEY just found: an alert to every cascade subscriber holding the market. */
  async onInsights(insights: readonly Insight[]): Promise<TraderAlert[]> {
    const cascades = insights.filter((i) => i.kind === 'liquidation-cascade');
    if (!cascades.length) return [];
    const indexOf = new Map(DEFAULT_MARKETS.map((m) => [m.symbol, m.marketIndex]));
    const out: { sub: SubscriptionRow; alert: TraderAlert; firing: number[] }[] = [];
    for (const insight of cascades) {
      const marketIndex = indexOf.get(insight.market);
      if (marketIndex === undefined) continue;
      const subs = await this.db
        .select()
        .from(alertSubscriptions)
        .where(
          and(
            eq(alertSubscriptions.kind, 'liquidation-cascade'),
            or(isNull(alertSubscriptions.marketIndex), eq(alertSubscriptions.marketIndex, marketIndex)),
          ),
        );
      for (const sub of subs) {
        if (!this.holdings.get(sub.account)?.has(marketIndex)) continue;
        out.push({
          sub,
          firing: sub.firing,
          alert: {
            id: `${sub.id}:${insight.id}`,
            subscriptionId: sub.id,
            wallet: sub.wallet,
            account: sub.account,
            kind: 'liquidation-cascade',
            market: insight.market,
            at: insight.at,
            summary: `${insight.summary}; you hold ${insight.market}`,
            ...workingsOf(insight),
          },
        });
      }
    }
    await this.record(out);
    await this.publishPending();
    return out.map((o) => o.alert);
  }

  /** Alerts and their subscriptions' new firing state, in one transaction (a deleted subscription fires nothing). */
  private async record(fired: { sub: SubscriptionRow; alert: TraderAlert | null; firing: number[] }[]): Promise<void> {
    if (!fired.length) return;
    await this.db.transaction(async (tx) => {
      for (const { sub, alert, firing } of fired) {
        const kept = await tx
          .update(alertSubscriptions)
          .set({ firing })
          .where(eq(alertSubscriptions.id, sub.id))
          .returning({ id: alertSubscriptions.id });
        if (!kept.length || !alert) continue;
        await tx
          .insert(traderAlerts)
          .values({
            id: alert.id,
            subscriptionId: alert.subscriptionId,
            wallet: alert.wallet,
            account: alert.account,
            kind: alert.kind,
            market: alert.market,
            at: new Date(alert.at),
            summary: alert.summary,
            workings: workingsOf(alert),
          })
          .onConflictDoNothing();
      }
    });
  }

  /** Every alert row not yet in the streams, oldest first, published once and then marked. */
  async publishPending(): Promise<number> {
    const rows = await this.db
      .select()
      .from(traderAlerts)
      .where(not(traderAlerts.published))
      .orderBy(asc(traderAlerts.at), asc(traderAlerts.id))
      .limit(1_000);
    if (!rows.length) return 0;
    // Once each (dedupe keys), in order, in one round trip: to the account's stream and qd:trader-alerts.
    const pipeline = this.redis.pipeline();
    for (const r of rows) {
      const alert: TraderAlert = {
        id: r.id,
        subscriptionId: r.subscriptionId,
        wallet: r.wallet,
        account: r.account,
        kind: r.kind as AlertKind,
        market: r.market,
        at: r.at.toISOString(),
        summary: r.summary,
        ...(r.workings as ReturnType<typeof workingsOf>),
      };
      pipeline.eval(
        ...publishOnceArgs({
          accountStream: accountStreamKey(this.prefix, r.account),
          dedupeKey: `${this.prefix}:trader-alert-keys:${r.id}`,
          allStream: traderAlertStreamKey(this.prefix),
          allMaxLength: ALERTS_MAX_LENGTH,
          field: 'alert',
          json: JSON.stringify(alert),
        }),
      );
    }
    const failed = (await pipeline.exec())?.find(([err]) => err);
    if (failed) throw failed[0];
    await this.db
      .update(traderAlerts)
      .set({ published: true })
      .where(
        inArray(
          traderAlerts.id,
          rows.map((r) => r.id),
        ),
      );
    return rows.length;
  }
}
