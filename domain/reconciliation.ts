// Reconciliation of the books (Postgres) with the chain: pure comparison, no I/O. Amounts are
// QUOTE_PRECISION (collateral, PnL, funds) and BASE_PRECISION (position sizes), as the program keeps them.

export interface BookPosition {
  base: bigint;
  quoteEntry: bigint;
}

/** One sub-account's balances and open positions (by market index), as one side holds them. */
export interface AccountState {
  collateral: bigint;
  unsettledPnl: bigint;
  positions: ReadonlyMap<number, BookPosition>;
}

export interface Difference {
  /** A sub-account address, or `protocol` for the totals. */
  account: string;
  /** e.g. `collateral`, `unsettled_pnl`, `position:1.base`, `vault`, `insurance_fund`, `pnl_pool`, `conservation`. */
  field: string;
  chain: string;
  books: string;
}

export const PROTOCOL = 'protocol';

const EMPTY: AccountState = { collateral: 0n, unsettledPnl: 0n, positions: new Map() };

/**
 * Every field on which the chain and the books disagree for one sub-account. An account one side does
 * not hold counts as empty (no balance, no position): a sub-account opened without a deposit is no difference.
 */
export function accountDifferences(
  account: string,
  chain: AccountState | undefined,
  books: AccountState | undefined,
): Difference[] {
  const c = chain ?? EMPTY;
  const b = books ?? EMPTY;
  const out: Difference[] = [];
  const differ = (field: string, onChain: bigint, inBooks: bigint) => {
    if (onChain !== inBooks) out.push({ account, field, chain: onChain.toString(), books: inBooks.toString() });
  };
  differ('collateral', c.collateral, b.collateral);
  differ('unsettled_pnl', c.unsettledPnl, b.unsettledPnl);
  const markets = [...new Set([...c.positions.keys(), ...b.positions.keys()])].sort((x, y) => x - y);
  for (const m of markets) {
    const onChain = c.positions.get(m) ?? { base: 0n, quoteEntry: 0n };
    const inBooks = b.positions.get(m) ?? { base: 0n, quoteEntry: 0n };
    differ(`position:${m}.base`, onChain.base, inBooks.base);
    differ(`position:${m}.quote_entry`, onChain.quoteEntry, inBooks.quoteEntry);
  }
  return out;
}

/** Every account either side holds, compared; sorted by account then field so a report reads the same twice. */
export function compareAccounts(
  chain: ReadonlyMap<string, AccountState>,
  books: ReadonlyMap<string, AccountState>,
): Difference[] {
  const accounts = [...new Set([...chain.keys(), ...books.keys()])].sort();
  return accounts.flatMap((a) => accountDifferences(a, chain.get(a), books.get(a)));
}

export interface ChainTotals {
  /** The program vault's token balance. */
  vault: bigint;
  insuranceFund: bigint;
  pnlPool: bigint;
  /** Sum of every sub-account's collateral. */
  collateral: bigint;
}

export interface BookTotals {
  deposited: bigint;
  /** Settled withdrawals only: a reserved one has not left the vault, a released one never will. */
  withdrawn: bigint;
  /** Taker fees of recorded fills plus the insurance fund ledger (liquidation fees in, bankruptcy cover out). */
  insuranceFund: bigint;
  /** Sum of the booked sub-accounts' collateral. */
  collateral: bigint;
}

/**
 * The protocol's totals: the vault holds what was deposited less what was withdrawn; the insurance fund is
 * what the recorded fees and covers add up to; the PnL pool is what conservation leaves for it in the
 * books (vault - collateral - insurance) against what the program holds. Also the chain's own
 * conservation (vault = collateral + insurance + PnL pool), which no booking error can explain away.
 */
export function totalsDifferences(chain: ChainTotals, books: BookTotals): Difference[] {
  const out: Difference[] = [];
  const differ = (field: string, onChain: bigint, inBooks: bigint) => {
    if (onChain !== inBooks)
      out.push({ account: PROTOCOL, field, chain: onChain.toString(), books: inBooks.toString() });
  };
  const vaultBooks = books.deposited - books.withdrawn;
  differ('vault', chain.vault, vaultBooks);
  differ('insurance_fund', chain.insuranceFund, books.insuranceFund);
  differ('pnl_pool', chain.pnlPool, vaultBooks - books.collateral - books.insuranceFund);
  differ('conservation', chain.vault, chain.collateral + chain.insuranceFund + chain.pnlPool);
  return out;
}
