import {
  abs,
  BPS_PRECISION,
  divCeil,
  FUNDING_INDEX_PRECISION,
  isBelowMaintenance,
  liquidationPrice,
  maintenanceMarginRatioBps,
  quoteValueFloor,
  type Account,
  type MarketParams,
  type Position,
} from '../../domain/perp';
import { currentLiquidationSeq, type DecodedUser, decodeUser, EMPTY_MARKET_INDEX } from '../../solana/perp-coders';
import { PERP_PROGRAM_ID } from '../../solana/perp-program';
import { fetchAccountsData, fetchPricedMarket, scanUsers } from '../../solana/accounts';
import type { RpcPool } from '../../solana/rpc-pool';
import { big, paramsOf } from '../../solana/margin-account';

export interface MarketState {
  params: MarketParams;
  /** The market's funding index for longs and for shorts (a loss socialized over one side moves only its own). */
  fundingIndexLong: bigint;
  fundingIndexShort: bigint;
  price: bigint;
  /** A paused market's price is not trusted: nobody holding a position in it is liquidated (the program refuses too). */
  paused?: boolean;
}

interface Holder {
  wallet: string;
  collateral: bigint;
  positions: Position[];
  /** The liquidation episode a liquidation started now belongs to (the chain's, as last read). */
  liquidationSeq: bigint;
}

interface Trigger {
  account: string;
  /** The price at which this single-position account reaches maintenance (domain liquidationPrice). */
  price: bigint;
}

/**
 * Sorted liquidation prices of one market's single-position holders: longs highest first, shorts lowest
 * first. A changed account does not move inside the sorted sides (each move shifted up to 100,000 entries:
 * a twentieth of the monitor's CPU in a crash): its old entry goes stale where it is, its new one waits in
 * `pending` (read whole at each tick), and both are folded in once COMPACT_AFTER changes have gathered.
 */
interface MarketIndex {
  longs: Trigger[];
  shorts: Trigger[];
  /** Entries placed since the last compaction, unsorted. */
  pending: { longs: Trigger[]; shorts: Trigger[] };
  /** Entries in the sorted sides that are no longer their holder's (see `placed`). */
  stale: number;
  /** Holders with positions in several markets: their trigger here moves with other prices, so each tick values them. */
  multi: Set<string>;
  /**
   * Longs with no positive liquidation price (above maintenance at any price): owed funding can still
   * bring them under, so they are valued whenever the longs' funding index has travelled.
   */
  untriggered: Set<string>;
  /** Where each holder sits: an entry in a side is live only while it is its holder's `entry` here. */
  placed: Map<string, Placement>;
  /**
   * How far the market's funding indexes have travelled since the entries were computed (the sum of
   * every change, longs' and shorts'): a funding payment or a socialized loss moves each trigger on that
   * side by at most `driftOf` it, so the search widens by that instead of valuing every holder again.
   */
  travel: { longs: bigint; shorts: bigint };
}

type Placement = { side: 'longs' | 'shorts'; entry: Trigger } | { side: 'multi' } | { side: 'none' };

/** Changed entries (stale plus pending) that make a market's index fold them into its sorted sides. */
export const COMPACT_AFTER = 1_024;

/**
 * Holders whose maintenance ratio is above this (only a position of extreme size) are valued on every
 * tick instead of indexed: below it a trigger moves by at most BPS / (BPS - ratio) = 2 price units per
 * unit of funding index travel (`driftOf`).
 */
const MAX_INDEXED_MARGIN_BPS = 5_000n;
/**
 * Funding travel, as the widest price drift it allows, after which the index is built again (the search
 * window has grown by this share of the price: more candidates valued exactly each tick).
 */
const MAX_DRIFT_BPS = 50n;

/**
 * The smallest |base| whose maintenance ratio in a market is above MAX_INDEXED_MARGIN_BPS (ratios only
 * grow with size), or null when none is: found once per market parameters by bisection.
 */
function unindexedFrom(params: MarketParams): bigint | null {
  const known = unindexedBases.get(params);
  if (known !== undefined) return known;
  const above = (base: bigint) => maintenanceMarginRatioBps(params, base) > MAX_INDEXED_MARGIN_BPS;
  let found: bigint | null = null;
  if (above(LARGEST_BASE)) {
    let [lo, hi] = [0n, LARGEST_BASE]; // above(hi), not above(lo)
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (above(mid)) hi = mid;
      else lo = mid;
    }
    found = hi;
  }
  unindexedBases.set(params, found);
  return found;
}
const unindexedBases = new WeakMap<MarketParams, bigint | null>();
/** A position's base is an i64 on chain. */
const LARGEST_BASE = 2n ** 63n - 1n;

/**
 * The most a trigger moves (price units) when its side's funding index travels `travel` (FUNDING_INDEX_PRECISION
 * quote per whole base unit): a long's p* = (debt + b·ΔF) / (b·(1 - m)) moves by ΔF / (1 - m), a short's by
 * ΔF / (1 + m); with m ≤ MAX_INDEXED_MARGIN_BPS, at most twice the travel in price units (PRICE_PRECISION is
 * QUOTE per whole base unit, as the index is once divided by its precision). The rounding of the owed
 * funding moves equity by a unit at most, within the dust the trigger slack already covers.
 */
const driftOf = (travel: bigint): bigint =>
  divCeil(travel * BPS_PRECISION, FUNDING_INDEX_PRECISION * (BPS_PRECISION - MAX_INDEXED_MARGIN_BPS));

const isLive = (index: MarketIndex, t: Trigger) => {
  const placed = index.placed.get(t.account);
  return placed !== undefined && 'entry' in placed && placed.entry === t;
};

const sortSide = (side: 'longs' | 'shorts', list: Trigger[]) =>
  list.sort((a, b) => (a.price === b.price ? 0 : before(side, a.price, b.price) ? -1 : 1));

/** Longs sort highest trigger first, shorts lowest first. */
const before = (side: 'longs' | 'shorts', a: bigint, b: bigint) => (side === 'longs' ? a > b : a < b);

export interface Underwater {
  account: string;
  wallet: string;
  /** The chain's liquidation episode for it: the dedupe key of its liquidation. */
  seq: string;
}

/**
 * Slack on the trigger search. Triggers are rounded toward the current price, so the exact valuation of
 * the candidates (isBelowMaintenance) decides; the slack only makes sure rounding never hides one.
 */
const TRIGGER_SLACK_BPS = 10n;
/** Quote base units that rounding may move an account's equity by (each position's value and entry round). */
const DUST_QUOTE_UNITS = 8n;

function sameParams(a: MarketParams, b: MarketParams): boolean {
  const keys = Object.keys(a) as (keyof MarketParams)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
const ACCOUNTS_PER_READ = 100;

/**
 * The risk monitor's cached valuation of every sub-account: loaded once from the chain (one program
 * account scan), kept fresh by re-reading accounts that workflows report changed, and indexed per market
 * by liquidation price, so a price tick finds the accounts it puts below maintenance without valuing
 * everyone (binary search over the triggers, then the exact domain check on the candidates).
 */
export class RiskBook {
  private readonly holders = new Map<string, Holder>();
  private readonly markets = new Map<number, MarketState>();
  private readonly indexes = new Map<number, MarketIndex>();

  /** `compactAfter`: changed entries a market index gathers before folding them in (COMPACT_AFTER). */
  constructor(private readonly compactAfter = COMPACT_AFTER) {}

  /** How many times a market's index was built whole (each values every holder again). */
  indexBuilds = 0;

  get size(): number {
    return this.holders.size;
  }

  /** Every sub-account and the listed markets, read from the chain. */
  async load(pool: RpcPool, marketIndexes: readonly number[]): Promise<void> {
    for (const m of marketIndexes) await this.refreshMarket(pool, m);
    const all = await scanUsers(pool);
    this.holders.clear();
    for (const [address, user] of all) this.upsert(address, user);
    this.indexes.clear();
  }

  /** A market's parameters, funding index and oracle price, read again (after funding or a parameter change). */
  async refreshMarket(pool: RpcPool, marketIndex: number): Promise<void> {
    const { market, reading } = await fetchPricedMarket(pool, marketIndex);
    this.setMarket(marketIndex, {
      params: paramsOf(market),
      fundingIndexLong: big(market.cumulativeFundingIndexLong),
      fundingIndexShort: big(market.cumulativeFundingIndexShort),
      price: reading.price,
      paused: market.paused,
    });
  }

  /**
   * A market's state. Its holders' triggers depend on its parameters and funding indexes only, not on its
   * price or pause. New parameters rebuild the index (every holder valued again: at 100,000 accounts about
   * half a second of the monitor's thread). A funding index that moved (the hourly funding, or a socialized
   * loss, which a crash with an empty insurance fund brings at every bankruptcy) only widens the search by
   * the drift it allows, until that reaches MAX_DRIFT_BPS of the price and the next tick rebuilds.
   */
  setMarket(marketIndex: number, state: MarketState): void {
    const before = this.markets.get(marketIndex);
    this.markets.set(marketIndex, { ...state });
    const index = this.indexes.get(marketIndex);
    if (!index) return;
    if (!before || !sameParams(before.params, state.params)) {
      this.indexes.delete(marketIndex);
      return;
    }
    index.travel.longs += abs(state.fundingIndexLong - before.fundingIndexLong);
    index.travel.shorts += abs(state.fundingIndexShort - before.fundingIndexShort);
    const drift = driftOf(index.travel.longs > index.travel.shorts ? index.travel.longs : index.travel.shorts);
    if (drift * BPS_PRECISION > state.price * MAX_DRIFT_BPS) this.indexes.delete(marketIndex);
  }

  /** Re-reads the given sub-accounts (after deposits, fills, liquidations...); closed ones are dropped. */
  async refreshAccounts(pool: RpcPool, accounts: readonly string[]): Promise<void> {
    const unique = [...new Set(accounts)];
    for (let i = 0; i < unique.length; i += ACCOUNTS_PER_READ) {
      const chunk = unique.slice(i, i + ACCOUNTS_PER_READ);
      const { values } = await fetchAccountsData(pool, 'read sub-accounts', chunk);
      values.forEach((info, j) => {
        const account = chunk[j]!;
        if (info && info.owner === PERP_PROGRAM_ID.toBase58()) this.upsert(account, decodeUser(info.data));
        else this.remove(account);
      });
    }
  }

  /** The latest price of a market (from the price feed's ticks). */
  setPrice(marketIndex: number, price: bigint): void {
    const market = this.markets.get(marketIndex);
    if (market) market.price = price;
  }

  /** The account as the margin math sees it, at the cached prices and funding indexes. */
  marginAccount(account: string): Account | null {
    const holder = this.holders.get(account);
    if (!holder) return null;
    const positions = [];
    for (const position of holder.positions) {
      const market = this.markets.get(position.marketIndex);
      if (!market) return null; // a market this monitor does not follow: value it on chain instead
      positions.push({
        position,
        params: market.params,
        price: market.price,
        fundingIndex: position.base < 0n ? market.fundingIndexShort : market.fundingIndexLong,
      });
    }
    return { collateral: holder.collateral, positions };
  }

  /**
   * Holders of `marketIndex` below maintenance at the current prices. `skip` names candidates not to value
   * (a liquidation already running for that episode): in a crash most candidates of a tick are accounts
   * whose liquidation is on its way, and valuing each again at every tick was a tenth of the monitor's thread.
   */
  underwater(marketIndex: number, skip?: (account: string, seq: string) => boolean): Underwater[] {
    const market = this.markets.get(marketIndex);
    if (!market || market.paused) return [];
    const index = this.indexOf(marketIndex);
    const candidates = new Set(index.multi);
    if (index.travel.longs > 0n) for (const account of index.untriggered) candidates.add(account);
    // A long is at risk once the price is at or below its trigger, a short at or above; each trigger may
    // have drifted since it was computed by what the funding indexes travelled.
    const longFloor =
      (market.price * BPS_PRECISION) / (BPS_PRECISION + TRIGGER_SLACK_BPS) - driftOf(index.travel.longs);
    for (const t of index.longs) {
      if (t.price < longFloor) break;
      if (isLive(index, t)) candidates.add(t.account);
    }
    for (const t of index.pending.longs) if (t.price >= longFloor && isLive(index, t)) candidates.add(t.account);
    const shortCeiling =
      (market.price * BPS_PRECISION) / (BPS_PRECISION - TRIGGER_SLACK_BPS) + driftOf(index.travel.shorts);
    for (const t of index.shorts) {
      if (t.price > shortCeiling) break;
      if (isLive(index, t)) candidates.add(t.account);
    }
    for (const t of index.pending.shorts) if (t.price <= shortCeiling && isLive(index, t)) candidates.add(t.account);
    const out: Underwater[] = [];
    for (const account of candidates) {
      const holder = this.holders.get(account);
      if (!holder) continue;
      const seq = holder.liquidationSeq.toString();
      if (skip?.(account, seq)) continue;
      const margin = this.marginAccount(account);
      if (!margin || !isBelowMaintenance(margin)) continue;
      if (margin.positions.some((p) => this.markets.get(p.position.marketIndex)?.paused)) continue;
      out.push({ account, wallet: holder.wallet, seq });
    }
    return out;
  }

  /**
   * Every single-market holder's exact liquidation price in `marketIndex` with the size that would be
   * liquidated there (|base|), longs and shorts apart: the input of MIKEY's liquidation map. Holders of
   * several markets are left out (their price here moves with the others').
   */
  liquidationLevels(marketIndex: number): { side: 'long' | 'short'; price: bigint; base: bigint }[] {
    // Exact levels: an index whose triggers have drifted with the funding indexes is built again first.
    const built = this.indexes.get(marketIndex);
    if (built && (built.travel.longs || built.travel.shorts)) this.indexes.delete(marketIndex);
    const index = this.indexOf(marketIndex);
    const sizeOf = (account: string) => {
      const p = this.holders.get(account)?.positions.find((x) => x.marketIndex === marketIndex);
      return p ? (p.base < 0n ? -p.base : p.base) : 0n;
    };
    const live = (list: Trigger[]) => list.filter((t) => isLive(index, t));
    return [
      ...live([...index.longs, ...index.pending.longs]).map((t) => ({
        side: 'long' as const,
        price: t.price,
        base: sizeOf(t.account),
      })),
      ...live([...index.shorts, ...index.pending.shorts]).map((t) => ({
        side: 'short' as const,
        price: t.price,
        base: sizeOf(t.account),
      })),
    ];
  }

  /** A sub-account as decoded from the chain; its entries in the markets it held and holds move. */
  upsert(account: string, user: DecodedUser): void {
    const held = this.marketsOf(account);
    const positions = user.positions
      .filter((p) => p.marketIndex !== EMPTY_MARKET_INDEX)
      .map((p) => ({
        marketIndex: p.marketIndex,
        base: big(p.base),
        quoteEntry: big(p.quoteEntry),
        lastFundingIndex: big(p.lastFundingIndex),
      }));
    this.holders.set(account, {
      wallet: user.authority.toBase58(),
      collateral: big(user.collateral),
      positions,
      liquidationSeq: currentLiquidationSeq(user),
    });
    for (const m of new Set([...held, ...this.marketsOf(account)])) this.reindex(m, account);
  }

  remove(account: string): void {
    const held = this.marketsOf(account);
    this.holders.delete(account);
    for (const m of held) this.reindex(m, account);
  }

  private marketsOf(account: string): number[] {
    return this.holders.get(account)?.positions.map((p) => p.marketIndex) ?? [];
  }

  /** Moves one account's entry in a built index (an unbuilt one is built whole on its next tick). */
  private reindex(marketIndex: number, account: string): void {
    const index = this.indexes.get(marketIndex);
    if (!index) return;
    const old = index.placed.get(account);
    if (old?.side === 'multi') index.multi.delete(account);
    if (old?.side === 'none') index.untriggered.delete(account);
    if (old && 'entry' in old) index.stale++; // left where it is, no longer live
    index.placed.delete(account);
    this.place(index, marketIndex, account, true);
    if (index.stale + index.pending.longs.length + index.pending.shorts.length >= this.compactAfter) compact(index);
  }

  /** Puts a holder of `marketIndex` in its index (`changed`: in the pending entries, the sides being sorted). */
  private place(index: MarketIndex, marketIndex: number, account: string, changed: boolean): void {
    const holder = this.holders.get(account);
    const at = holder?.positions.findIndex((p) => p.marketIndex === marketIndex) ?? -1;
    if (!holder || at < 0) return;
    if (holder.positions.length > 1) {
      index.multi.add(account);
      index.placed.set(account, { side: 'multi' });
      return;
    }
    const margin = this.marginAccount(account);
    const base = holder.positions[at]!.base;
    const side = base > 0n ? 'longs' : 'shorts';
    // A ratio so high that funding moves its trigger further than `driftOf` allows: valued every tick.
    const params = this.markets.get(marketIndex)?.params;
    const beyond = params && unindexedFrom(params);
    if (beyond && abs(base) >= beyond) {
      index.multi.add(account);
      index.placed.set(account, { side: 'multi' });
      return;
    }
    // No positive liquidation price: a long is then above maintenance at every price, a short below it
    // at every price (its trigger is 0: every tick finds it).
    const price = (margin ? liquidationPrice(margin, 0) : null) ?? (margin && base < 0n ? 0n : null);
    if (price === null) {
      index.untriggered.add(account);
      index.placed.set(account, { side: 'none' });
      return;
    }
    // Dust: where the slack moves its value by less than the rounding of a few base units, the trigger
    // cannot be trusted; such an account is valued on every tick like a multi-market one.
    if ((quoteValueFloor(base < 0n ? -base : base, price) * TRIGGER_SLACK_BPS) / BPS_PRECISION < DUST_QUOTE_UNITS) {
      index.multi.add(account);
      index.placed.set(account, { side: 'multi' });
      return;
    }
    const entry = { account, price };
    (changed ? index.pending : index)[side].push(entry);
    index.placed.set(account, { side, entry });
  }

  private indexOf(marketIndex: number): MarketIndex {
    const built = this.indexes.get(marketIndex);
    if (built) return built;
    const index: MarketIndex = {
      longs: [],
      shorts: [],
      pending: { longs: [], shorts: [] },
      stale: 0,
      multi: new Set(),
      untriggered: new Set(),
      placed: new Map(),
      travel: { longs: 0n, shorts: 0n },
    };
    this.indexBuilds++;
    for (const account of this.holders.keys()) this.place(index, marketIndex, account, false);
    sortSide('longs', index.longs);
    sortSide('shorts', index.shorts);
    this.indexes.set(marketIndex, index);
    return index;
  }
}

/** Folds a market index's pending entries into its sorted sides and drops the stale ones. */
function compact(index: MarketIndex): void {
  for (const side of ['longs', 'shorts'] as const) {
    const merged: Trigger[] = [];
    const sorted = index[side];
    const pending = sortSide(
      side,
      index.pending[side].filter((t) => isLive(index, t)),
    );
    let j = 0;
    for (const t of sorted) {
      if (!isLive(index, t)) continue;
      while (j < pending.length && before(side, pending[j]!.price, t.price)) merged.push(pending[j++]!);
      merged.push(t);
    }
    while (j < pending.length) merged.push(pending[j++]!);
    index[side] = merged;
    index.pending[side] = [];
  }
  index.stale = 0;
}
