import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DEFAULT_MARKETS } from '../../domain/perp';
import { marketAccountOf, SYSTEM_ACCOUNT, type WorkflowEvent } from '../../domain/workflow-events';
import { QdAccount, QdKind, QdMarket, QdStatus, workflowIds } from '../../workflows/definitions';
import type { liquidationWorkflow } from '../../workflows';
import type { RpcPool } from '../chain/rpc-pool';
import { PriceRelayLane, relayPriceTick } from './price-relay';
import { RiskBook, type Underwater } from './risk-book';

export interface MonitorDeps {
  pool: RpcPool;
  temporal: Client;
  /** Where liquidation workflows run. */
  taskQueue: string;
  /**
   * The client shares its connection with a worker of `taskQueue` in this process: ask the server to hand
   * each new liquidation's first workflow task straight to it (eager start).
   */
  eagerStart?: boolean;
  /** Signals per second the price relay may send to waiting orders (RELAY_SIGNALS_PER_SECOND). */
  relaySignalsPerSecond?: number;
}

/**
 * The relay's default pace: each signal is a history write and a workflow task on the server that
 * liquidations need in a crash. 10,000 waiting orders hear a tick within 50 s (only the latest price of a
 * market waits, so a slow relay skips prices rather than queueing them).
 */
export const RELAY_SIGNALS_PER_SECOND = 200;

/** Workflow starts in flight at once when a tick puts many accounts under water. */
const PARALLEL_STARTS = 32;
/**
 * How long a started liquidation is not asked for again while its account stays under water and no
 * event about it arrives: ticks come every few hundred milliseconds, and each start attempt of a running
 * workflow is a server round trip for nothing.
 */
export const RESTART_QUIET_MS = 10_000;
/** How long the monitor remembers a liquidation it asked for (so that asking again first re-reads the account). */
const ASKED_MEMORY_MS = 10 * 60_000;

/**
 * Starts `liq:<account>:<market>:<episode>` for each account, the episode being the chain's (the open one,
 * or the next). A run of that ID still going is not started again; a finished one may be (the account went
 * healthy before its step and under again), and the program refuses any step of an episode that is not
 * the account's current one, so a second detector or a stale book never liquidates twice.
 * Returns the ids it started.
 */
export async function startLiquidations(deps: MonitorDeps, marketIndex: number, accounts: readonly Underwater[]): Promise<string[]> {
  const started: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < accounts.length) {
      const { account, wallet, seq } = accounts[next++]!;
      const workflowId = workflowIds.liquidation(account, marketIndex, seq);
      try {
        await deps.temporal.workflow.start<typeof liquidationWorkflow>('liquidationWorkflow', {
          workflowId, taskQueue: deps.taskQueue, args: [{ account, wallet, marketIndex, seq }], workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          requestEagerStart: deps.eagerStart ?? false,
          typedSearchAttributes: [{ key: QdAccount, value: account }, { key: QdMarket, value: String(marketIndex) }, { key: QdKind, value: 'liquidation' }, { key: QdStatus, value: 'running' }],
        });
        started.push(workflowId);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_STARTS, accounts.length) }, worker));
  return started;
}

/**
 * One pass over a market on fresh chain state (every sub-account read now): what the monitor does after
 * a tick, for callers without a running monitor (tests, operators).
 */
export async function scanMarketForLiquidations(deps: MonitorDeps, marketIndex: number): Promise<string[]> {
  const book = new RiskBook();
  await book.load(deps.pool, DEFAULT_MARKETS.map((m) => m.marketIndex));
  return startLiquidations(deps, marketIndex, book.underwater(marketIndex));
}

export interface TickOutcome {
  underwater: number;
  liquidations: string[];
}

/**
 * The risk monitor's state and reactions: a RiskBook loaded once, refreshed from workflow events, and on
 * each price tick the waiting orders are told and every account the tick put below maintenance gets a
 * liquidation workflow.
 */
export class RiskMonitor {
  private current = new RiskBook();
  /** Waiting orders hear of ticks in their own lane, after the liquidations are started. */
  readonly relay: PriceRelayLane;
  /**
   * Liquidations this monitor asked for (workflow ID -> when, and whether an event has named the account
   * since); forgotten after ASKED_MEMORY_MS.
   */
  private readonly asked = new Map<string, { account: string; at: number; heard: boolean }>();
  /** Accounts named by events while a reload scans the chain: read again once the new book is in place. */
  private touchedDuringReload: Set<string> | null = null;

  constructor(private readonly deps: MonitorDeps, private readonly marketIndexes: readonly number[] = DEFAULT_MARKETS.map((m) => m.marketIndex)) {
    this.relay = new PriceRelayLane((marketIndex, price, yieldTo) => relayPriceTick(deps.temporal, marketIndex, price, yieldTo), {
      signalsPerSecond: deps.relaySignalsPerSecond ?? RELAY_SIGNALS_PER_SECOND,
      now: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
  }

  get book(): RiskBook {
    return this.current;
  }

  /**
   * Scans the chain into a new book while ticks keep being served from the current one, then swaps;
   * accounts that changed during the scan are read again.
   */
  async load(): Promise<void> {
    const next = new RiskBook();
    const touched = new Set<string>();
    this.touchedDuringReload = touched;
    try {
      await next.load(this.deps.pool, this.marketIndexes);
    } finally {
      this.touchedDuringReload = null;
    }
    this.current = next;
    if (touched.size) await next.refreshAccounts(this.deps.pool, [...touched]);
  }

  /**
   * A price tick at `nowMs`: liquidations first, then (in the relay's lane, not awaited) the waiting
   * orders. A liquidation this monitor started recently is not asked for again until an event names its
   * account or RESTART_QUIET_MS pass.
   */
  async onTick(marketIndex: number, price: bigint, nowMs: number, options: { relayToOrders?: boolean } = {}): Promise<TickOutcome> {
    this.current.setPrice(marketIndex, price);
    for (const [id, { at }] of this.asked) if (nowMs - at >= ASKED_MEMORY_MS) this.asked.delete(id);
    const idOf = (u: Underwater) => workflowIds.liquidation(u.account, marketIndex, u.seq);
    const inFlight = (u: Underwater) => {
      const asked = this.asked.get(idOf(u));
      return asked !== undefined && !asked.heard && nowMs - asked.at < RESTART_QUIET_MS;
    };
    let underwater = this.current.underwater(marketIndex);
    // Asked for before and still under water in this book: read them again first, their liquidation may
    // have ended on chain before its events arrived.
    const again = underwater.filter((u) => this.asked.has(idOf(u)) && !inFlight(u));
    if (again.length) {
      await this.current.refreshAccounts(this.deps.pool, again.map((u) => u.account));
      underwater = this.current.underwater(marketIndex);
    }
    const fresh = underwater.filter((u) => !inFlight(u));
    const liquidations = fresh.length ? await this.relay.holding(() => startLiquidations(this.deps, marketIndex, fresh)) : [];
    for (const u of fresh) this.asked.set(idOf(u), { account: u.account, at: nowMs, heard: false });
    if (options.relayToOrders !== false) this.relay.offer(marketIndex, price);
    return { underwater: underwater.length, liquidations };
  }

  /** Workflow events name what changed: their accounts are read again, funding re-reads its market. */
  async onEvents(events: readonly WorkflowEvent[]): Promise<void> {
    const accounts = new Set<string>();
    const markets = new Set<number>();
    for (const e of events) {
      if (e.kind === 'funding') {
        const m = this.marketIndexes.find((i) => marketAccountOf(i) === e.account);
        if (m !== undefined) markets.add(m);
      } else if (e.account !== SYSTEM_ACCOUNT && e.kind !== 'probe') {
        accounts.add(e.account);
      }
    }
    for (const a of accounts) this.touchedDuringReload?.add(a);
    for (const entry of this.asked.values()) if (accounts.has(entry.account)) entry.heard = true;
    for (const m of markets) await this.current.refreshMarket(this.deps.pool, m);
    if (accounts.size) await this.current.refreshAccounts(this.deps.pool, [...accounts]);
  }
}
