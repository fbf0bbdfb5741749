import { describe, expect, it } from 'vitest';
import { accountDifferences, compareAccounts, totalsDifferences, PROTOCOL, type AccountState } from './reconciliation';

const state = (collateral: bigint, unsettledPnl = 0n, positions: [number, bigint, bigint][] = []): AccountState => ({
  collateral,
  unsettledPnl,
  positions: new Map(positions.map(([m, base, quoteEntry]) => [m, { base, quoteEntry }])),
});

describe('reconciliation of the books with the chain', () => {
  it('finds nothing when both sides agree, and treats an account one side lacks as empty', () => {
    expect(accountDifferences('a', state(5n, 1n, [[0, 2n, -3n]]), state(5n, 1n, [[0, 2n, -3n]]))).toEqual([]);
    expect(accountDifferences('a', state(0n), undefined)).toEqual([]);
    expect(accountDifferences('a', undefined, state(0n))).toEqual([]);
  });

  it('names every field that differs, with both values', () => {
    const diff = accountDifferences(
      'a',
      state(100n, 7n, [
        [0, 2n, -3n],
        [2, -1n, 5n],
      ]),
      state(99n, 7n, [
        [0, 2n, -4n],
        [1, 1n, 1n],
      ]),
    );
    expect(diff).toEqual([
      { account: 'a', field: 'collateral', chain: '100', books: '99' },
      { account: 'a', field: 'position:0.quote_entry', chain: '-3', books: '-4' },
      { account: 'a', field: 'position:1.base', chain: '0', books: '1' },
      { account: 'a', field: 'position:1.quote_entry', chain: '0', books: '1' },
      { account: 'a', field: 'position:2.base', chain: '-1', books: '0' },
      { account: 'a', field: 'position:2.quote_entry', chain: '5', books: '0' },
    ]);
  });

  it('reports an account held on one side only, sorted by account', () => {
    const chain = new Map([
      ['b', state(3n)],
      ['a', state(1n)],
    ]);
    const books = new Map([
      ['c', state(2n)],
      ['a', state(1n)],
    ]);
    expect(compareAccounts(chain, books).map((d) => `${d.account}.${d.field}`)).toEqual([
      'b.collateral',
      'c.collateral',
    ]);
  });

  it("checks the vault, the insurance fund, the PnL pool the books imply and the chain's own conservation", () => {
    const books = { deposited: 1_000n, withdrawn: 100n, insuranceFund: 30n, collateral: 800n };
    expect(totalsDifferences({ vault: 900n, insuranceFund: 30n, pnlPool: 70n, collateral: 800n }, books)).toEqual([]);
    const diff = totalsDifferences({ vault: 900n, insuranceFund: 31n, pnlPool: 70n, collateral: 800n }, books);
    expect(diff).toEqual([
      { account: PROTOCOL, field: 'insurance_fund', chain: '31', books: '30' },
      { account: PROTOCOL, field: 'conservation', chain: '900', books: '901' },
    ]);
  });
});
