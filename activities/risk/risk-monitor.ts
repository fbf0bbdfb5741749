import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DEFAULT_MARKETS } from '../../domain/perp';
import { marketAccountOf, SYSTEM_ACCOUNT, type WorkflowEvent } from '../../domain/workflow-events';
import { QdAccount, QdKind, QdMarket, QdStatus, workflowIds } from '../../workflows/definitions';
import type { liquidationWorkflow } from '../../workflows';
import type { RpcPool } from '../chain/rpc-pool';
import { relayPriceTick } from './price-relay';
import { RiskBook, type Underwater } from './risk-book';

export interface MonitorDeps {
  pool: RpcPool;
  temporal: Client;
  taskQueue: string;
}

/** Workflow starts in flight at once when a tick puts many accounts under water. */
const PARALLEL_STARTS = 32;

/** The liquidation period of a time: one liquidation workflow per account and market per minute. */
export const liquidationEpoch = (nowMs: number): string => String(Math.floor(nowMs / 60_000));

/**
 * Starts `liq:<account>:<market>:<epoch>` for each account; one already started in this period is
 * skipped, so repeated ticks start it once. Returns the ids it started.
 */
export async function startLiquidations(deps: MonitorDeps, marketIndex: number, epoch: string, accounts: readonly Underwater[]): Promise<string[]> {
  const started: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < accounts.length) {
      const { account, wallet } = accounts[next++]!;
      const workflowId = workflowIds.liquidation(account, marketIndex, epoch);
      try {
        await deps.temporal.workflow.start<typeof liquidationWorkflow>('liquidationWorkflow', {
          workflowId, taskQueue: deps.taskQueue, args: [{ account, wallet, marketIndex, epoch }], workflowIdReusePolicy: 'REJECT_DUPLICATE',
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
export async function scanMarketForLiquidations(deps: MonitorDeps, marketIndex: number, epoch: string): Promise<string[]> {
  const book = new RiskBook();
  await book.load(deps.pool, DEFAULT_MARKETS.map((m) => m.marketIndex));
  return startLiquidations(deps, marketIndex, epoch, book.underwater(marketIndex));
}

export interface TickOutcome {
  ordersTold: number;
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
  /** Accounts named by events while a reload scans the chain: read again once the new book is in place. */
  private touchedDuringReload: Set<string> | null = null;

  constructor(private readonly deps: MonitorDeps, private readonly marketIndexes: readonly number[] = DEFAULT_MARKETS.map((m) => m.marketIndex)) {}

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

  async onTick(marketIndex: number, price: bigint, nowMs: number, options: { relayToOrders?: boolean } = {}): Promise<TickOutcome> {
    const ordersTold = options.relayToOrders === false ? 0 : await relayPriceTick(this.deps.temporal, marketIndex, price);
    this.current.setPrice(marketIndex, price);
    const underwater = this.current.underwater(marketIndex);
    const liquidations = await startLiquidations(this.deps, marketIndex, liquidationEpoch(nowMs), underwater);
    return { ordersTold, underwater: underwater.length, liquidations };
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
    for (const m of markets) await this.current.refreshMarket(this.deps.pool, m);
    if (accounts.size) await this.current.refreshAccounts(this.deps.pool, [...accounts]);
  }
}
