// Per-trader alerts (issue 14): what a trader subscribes to, how MIKEY decides one fires, and the alert as
// it reaches the terminal. Pure: amounts and prices are the program's integers, times come from the caller.
import { abs, BPS_PRECISION, FUNDING_RATE_PRECISION, liquidationPrice, type Account } from './perp';
import type { InsightWorkings } from './insights';

export const ALERT_KINDS = ['liquidation-distance', 'funding-apr', 'liquidation-cascade'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Subscriptions one sub-account may hold. */
export const MAX_SUBSCRIPTIONS_PER_ACCOUNT = 20;

/**
 * A trader's standing request. `marketIndex` null means every market the account holds; `thresholdBps` is
 * the distance to the liquidation price (liquidation-distance) or the APR paid (funding-apr), in bps of
 * price or per year; a cascade subscription has none.
 */
export interface AlertSubscription {
  id: string;
  wallet: string;
  account: string;
  kind: AlertKind;
  marketIndex: number | null;
  thresholdBps: number | null;
  /** Markets where it fired and is not yet clear again: a condition that holds is one alert, not one per check. */
  firing: number[];
}

/** An alert as it is stored (trader_alerts), published to the account's stream and shown in the terminal. */
export interface TraderAlert extends InsightWorkings {
  /** Deterministic: the subscription and what fired it (a check's time or the cascade insight's ID). */
  id: string;
  subscriptionId: string;
  wallet: string;
  account: string;
  kind: AlertKind;
  market: string;
  at: string;
  summary: string;
}

/** An alert as the API serves it and the terminal shows it: its workings grouped. */
export interface TraderAlertView {
  id: string;
  subscriptionId: string;
  account: string;
  kind: string;
  market: string;
  at: string;
  summary: string;
  workings: InsightWorkings;
}

/** A market as the checks need it: its symbol, oracle price and last funding rate (per hour). */
export interface AlertMarket {
  symbol: string;
  price: bigint;
  fundingRate: bigint;
}

/** Hysteresis: a fired condition is clear again only once it is this share (bps) beyond its threshold. */
export const CLEAR_MARGIN_BPS = 1_000n;

/** APR in bps of a per-hour funding rate (FUNDING_RATE_PRECISION), truncated toward zero. */
export const fundingAprBps = (ratePerHour: bigint): bigint =>
  (ratePerHour * 24n * 365n * BPS_PRECISION) / FUNDING_RATE_PRECISION;

/** Distance from `price` to `liquidation` in bps of the price (0 once crossed). */
export function distanceBps(price: bigint, liquidation: bigint, long: boolean): bigint {
  const gap = long ? price - liquidation : liquidation - price;
  return gap <= 0n || price <= 0n ? 0n : (gap * BPS_PRECISION) / price;
}

/** What a check found for one of the subscription's markets: whether it holds, and its workings. */
export interface Finding {
  marketIndex: number;
  /** The condition holds (fire if not firing). */
  on: boolean;
  /** The condition is clear beyond the hysteresis margin (re-arm if firing). */
  clear: boolean;
  summary: string;
  workings: InsightWorkings;
}

const priceText = (p: bigint) => {
  const cents = (abs(p) * 100n) / 1_000_000n;
  return `${p < 0n ? '-' : ''}${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
};
const bpsText = (bps: bigint) => `${bps / 100n}.${(abs(bps) % 100n).toString().padStart(2, '0')} %`;

/**
 * Checks a liquidation-distance or funding-apr subscription against the account as the chain holds it now
 * (`account`, with its positions' market indexes in `marketIndexes`, the same order) and the markets' state.
 * One finding per position the subscription covers.
 */
export function checkSubscription(
  sub: Pick<AlertSubscription, 'kind' | 'marketIndex' | 'thresholdBps'>,
  account: Account,
  markets: ReadonlyMap<number, AlertMarket>,
): Finding[] {
  if (sub.kind === 'liquidation-cascade' || sub.thresholdBps === null) return [];
  const threshold = BigInt(sub.thresholdBps);
  const clearAt = threshold + (threshold * CLEAR_MARGIN_BPS) / BPS_PRECISION;
  const out: Finding[] = [];
  account.positions.forEach((p, i) => {
    const index = p.position.marketIndex;
    const market = markets.get(index);
    if (!market || (sub.marketIndex !== null && sub.marketIndex !== index) || p.position.base === 0n) return;
    const long = p.position.base > 0n;
    if (sub.kind === 'liquidation-distance') {
      const liq = liquidationPrice(account, i);
      if (liq === null) {
        out.push({
          marketIndex: index,
          on: false,
          clear: true,
          summary: `${market.symbol}: no liquidation price`,
          workings: {
            formula: 'no positive price takes the account to maintenance',
            window: 'now',
            threshold: `<= ${bpsText(threshold)}`,
            inputs: { price: market.price.toString() },
          },
        });
        return;
      }
      const distance = distanceBps(market.price, liq, long);
      out.push({
        marketIndex: index,
        on: distance <= threshold,
        clear: distance > clearAt,
        summary: `${market.symbol} ${long ? 'long' : 'short'}: oracle ${priceText(market.price)} is ${bpsText(distance)} from your liquidation price ${priceText(liq)}`,
        workings: {
          formula: `|oracle - liquidation price| / oracle x 10,000 (the account's exact liquidation price, domain liquidationPrice)`,
          window: 'now',
          threshold: `<= ${bpsText(threshold)} (clear again above ${bpsText(clearAt)})`,
          inputs: {
            price: market.price.toString(),
            liquidationPrice: liq.toString(),
            distanceBps: distance.toString(),
          },
        },
      });
      return;
    }
    // funding-apr: what this position's side pays (longs pay a positive rate, shorts a negative one).
    const apr = fundingAprBps(market.fundingRate);
    const paid = long ? apr : -apr;
    out.push({
      marketIndex: index,
      on: paid >= threshold,
      clear: paid < threshold - (threshold * CLEAR_MARGIN_BPS) / BPS_PRECISION,
      summary: `${market.symbol} ${long ? 'long' : 'short'}: funding costs your position ${bpsText(paid)} a year`,
      workings: {
        formula: 'APR = last funding rate per hour x 24 x 365, signed by what your side pays',
        window: "the program's last funding rate",
        threshold: `>= ${bpsText(threshold)} a year`,
        inputs: { fundingRatePerHour: market.fundingRate.toString(), paidAprBps: paid.toString() },
      },
    });
  });
  return out;
}

/**
 * What a check means for a subscription: the findings that fire now (they hold and were not firing), and
 * the markets firing afterwards (a market clear beyond the margin, or no longer held, re-arms).
 */
export function decide(firing: readonly number[], findings: readonly Finding[]): { fire: Finding[]; firing: number[] } {
  const next = new Set(findings.filter((f) => firing.includes(f.marketIndex)).map((f) => f.marketIndex));
  const fire: Finding[] = [];
  for (const f of findings) {
    if (f.on && !next.has(f.marketIndex)) {
      fire.push(f);
      next.add(f.marketIndex);
    } else if (f.clear) next.delete(f.marketIndex);
  }
  return { fire, firing: [...next].sort((a, b) => a - b) };
}

/** Every account's alerts in one stream, each with its entry ID in the account's own stream (the API relays it). */
export const traderAlertStreamKey = (prefix: string): string => `${prefix}:trader-alerts`;
