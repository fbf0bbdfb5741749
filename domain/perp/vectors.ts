/**
 * Shared test vectors: the same cases are evaluated by this module (vitest) and by the program's Rust
 * math (cargo test), and both must produce `expected` exactly. `npm run vectors` regenerates the file
 * domain/perp/vectors.json from a fixed seed; a test fails when the committed file is stale.
 */
import { BASE_PRECISION, divCeil, divFloor, isqrt, PRICE_PRECISION, QUOTE_PRECISION } from './fixed-point';
import { DEFAULT_MARKETS, type MarketParams } from './market';
import { applyFill, fillPrice, planFill, poolPayout, takerFee, unrealizedPnl } from './trading';
import { fundingIndexDelta, fundingOwed, fundingRate, socializedLossIndexDelta, updateTwap } from './funding';
import {
  equity,
  freeCollateral,
  initialMarginRatioBps,
  liquidationPrice,
  maintenanceMarginRatioBps,
  marginRequirement,
  maxOrderSize,
  type Account,
} from './margin';
import { liquidationFee, liquidationSize, resolveBankruptcy } from './liquidation';
import { checkOracle } from './oracle';

export interface VectorCase {
  fn: string;
  market?: number;
  args: string[];
  expected: string[];
}

export interface VectorFile {
  seed: number;
  markets: Record<string, string | number>[];
  cases: VectorCase[];
}

const FNS = [
  'div_floor',
  'div_ceil',
  'isqrt',
  'fill_price',
  'apply_fill',
  'unrealized_pnl',
  'taker_fee',
  'margin_ratios',
  'account',
  'liquidation',
  'max_order_size',
  'funding_rate',
  'funding_index_delta',
  'funding_owed',
  'socialized_loss',
  'bankruptcy',
  'oracle',
  'twap',
  'plan_fill',
  'pool_payout',
] as const;

function singleAccount(m: MarketParams, [collateral, base, quoteEntry, lastIndex, index, price]: bigint[]): Account {
  return {
    collateral: collateral!,
    positions: [
      {
        params: m,
        price: price!,
        fundingIndex: index!,
        position: { marketIndex: m.marketIndex, base: base!, quoteEntry: quoteEntry!, lastFundingIndex: lastIndex! },
      },
    ],
  };
}

/** Evaluates one case with the TypeScript implementation. */
export function evaluate(c: Pick<VectorCase, 'fn' | 'market' | 'args'>): string[] {
  const a = c.args.map(BigInt);
  const m = DEFAULT_MARKETS[c.market ?? 0]!;
  const out = (...values: (bigint | string | null)[]) => values.map((v) => (v === null ? 'none' : String(v)));
  switch (c.fn) {
    case 'div_floor':
      return out(divFloor(a[0]!, a[1]!));
    case 'div_ceil':
      return out(divCeil(a[0]!, a[1]!));
    case 'isqrt':
      return out(isqrt(a[0]!));
    case 'fill_price':
      return out(fillPrice(a[0]!, a[1]!, a[2]!, m.skewScaleBase));
    case 'apply_fill': {
      const r = applyFill(
        { marketIndex: m.marketIndex, base: a[0]!, quoteEntry: a[1]!, lastFundingIndex: 0n },
        a[2]!,
        a[3]!,
      );
      return out(
        r.position.base,
        r.position.quoteEntry,
        r.realizedPnl,
        r.longOpenInterestDelta,
        r.shortOpenInterestDelta,
      );
    }
    case 'unrealized_pnl':
      return out(unrealizedPnl({ marketIndex: 0, base: a[0]!, quoteEntry: a[1]!, lastFundingIndex: 0n }, a[2]!));
    case 'taker_fee':
      return out(takerFee(m, a[0]!, a[1]!));
    case 'margin_ratios':
      return out(initialMarginRatioBps(m, a[0]!), maintenanceMarginRatioBps(m, a[0]!));
    case 'account': {
      const acc = singleAccount(m, a);
      return out(
        equity(acc),
        marginRequirement(acc, 'initial'),
        marginRequirement(acc, 'maintenance'),
        freeCollateral(acc),
        liquidationPrice(acc, 0),
      );
    }
    case 'liquidation': {
      const acc = singleAccount(m, a.slice(0, 6));
      const size = liquidationSize(acc, 0, Number(a[6]));
      return out(size, liquidationFee(acc, 0, size));
    }
    case 'max_order_size': {
      const acc = singleAccount(m, a.slice(0, 6));
      return out(maxOrderSize(acc, 0, a[6]! > 0n ? 1n : -1n, a[5]!, a[7]!));
    }
    case 'funding_rate':
      return out(fundingRate(a[0]!, a[1]!, m.fundingRateCap));
    case 'funding_index_delta':
      return out(fundingIndexDelta(a[0]!, a[1]!));
    case 'funding_owed':
      return out(fundingOwed(a[0]!, a[1]!, a[2]!));
    case 'socialized_loss':
      return out(socializedLossIndexDelta(a[0]!, a[1]!, a[2]! > 0n ? 'long' : 'short'));
    case 'bankruptcy': {
      const r = resolveBankruptcy(a[0]!, a[1]!);
      return out(r.insurancePaid, r.socializedLoss);
    }
    case 'oracle':
      return out(checkOracle(m, { price: a[0]!, confidence: a[1]!, publishSlot: a[2]! }, a[3]!, a[4]!));
    case 'twap':
      return out(updateTwap(a[0]!, a[1]!, a[2]!, a[3]!));
    case 'plan_fill': {
      const [position, order, limit, reduceOnly, price, confidence, publishSlot, slot, twap, long, short, cap, paused] =
        a as [bigint, ...bigint[]];
      const r = planFill(
        m,
        {
          longOpenInterest: long!,
          shortOpenInterest: short!,
          maxOpenInterest: cap!,
          oracleTwap: twap!,
          paused: paused !== 0n,
        },
        { price: price!, confidence: confidence!, publishSlot: publishSlot! },
        slot!,
        position,
        order!,
        limit!,
        reduceOnly !== 0n,
      );
      return r.ok ? out('ok', r.plan.delta, r.plan.riskIncreasing ? 1n : 0n, r.plan.price, r.plan.fee) : out(r.refusal);
    }
    case 'pool_payout': {
      const r = poolPayout(a[0]!, a[1]!);
      return out(r.paid, r.left);
    }
    default:
      throw new Error(`unknown vector function ${c.fn}`);
  }
}

/** xorshift64*: a deterministic source for the generator, independent of any library's PRNG. */
function prng(seed: number) {
  let s = BigInt(seed) | 1n;
  const mask = (1n << 64n) - 1n;
  const next = (): bigint => {
    s ^= s >> 12n;
    s ^= (s << 25n) & mask;
    s ^= s >> 27n;
    return (s * 2685821657736338717n) & mask;
  };
  const range = (lo: bigint, hi: bigint): bigint => lo + (next() % (hi - lo + 1n));
  const pick = <T>(xs: readonly T[]): T => xs[Number(next() % BigInt(xs.length))]!;
  return { range, pick };
}

function argsFor(fn: (typeof FNS)[number], r: ReturnType<typeof prng>): string[] {
  const price = () =>
    r.pick([r.range(1n, 1_000n), r.range(PRICE_PRECISION, 200_000n * PRICE_PRECISION), 100n * PRICE_PRECISION]);
  const base = () =>
    r.pick([
      1n,
      -1n,
      0n,
      r.range(-10_000n * BASE_PRECISION, 10_000n * BASE_PRECISION),
      r.range(-BASE_PRECISION, BASE_PRECISION),
    ]);
  const nz = (x: bigint) => (x === 0n ? 1n : x);
  const quote = () => r.range(-5_000_000n * QUOTE_PRECISION, 5_000_000n * QUOTE_PRECISION);
  const index = () => r.range(-(10n ** 17n), 10n ** 17n);
  switch (fn) {
    case 'div_floor':
    case 'div_ceil':
      return [
        r.range(-(10n ** 30n), 10n ** 30n),
        nz(r.pick([r.range(-1000n, 1000n), r.range(-(10n ** 18n), 10n ** 18n)])),
      ].map(String);
    case 'isqrt':
      return [r.pick([0n, 1n, 2n, 3n, 4n, r.range(0n, 10n ** 36n), r.range(0n, 1000n)])].map(String);
    case 'fill_price':
      return [price(), r.range(-50_000n * BASE_PRECISION, 50_000n * BASE_PRECISION), nz(base())].map(String);
    case 'apply_fill': {
      const b = base();
      const p = price();
      const entry = b === 0n ? 0n : (b * r.range(PRICE_PRECISION, 200_000n * PRICE_PRECISION)) / BASE_PRECISION;
      return [b, entry, nz(r.pick([base(), -b, -2n * b, b / 3n])), p].map(String);
    }
    case 'unrealized_pnl':
      return [base(), quote(), price()].map(String);
    case 'taker_fee':
      return [nz(base()), price()].map(String);
    case 'margin_ratios':
      return [r.pick([base(), r.range(-(10n ** 9n) * BASE_PRECISION, 10n ** 9n * BASE_PRECISION)])].map(String);
    case 'account':
    case 'liquidation': {
      const b = nz(base());
      const p = price();
      const entry = (b * r.range(p / 2n + 1n, p * 2n)) / BASE_PRECISION;
      const notional = ((b < 0n ? -b : b) * p) / BASE_PRECISION;
      const collateral = (notional * r.range(0n, 1_500n)) / 10_000n + r.range(0n, 1_000n);
      const last = index();
      const args = [collateral, b, entry, last, last + r.range(-(10n ** 13n), 10n ** 13n), p];
      // A liquidation step's index in its episode (its fraction doubles with each).
      if (fn === 'liquidation') args.push(r.range(0n, 4n));
      return args.map(String);
    }
    case 'max_order_size': {
      const b = base();
      const p = r.range(PRICE_PRECISION, 100_000n * PRICE_PRECISION);
      const entry = (b * r.range(p / 2n + 1n, p * 2n)) / BASE_PRECISION;
      return [
        r.range(0n, 1_000_000n * QUOTE_PRECISION),
        b,
        entry,
        0n,
        0n,
        p,
        r.pick([1n, -1n]),
        r.pick([BASE_PRECISION / 1000n, BASE_PRECISION / 10n]),
      ].map(String);
    }
    case 'funding_rate': {
      const o = r.range(1n, 200_000n * PRICE_PRECISION);
      return [o + (o * r.range(-2_000n, 2_000n)) / 10_000n, o].map(String);
    }
    case 'funding_index_delta':
      return [r.range(-1_250_000n, 1_250_000n), price()].map(String);
    case 'funding_owed':
      return [base(), index(), index()].map(String);
    case 'socialized_loss':
      return [
        r.range(-10n, 10_000_000n * QUOTE_PRECISION),
        r.range(0n, 100_000n * BASE_PRECISION),
        r.pick([1n, -1n]),
      ].map(String);
    case 'bankruptcy':
      return [r.range(-10_000_000n * QUOTE_PRECISION, 1_000n), r.range(0n, 10_000_000n * QUOTE_PRECISION)].map(String);
    case 'oracle': {
      const p = r.pick([0n, price(), price(), price()]);
      const slot = r.range(1_000n, 2_000n);
      return [
        p,
        (p * r.range(0n, 400n)) / 10_000n,
        slot - r.range(0n, 40n),
        slot,
        p + (p * r.range(-1_500n, 1_500n)) / 10_000n,
      ].map(String);
    }
    case 'twap':
      return [r.pick([0n, price()]), price(), r.range(-10n, 7_200n), r.pick([300n, 3_600n])].map(String);
    case 'plan_fill': {
      // Every branch: reduce-only clamps and refusals, flips, each oracle guard (with the TWAP tolerance of
      // risk-reducing fills), limits on both sides of the fill price, and the open-interest cap.
      const position = r.pick([
        0n,
        r.range(-1_000n * BASE_PRECISION, 1_000n * BASE_PRECISION),
        BASE_PRECISION,
        -BASE_PRECISION,
      ]);
      const order = nz(r.pick([base() / 10n, -position, -2n * position, position / 2n, -position / 3n]));
      const p = r.range(PRICE_PRECISION, 100_000n * PRICE_PRECISION);
      const slot = r.range(1_000n, 2_000n);
      const limit = r.pick([0n, 10n ** 15n, p + (p * r.range(-300n, 300n)) / 10_000n]);
      const long = r.range(0n, 5_000n * BASE_PRECISION);
      const short = r.range(0n, 5_000n * BASE_PRECISION);
      const cap = r.pick([
        10n ** 15n,
        (long > short ? long : short) + r.range(0n, 50n * BASE_PRECISION),
        (long > short ? long : short) + r.range(0n, BASE_PRECISION),
      ]);
      const usually = <T>(x: T, otherwise: T) => r.pick([x, x, x, x, x, x, x, otherwise]);
      return [
        position,
        order,
        limit,
        r.pick([0n, 1n]),
        usually(p, 0n),
        (p * usually(r.range(0n, 150n), r.range(150n, 300n))) / 10_000n,
        slot - usually(r.range(0n, 20n), r.range(20n, 40n)),
        slot,
        p + (p * r.pick([0n, r.range(-1_500n, 1_500n)])) / 10_000n,
        long,
        short,
        cap,
        usually(0n, 1n),
      ].map(String);
    }
    case 'pool_payout':
      return [
        r.pick([r.range(-1_000n * QUOTE_PRECISION, 0n), r.range(1n, 1_000n * QUOTE_PRECISION), 0n]),
        r.pick([r.range(-500n * QUOTE_PRECISION, 0n), r.range(0n, 2_000n * QUOTE_PRECISION), 0n]),
      ].map(String);
  }
}

export const VECTOR_SEED = 20261125;
export const VECTORS_PER_FUNCTION = 24;

export function generateVectors(seed = VECTOR_SEED, perFunction = VECTORS_PER_FUNCTION): VectorFile {
  const r = prng(seed);
  const cases: VectorCase[] = [];
  for (const fn of FNS) {
    // The pre-trade rule has many branches: more cases (it comes last, so the others' stay as they were).
    for (let i = 0; i < (fn === 'plan_fill' ? 10 * perFunction : perFunction); i++) {
      const market = Number(r.range(0n, BigInt(DEFAULT_MARKETS.length - 1)));
      const c = { fn, market, args: argsFor(fn, r) };
      cases.push({ ...c, expected: evaluate(c) });
    }
  }
  const markets = DEFAULT_MARKETS.map((m) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])),
  );
  return { seed, markets, cases };
}
