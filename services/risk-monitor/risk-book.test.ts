import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Keypair } from '@solana/web3.js';
import {
  BASE_PRECISION,
  DEFAULT_MARKETS,
  FUNDING_INDEX_PRECISION,
  isBelowMaintenance,
  liquidationPrice,
  PRICE_PRECISION,
  QUOTE_PRECISION,
} from '../../domain/perp';
import { EMPTY_MARKET_INDEX, type DecodedUser } from '../../solana/perp-coders';
import { COMPACT_AFTER, RiskBook } from './risk-book';

const [sol, btc] = [DEFAULT_MARKETS[0]!, DEFAULT_MARKETS[1]!];
const startPrice = { [sol.marketIndex]: 150n * PRICE_PRECISION, [btc.marketIndex]: 60_000n * PRICE_PRECISION };
const wallet = Keypair.generate().publicKey;

interface Spec {
  collateral: bigint;
  positions: { market: 0 | 1; base: bigint; entry: bigint }[];
  liquidation?: { seq: bigint; open: boolean };
}

function user(spec: Spec): DecodedUser {
  const positions = spec.positions.map((p) => {
    const m = p.market === 0 ? sol : btc;
    return {
      marketIndex: m.marketIndex,
      base: p.base,
      quoteEntry: (p.base * p.entry) / BASE_PRECISION,
      lastFundingIndex: 0n,
    };
  });
  while (positions.length < 8)
    positions.push({ marketIndex: EMPTY_MARKET_INDEX, base: 0n, quoteEntry: 0n, lastFundingIndex: 0n });
  const liquidation = spec.liquidation ?? { seq: 0n, open: false };
  return {
    authority: wallet,
    unsettledPnl: 0n,
    collateral: spec.collateral,
    positions,
    liquidationSeq: liquidation.seq,
    beingLiquidated: liquidation.open,
    liquidationSteps: 0n,
    episodeSteps: 0,
  };
}

const position = fc.record({
  market: fc.constantFrom(0 as const, 1 as const),
  // up to ±50 units, never zero
  base: fc.bigInt({ min: 1n, max: 50n * BASE_PRECISION }).chain((b) => fc.constantFrom(b, -b)),
  entryMove: fc.integer({ min: -1500, max: 1500 }), // entry price within ±15% of the start price (bps)
});
const spec = fc.record({
  collateral: fc.bigInt({ min: 1n, max: 2_000_000n * QUOTE_PRECISION }),
  positions: fc.uniqueArray(position, { minLength: 1, maxLength: 2, selector: (p) => p.market }),
});

/** A book following SOL-PERP and BTC-PERP at their start prices. */
function pricedBook(compactAfter?: number): RiskBook {
  const book = new RiskBook(compactAfter);
  for (const m of [sol, btc])
    book.setMarket(m.marketIndex, {
      params: m,
      fundingIndexLong: 0n,
      fundingIndexShort: 0n,
      price: startPrice[m.marketIndex]!,
    });
  return book;
}

/** A generated spec as the chain's account: entries within ±15 % of the start price. */
const toUser = (s: { collateral: bigint; positions: { market: 0 | 1; base: bigint; entryMove: number }[] }) =>
  user({
    collateral: s.collateral,
    positions: s.positions.map((p) => {
      const start = startPrice[p.market === 0 ? sol.marketIndex : btc.marketIndex]!;
      return { market: p.market, base: p.base, entry: start + (start * BigInt(p.entryMove)) / 10_000n };
    }),
  });

/** The book finds under water in `marketIndex` exactly the accounts that valuing each one finds there. */
function expectFindsExactly(book: RiskBook, accounts: readonly string[], marketIndex: number): void {
  const expected = accounts.filter((a) => {
    const margin = book.marginAccount(a);
    return (
      margin !== null &&
      margin.positions.some((p) => p.position.marketIndex === marketIndex) &&
      isBelowMaintenance(margin)
    );
  });
  expect(
    book
      .underwater(marketIndex)
      .map((u) => u.account)
      .sort(),
  ).toEqual(expected.sort());
}

/** An empty book following SOL at `price`, its funding indexes at 0. */
function solBook(price: bigint): RiskBook {
  const book = new RiskBook();
  book.setMarket(sol.marketIndex, { params: sol, fundingIndexLong: 0n, fundingIndexShort: 0n, price });
  return book;
}

/** The accounts the book finds below maintenance in SOL, sorted. */
const accountsUnder = (book: RiskBook) =>
  book
    .underwater(sol.marketIndex)
    .map((u) => u.account)
    .sort();

/** A 10 SOL long entered at 150 on 100 USDC: below maintenance at 130. */
const under = {
  collateral: 100n * QUOTE_PRECISION,
  positions: [{ market: 0 as const, base: 10n * BASE_PRECISION, entry: 150n * PRICE_PRECISION }],
};

describe('RiskBook', () => {
  it('finds exactly the holders a price puts below maintenance (same as valuing everyone)', () => {
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -3000, max: 3000 }),
        fc.integer({ min: -3000, max: 3000 }),
        (specs, moveSol, moveBtc) => {
          const book = pricedBook();
          specs.forEach((s, i) => book.upsert(`acct-${i}`, toUser(s)));
          book.underwater(sol.marketIndex); // index built at the start prices, then prices move
          book.setPrice(
            sol.marketIndex,
            startPrice[sol.marketIndex]! + (startPrice[sol.marketIndex]! * BigInt(moveSol)) / 10_000n,
          );
          book.setPrice(
            btc.marketIndex,
            startPrice[btc.marketIndex]! + (startPrice[btc.marketIndex]! * BigInt(moveBtc)) / 10_000n,
          );
          for (const m of [sol, btc]) {
            expectFindsExactly(
              book,
              specs.map((_, i) => `acct-${i}`),
              m.marketIndex,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps finding exactly them while accounts change after the index is built (each entry moves alone, folded in later)', () => {
    const change = fc.record({ who: fc.nat(), next: fc.option(spec, { nil: null }) }); // null: the account closes
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 30 }),
        fc.array(change, { maxLength: 30 }),
        fc.integer({ min: -3000, max: 3000 }),
        // How many changed entries it gathers before folding them into the sorted sides (the default
        // is far more than a case makes): from every change to never.
        fc.constantFrom(1, 2, 3, 5, 8, COMPACT_AFTER),
        (specs, changes, move, compactAfter) => {
          const book = pricedBook(compactAfter);
          specs.forEach((s, i) => book.upsert(`acct-${i}`, toUser(s)));
          for (const m of [sol, btc]) book.underwater(m.marketIndex); // both indexes built
          const now = new Map(specs.map((s, i) => [`acct-${i}`, s as (typeof specs)[number] | null]));
          for (const [n, { who, next }] of changes.entries()) {
            const account = `acct-${who % specs.length}`;
            if (next) book.upsert(account, toUser(next));
            else book.remove(account);
            now.set(account, next);
            if (n % 7 === 6) book.underwater(sol.marketIndex); // a tick between the changes
          }
          // MIKEY's liquidation levels: the same as a book built from the accounts as they are now.
          const fresh = pricedBook();
          for (const [account, s] of now) if (s) fresh.upsert(account, toUser(s));
          const levels = (b: RiskBook, m: number) =>
            b
              .liquidationLevels(m)
              .map((l) => `${l.side}:${l.price}:${l.base}`)
              .sort();
          for (const m of [sol, btc]) expect(levels(book, m.marketIndex)).toEqual(levels(fresh, m.marketIndex));
          book.setPrice(
            sol.marketIndex,
            startPrice[sol.marketIndex]! + (startPrice[sol.marketIndex]! * BigInt(move)) / 10_000n,
          );
          for (const m of [sol, btc]) {
            expectFindsExactly(
              book,
              specs.map((_, i) => `acct-${i}`),
              m.marketIndex,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds dust positions whose trigger the rounding of a few base units moves (valued every tick)', () => {
    // Found by the property above: 11 base units short behind one quote unit of collateral are under
    // water at 150 although the trigger formula says 176.5: at this size rounding outweighs the slack.
    const book = solBook(150n * PRICE_PRECISION);
    book.upsert('s', user({ collateral: 1n, positions: [{ market: 0, base: -11n, entry: 150n * PRICE_PRECISION }] }));
    expect(book.underwater(sol.marketIndex).map((u) => u.account)).toEqual(['s']);
  });

  it("liquidates nobody at a paused market's price: neither in it nor an account holding a position in it", () => {
    const book = new RiskBook();
    book.setMarket(sol.marketIndex, {
      params: sol,
      fundingIndexLong: 0n,
      fundingIndexShort: 0n,
      price: 130n * PRICE_PRECISION,
      paused: true,
    });
    book.setMarket(btc.marketIndex, {
      params: btc,
      fundingIndexLong: 0n,
      fundingIndexShort: 0n,
      price: 50_000n * PRICE_PRECISION,
    });
    book.upsert(
      'a',
      user({
        collateral: 100n * QUOTE_PRECISION,
        positions: [{ market: 0, base: 10n * BASE_PRECISION, entry: 150n * PRICE_PRECISION }],
      }),
    );
    book.upsert(
      'b',
      user({
        collateral: 100n * QUOTE_PRECISION,
        positions: [
          { market: 0, base: 10n * BASE_PRECISION, entry: 150n * PRICE_PRECISION },
          { market: 1, base: BASE_PRECISION / 100n, entry: 50_000n * PRICE_PRECISION },
        ],
      }),
    );
    expect(book.underwater(sol.marketIndex)).toEqual([]);
    expect(book.underwater(btc.marketIndex)).toEqual([]);
    book.setMarket(sol.marketIndex, {
      params: sol,
      fundingIndexLong: 0n,
      fundingIndexShort: 0n,
      price: 130n * PRICE_PRECISION,
      paused: false,
    });
    expect(accountsUnder(book)).toEqual(['a', 'b']);
  });

  it('re-indexes an account when it changes and forgets a closed one', () => {
    const book = solBook(150n * PRICE_PRECISION);
    book.upsert(
      'a',
      user({
        collateral: 100n * QUOTE_PRECISION,
        positions: [{ market: 0, base: 10n * BASE_PRECISION, entry: 150n * PRICE_PRECISION }],
      }),
    );
    expect(book.underwater(sol.marketIndex)).toEqual([]);
    book.setPrice(sol.marketIndex, 130n * PRICE_PRECISION); // lost 200 of 100 collateral
    expect(book.underwater(sol.marketIndex)).toEqual([{ account: 'a', wallet: wallet.toBase58(), seq: '1' }]);
    book.upsert(
      'a',
      user({
        collateral: 10_000n * QUOTE_PRECISION,
        positions: [{ market: 0, base: 10n * BASE_PRECISION, entry: 150n * PRICE_PRECISION }],
      }),
    );
    expect(book.underwater(sol.marketIndex)).toEqual([]); // topped up
    book.upsert(
      'a',
      user({ collateral: 1n, positions: [{ market: 0, base: 10n * BASE_PRECISION, entry: 150n * PRICE_PRECISION }] }),
    );
    book.remove('a');
    expect(book.underwater(sol.marketIndex)).toEqual([]);
    expect(book.size).toBe(0);
  });

  it('does not value the candidates it is told to skip (a liquidation already running for their episode)', () => {
    const book = solBook(130n * PRICE_PRECISION);
    for (const a of ['a', 'b']) book.upsert(a, user(under));
    const asked: string[] = [];
    const skipA = (account: string, seq: string) => {
      asked.push(`${account}:${seq}`);
      return account === 'a';
    };
    expect(book.underwater(sol.marketIndex, skipA)).toEqual([{ account: 'b', wallet: wallet.toBase58(), seq: '1' }]);
    expect(asked.sort()).toEqual(['a:1', 'b:1']);
    expect(accountsUnder(book)).toEqual(['a', 'b']);
  });

  it('keeps its index when a market is read again unchanged but for its price or pause, rebuilds it when a funding index moved', () => {
    const book = new RiskBook();
    const state = { params: sol, fundingIndexLong: 0n, fundingIndexShort: 0n, price: 150n * PRICE_PRECISION };
    book.setMarket(sol.marketIndex, state);
    const accounts = ['a', 'b', 'c'];
    accounts.forEach((a, i) =>
      book.upsert(
        a,
        user({
          collateral: BigInt(60 + 20 * i) * QUOTE_PRECISION,
          positions: [{ market: 0, base: 10n * BASE_PRECISION, entry: 150n * PRICE_PRECISION }],
        }),
      ),
    );
    const exactly = () => accounts.filter((a) => isBelowMaintenance(book.marginAccount(a)!)).sort();
    const found = () =>
      book
        .underwater(sol.marketIndex)
        .map((u) => u.account)
        .sort();
    expect(found()).toEqual([]);
    expect(book.indexBuilds).toBe(1);

    // A bankruptcy the insurance fund covered, a pause and its end: the market is read again, nothing moved.
    book.setMarket(sol.marketIndex, { ...state, price: 146n * PRICE_PRECISION, paused: true });
    book.setMarket(sol.marketIndex, { ...state, price: 146n * PRICE_PRECISION, params: { ...sol } });
    expect(found()).toEqual(exactly());
    expect(found().length).toBeGreaterThan(0);
    expect(book.indexBuilds).toBe(1);

    // A small socialized loss charged to longs (1 USDC on 10 SOL: 0.1 per SOL) moves every long's trigger
    // a little: the search widens by what it allows, the index stays.
    const before = found();
    const small = (QUOTE_PRECISION / 10n) * FUNDING_INDEX_PRECISION;
    book.setMarket(sol.marketIndex, { ...state, price: 146n * PRICE_PRECISION, fundingIndexLong: small });
    expect(found()).toEqual(exactly());
    expect(book.indexBuilds).toBe(1);

    // A large one (30 on 10 SOL, 2 % of the price) moves them further than the index may drift: rebuilt.
    book.setMarket(sol.marketIndex, {
      ...state,
      price: 146n * PRICE_PRECISION,
      fundingIndexLong: small + 3n * QUOTE_PRECISION * FUNDING_INDEX_PRECISION,
    });
    expect(found()).toEqual(exactly());
    expect(found().length).toBeGreaterThan(before.length);
    expect(book.indexBuilds).toBe(2);
  });

  it('keeps finding exactly them while funding payments and socialized losses move the funding indexes (the index drifts, rebuilt only past its bound)', () => {
    // Each move of one side's index, in quote per whole base unit as a share of the SOL price (bps, up to ±0.2 %).
    const move = fc.record({
      side: fc.constantFrom('long' as const, 'short' as const),
      bps: fc.integer({ min: -20, max: 20 }),
    });
    fc.assert(
      fc.property(
        // The first account holds SOL at 3x–25x (its trigger near the price), the others anything.
        fc
          .record({
            base: fc
              .bigInt({ min: BASE_PRECISION / 10n, max: 50n * BASE_PRECISION })
              .chain((b) => fc.constantFrom(b, -b)),
            marginBps: fc.integer({ min: 400, max: 3_000 }),
          })
          .chain(({ base, marginBps }) =>
            fc.array(spec, { maxLength: 39 }).map((others) => [
              {
                collateral:
                  ((base < 0n ? -base : base) * startPrice[sol.marketIndex]! * BigInt(marginBps)) /
                  (BASE_PRECISION * 10_000n),
                positions: [{ market: 0 as const, base, entryMove: 0 }],
              },
              ...others,
            ]),
          ),
        fc.array(move, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: -1500, max: 1500 }),
        // Or the price within ±0.3 % of the first account's trigger, where drift decides.
        fc.option(fc.integer({ min: -30, max: 30 }), { nil: null }),
        (specs, moves, priceMove, nearTrigger) => {
          const book = pricedBook();
          specs.forEach((s, i) => book.upsert(`acct-${i}`, toUser(s)));
          book.underwater(sol.marketIndex); // the index built at the start
          const first = book.marginAccount('acct-0')!;
          const atSol = first.positions.findIndex((p) => p.position.marketIndex === sol.marketIndex);
          const trigger = atSol >= 0 ? liquidationPrice(first, atSol) : null;
          const price =
            nearTrigger !== null && trigger !== null
              ? trigger + (trigger * BigInt(nearTrigger)) / 10_000n
              : startPrice[sol.marketIndex]! + (startPrice[sol.marketIndex]! * BigInt(priceMove)) / 10_000n;
          const funding = { long: 0n, short: 0n };
          for (const m of moves) {
            funding[m.side] += (startPrice[sol.marketIndex]! * BigInt(m.bps) * FUNDING_INDEX_PRECISION) / 10_000n;
            book.setMarket(sol.marketIndex, {
              params: sol,
              fundingIndexLong: funding.long,
              fundingIndexShort: funding.short,
              price,
            });
            expectFindsExactly(
              book,
              specs.map((_, i) => `acct-${i}`),
              sol.marketIndex,
            );
          }
          // Travel well within the bound (twice the travel in price, at most 0.25 % of the start price:
          // under 0.5 % of any price this case sets) never rebuilds; more may (up to 4.8 % here).
          const travelled = moves.reduce((sum, m) => sum + Math.abs(m.bps), 0);
          if (2 * travelled <= 25) expect(book.indexBuilds).toBe(1);
        },
      ),
      {
        numRuns: 500,
        examples: [
          // A long above maintenance at any price (no trigger) that owed funding brings under.
          [
            [{ collateral: 1n, positions: [{ market: 0, base: 1n, entryMove: 0 }] }],
            [{ side: 'long', bps: 1 }],
            0,
            null,
          ],
        ],
      },
    );
  });

  it("names the chain's liquidation episode: the open one while it runs, the next one after it ended", () => {
    const book = solBook(130n * PRICE_PRECISION);
    book.upsert('a', user({ ...under, liquidation: { seq: 4n, open: true } }));
    expect(book.underwater(sol.marketIndex).map((u) => u.seq)).toEqual(['4']);
    book.upsert('a', user({ ...under, liquidation: { seq: 4n, open: false } }));
    expect(book.underwater(sol.marketIndex).map((u) => u.seq)).toEqual(['5']);
  });
});
