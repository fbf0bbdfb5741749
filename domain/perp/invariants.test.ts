import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  abs,
  applyFill,
  BASE_PRECISION,
  DEFAULT_MARKETS,
  equity,
  fillPrice,
  freeCollateral,
  fundingIndexDelta,
  fundingIndexFor,
  fundingOwed,
  fundingRate,
  isBelowMaintenance,
  liquidationFee,
  liquidationFractionBps,
  liquidationSize,
  marginRequirement,
  poolPayout,
  PRICE_PRECISION,
  QUOTE_PRECISION,
  resolveBankruptcy,
  socializedLossIndexDelta,
  takerFee,
  unrealizedPnl,
  emptyPosition,
  type Account,
  type Position,
} from './index';

const params = DEFAULT_MARKETS[0]!; // SOL-PERP

/** A one-market exchange built only from domain functions; every transfer names both of its sides. */
class Exchange {
  oracle = 100n * PRICE_PRECISION;
  /** Each side's index: funding moves both, a socialized loss only the paying side's. */
  fundingIndexLong = 0n;
  fundingIndexShort = 0n;
  longOi = 0n;
  shortOi = 0n;
  vault = 0n; // deposits - withdrawals
  pnlPool = 0n; // the protocol's side of every trade (may go negative)
  insurance = 0n;
  users: { collateral: bigint; position: Position; unsettled: bigint }[] = [];

  constructor(n: number) {
    for (let i = 0; i < n; i++) this.users.push({ collateral: 0n, position: emptyPosition(0, 0n), unsettled: 0n });
  }

  /** Settles `amount` (> 0 owed to the user) and its unsettled PnL with the pool, as the program does. */
  settleWithPool(u: number, amount: bigint) {
    const user = this.users[u]!;
    const { paid, left } = poolPayout(user.unsettled + amount, this.pnlPool);
    user.collateral += paid;
    this.pnlPool -= paid;
    user.unsettled = left;
  }

  account(u: number, price = this.oracle): Account {
    const user = this.users[u]!;
    return {
      collateral: user.collateral,
      positions: [{ position: user.position, params, price, fundingIndex: this.indexFor(user.position.base) }],
    };
  }

  indexFor(base: bigint): bigint {
    return fundingIndexFor(
      { cumulativeFundingIndexLong: this.fundingIndexLong, cumulativeFundingIndexShort: this.fundingIndexShort },
      base,
    );
  }

  deposit(u: number, amount: bigint) {
    this.users[u]!.collateral += amount;
    this.vault += amount;
  }

  withdraw(u: number, amount: bigint): bigint {
    this.settleFunding(u);
    this.settleWithPool(u, 0n);
    const take = amount < freeCollateral(this.account(u)) ? amount : freeCollateral(this.account(u));
    if (take <= 0n) return 0n;
    this.users[u]!.collateral -= take;
    this.vault -= take;
    return take;
  }

  settleFunding(u: number) {
    const user = this.users[u]!;
    const index = this.indexFor(user.position.base);
    const owed = fundingOwed(user.position.base, user.position.lastFundingIndex, index);
    user.position = { ...user.position, lastFundingIndex: index };
    this.settleWithPool(u, -owed);
    return owed;
  }

  fill(u: number, delta: bigint, price: bigint, fee: bigint) {
    const user = this.users[u]!;
    const out = applyFill(user.position, delta, price);
    // Settled before the fill: the position follows its (possibly new) side's index.
    user.position = { ...out.position, lastFundingIndex: this.indexFor(out.position.base) };
    this.settleWithPool(u, out.realizedPnl);
    user.collateral -= fee;
    this.insurance += fee;
    this.longOi += out.longOpenInterestDelta;
    this.shortOi += out.shortOpenInterestDelta;
  }

  trade(u: number, delta: bigint): boolean {
    if (delta === 0n) return false;
    this.settleFunding(u);
    const price = fillPrice(this.oracle, this.longOi - this.shortOi, delta, params.skewScaleBase);
    const fee = takerFee(params, delta, price);
    const trial = applyFill(this.users[u]!.position, delta, price);
    // As the program: the realized PnL reaches collateral only as far as the pool pays it.
    const { paid } = poolPayout(this.users[u]!.unsettled + trial.realizedPnl, this.pnlPool);
    const after: Account = {
      collateral: this.users[u]!.collateral + paid - fee,
      positions: [{ ...this.account(u).positions[0]!, position: trial.position }],
    };
    if (equity(after) < marginRequirement(after, 'initial')) return false;
    this.fill(u, delta, price, fee);
    return true;
  }

  fundingTick(premiumBps: bigint) {
    const mark = this.oracle + (this.oracle * premiumBps) / 10_000n;
    const delta = fundingIndexDelta(fundingRate(mark, this.oracle, params.fundingRateCap), this.oracle);
    this.fundingIndexLong += delta;
    this.fundingIndexShort += delta;
  }

  /** Steps of each user's open liquidation episode (the program's User::episode_steps while being liquidated). */
  episodeSteps: number[] = [];

  liquidate(u: number): { closed: bigint; restored: boolean | null } {
    this.settleFunding(u);
    const step = this.episodeSteps[u] ?? 0;
    const size = liquidationSize(this.account(u), 0, step);
    if (size === 0n) {
      this.episodeSteps[u] = 0;
      return { closed: 0n, restored: null };
    }
    const user = this.users[u]!;
    const delta = user.position.base > 0n ? -size : size;
    const fee = liquidationFee(this.account(u), 0, size);
    const capped = size === (abs(user.position.base) * liquidationFractionBps(params, step) + 9_999n) / 10_000n;
    this.fill(u, delta, this.oracle, fee);
    if (user.position.base === 0n && user.collateral < 0n) this.bankrupt(u);
    const under = user.position.base !== 0n && isBelowMaintenance(this.account(u));
    this.episodeSteps[u] = under ? step + 1 : 0;
    return { closed: size, restored: capped ? null : !under };
  }

  bankrupt(u: number) {
    const user = this.users[u]!;
    const { insurancePaid, socializedLoss } = resolveBankruptcy(user.collateral, this.insurance);
    this.insurance -= insurancePaid;
    user.collateral += insurancePaid + socializedLoss;
    this.socialize(socializedLoss);
  }

  /** The pool fronts a socialized loss and recovers it from the paying side's positions through its index. */
  socialize(loss: bigint): 'long' | 'short' {
    this.pnlPool -= loss;
    const side = this.longOi >= this.shortOi ? 'long' : 'short';
    const delta = socializedLossIndexDelta(loss, side === 'long' ? this.longOi : this.shortOi, side);
    if (side === 'long') this.fundingIndexLong += delta;
    else this.fundingIndexShort += delta;
    return side;
  }

  moneyOnBooks(): bigint {
    return this.users.reduce((s, x) => s + x.collateral, 0n) + this.pnlPool + this.insurance;
  }
}

const USERS = 4;
const op = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    u: fc.nat(USERS - 1),
    amount: fc.bigInt({ min: 1n, max: 50_000n * QUOTE_PRECISION }),
  }),
  fc.record({
    kind: fc.constant('trade' as const),
    u: fc.nat(USERS - 1),
    delta: fc.bigInt({ min: -500n * BASE_PRECISION, max: 500n * BASE_PRECISION }),
  }),
  fc.record({ kind: fc.constant('price' as const), moveBps: fc.bigInt({ min: -1_500n, max: 1_500n }) }),
  fc.record({ kind: fc.constant('funding' as const), premiumBps: fc.bigInt({ min: -300n, max: 300n }) }),
  fc.record({ kind: fc.constant('liquidate' as const), u: fc.nat(USERS - 1) }),
  fc.record({
    kind: fc.constant('withdraw' as const),
    u: fc.nat(USERS - 1),
    amount: fc.bigInt({ min: 1n, max: 50_000n * QUOTE_PRECISION }),
  }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function run(ex: Exchange, o: Op) {
  switch (o.kind) {
    case 'deposit':
      return ex.deposit(o.u, o.amount);
    case 'withdraw':
      return ex.withdraw(o.u, o.amount);
    case 'trade':
      return ex.trade(o.u, o.delta);
    case 'funding':
      return ex.fundingTick(o.premiumBps);
    case 'liquidate':
      return ex.liquidate(o.u);
    case 'price': {
      const next = ex.oracle + (ex.oracle * o.moveBps) / 10_000n;
      ex.oracle = next > PRICE_PRECISION / 100n ? next : PRICE_PRECISION / 100n;
    }
  }
}

describe('perp engine invariants over random sequences', () => {
  it('conserves money to the base unit: collateral + PnL pool + insurance = deposits - withdrawals', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const ex = new Exchange(USERS);
        for (const o of ops) {
          run(ex, o);
          expect(ex.moneyOnBooks()).toBe(ex.vault);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('pays winners only from what the pool holds: everyone withdraws their free collateral, in any order, from a vault that never runs short', () => {
    const book = fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant('trade' as const),
          u: fc.nat(USERS - 1),
          delta: fc.bigInt({ min: -500n * BASE_PRECISION, max: 500n * BASE_PRECISION }),
        }),
        fc.record({ kind: fc.constant('price' as const), moveBps: fc.bigInt({ min: -1_500n, max: 1_500n }) }),
        fc.record({ kind: fc.constant('funding' as const), premiumBps: fc.bigInt({ min: -300n, max: 300n }) }),
      ),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(book, fc.array(fc.nat(USERS - 1), { minLength: USERS * 3, maxLength: USERS * 6 }), (ops, order) => {
        const ex = new Exchange(USERS);
        for (let u = 0; u < USERS; u++) ex.deposit(u, 20_000n * QUOTE_PRECISION);
        for (const o of ops) {
          run(ex, o);
          expect(ex.pnlPool >= 0n).toBe(true); // no bankruptcy while trading (a trade must leave initial margin): only payouts take from the pool, and they stop at zero
        }
        // Everyone is closed out at the last price, as a liquidation would (the price path may have taken an
        // account past zero: the close books its whole loss, and the bankruptcy is resolved right after, as the
        // liquidation workflow does), then withdraws in a random order, again and again.
        for (let u = 0; u < USERS; u++) {
          if (ex.users[u]!.position.base === 0n) continue;
          ex.settleFunding(u);
          ex.fill(u, -ex.users[u]!.position.base, ex.oracle, 0n);
          if (ex.users[u]!.collateral < 0n) ex.bankrupt(u);
          expect(ex.pnlPool >= 0n).toBe(true); // the pool fronts only the part of the loss it had booked from that account
        }
        for (const u of order) {
          const free = ex.users[u]!.collateral;
          const took = ex.withdraw(u, 10n ** 18n);
          expect(took).toBeGreaterThanOrEqual(free > 0n ? free : 0n); // all of it (and any claim the pool could pay by then)
          expect(ex.vault >= ex.users.reduce((s, x) => s + (x.collateral > 0n ? x.collateral : 0n), 0n)).toBe(true);
          expect(ex.pnlPool >= 0n).toBe(true);
        }
        // What is left in the vault is the protocol's (fees, the pool), never a trader's deposit paid to another.
        expect(ex.vault).toBe(ex.insurance + ex.pnlPool + ex.users.reduce((s, x) => s + x.collateral, 0n));
        expect(ex.users.every((x) => x.collateral >= 0n)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never lets rounding favour the user: opening and closing at one price realizes at most zero', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.boolean(),
        fc.integer({ min: 1, max: 7 }),
        (size, price, long, parts) => {
          const base = long ? size : -size;
          let pos = applyFill(emptyPosition(0, 0n), base, price).position;
          expect(unrealizedPnl(pos, price) <= 0n).toBe(true);
          let realized = 0n;
          for (let i = 0; i < parts && pos.base !== 0n; i++) {
            const chunk = i === parts - 1 ? -pos.base : -pos.base / 2n || -pos.base;
            const out = applyFill(pos, chunk, price);
            realized += out.realizedPnl;
            pos = out.position;
          }
          if (pos.base !== 0n) realized += applyFill(pos, -pos.base, price).realizedPnl;
          expect(realized <= 0n).toBe(true);
        },
      ),
    );
  });

  it('pays out no more funding than it collects on a balanced book; the rounding goes to the protocol', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 13n }), { minLength: 1, maxLength: 20 }),
        fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }),
        (sizes, indexMove) => {
          const longs = sizes;
          const total = longs.reduce((a, b) => a + b, 0n);
          const shorts = [-total]; // one short holding the other side
          const owed = [...longs, ...shorts].map((b) => fundingOwed(b, 0n, indexMove));
          const net = owed.reduce((a, b) => a + b, 0n);
          expect(net >= 0n).toBe(true);
          expect(net <= BigInt(owed.length)).toBe(true);
        },
      ),
    );
  });

  it('charges a socialized loss to the paying side only, and the pool gets it back to the base unit', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.bigInt({ min: -1_000n * BASE_PRECISION, max: 1_000n * BASE_PRECISION }).filter((b) => b !== 0n),
          { minLength: 2, maxLength: 8 },
        ),
        fc.bigInt({ min: 1n, max: 100_000n * QUOTE_PRECISION }),
        fc.bigInt({ min: -300n, max: 300n }),
        (bases, loss, premiumBps) => {
          const ex = new Exchange(bases.length);
          bases.forEach((b, u) => {
            ex.deposit(u, 1_000_000n * QUOTE_PRECISION);
            ex.fill(u, b, ex.oracle, 0n);
          });
          ex.fundingTick(premiumBps); // funding before the loss moves both sides alike
          bases.forEach((_, u) => ex.settleFunding(u));
          // What each account holds or is owed (a funding claim the pool could not pay earlier may be paid now).
          const before = ex.users.map((x) => x.collateral + x.unsettled);
          const poolBefore = ex.pnlPool;
          const owedBefore = ex.users.reduce((s, x) => s + x.unsettled, 0n);
          const side = ex.socialize(loss);
          const paid = bases.map((_, u) => ex.settleFunding(u));
          const payers = bases.map((b) => (side === 'long' ? b > 0n : b < 0n));
          bases.forEach((_, u) => {
            if (!payers[u])
              expect(ex.users[u]!.collateral + ex.users[u]!.unsettled).toBe(before[u]!); // the other side does not move
            else expect(paid[u]! > 0n).toBe(true);
          });
          // What the payers paid the pool, in money or by claims of theirs on it that they no longer hold.
          const recovered =
            ex.pnlPool - (poolBefore - loss) + (owedBefore - ex.users.reduce((s, x) => s + x.unsettled, 0n));
          expect(recovered >= loss).toBe(true); // back to the base unit...
          expect(recovered <= loss + BigInt(payers.filter(Boolean).length)).toBe(true); // ...rounding (up to a unit per payer) to the protocol
          // The loss is the only money missing from the books (a bankrupt account spent it; bankrupt() books that side).
          expect(ex.moneyOnBooks()).toBe(ex.vault - loss);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves an account at or above maintenance after a liquidation step that is not capped', () => {
    let restoredSeen = 0;
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 5_000n }), // position in whole SOL
        fc.boolean(),
        // Equity just under maintenance (3 %): close enough that one step (at most half) can restore it,
        // or, for the lower part of the range, deep enough that the step is capped.
        fc.bigInt({ min: 200n, max: 299n }),
        fc.bigInt({ min: 0n, max: 50n }), // adverse move after opening, bps
        (units, long, equityBps, moveBps) => {
          const ex = new Exchange(1);
          const size = units * BASE_PRECISION;
          ex.deposit(0, (size * ex.oracle * (equityBps + moveBps)) / (BASE_PRECISION * 10_000n));
          ex.fill(0, long ? size : -size, ex.oracle, 0n);
          ex.oracle += ((long ? -1n : 1n) * ex.oracle * moveBps) / 10_000n;
          const { closed, restored } = ex.liquidate(0);
          if (closed === 0n) {
            expect(isBelowMaintenance(ex.account(0))).toBe(false);
            return;
          }
          if (restored === null || ex.users[0]!.position.base === 0n || ex.users[0]!.collateral <= 0n) return;
          restoredSeen++;
          expect(restored).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
    expect(restoredSeen).toBeGreaterThan(50);
  });
});
