import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DEFAULT_MARKETS } from '../../domain/perp';
import { marketAccountOf, SYSTEM_ACCOUNT, type WorkflowEvent } from '../../domain/workflow-events';
import { parseWorkflowId, QdAccounts, QdKind, QdMarket, QdStatus, workflowIds } from '../../workflows/definitions';
import type { liquidationBatchWorkflow } from '../../workflows';
import type { RpcPool } from '../../solana/rpc-pool';
import type { Database } from '../../platform/postgres';
import { PriceRelayLane, signalCrossedOrder } from './price-relay';
import { RiskBook, type Underwater } from './risk-book';
import { RestingOrderFeed, TriggerIndex } from './trigger-index';

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
  /** Signals per second the price relay may send to crossed orders (RELAY_SIGNALS_PER_SECOND). */
  relaySignalsPerSecond?: number;
  /** Where the waiting orders' rows are (the trigger index follows them); without it no order is told. */
  db?: Database;
  /** Accounts per liquidation batch (LIQUIDATION_BATCH_SIZE). */
  batchSize?: number;
}

/**
 * The relay's default pace: each signal is a history write and a workflow task on the server that
 * liquidations need in a crash. Only crossed orders are told, once each; a crash crossing 1,000 stops
 * tells them all within 5 s.
 */
export const RELAY_SIGNALS_PER_SECOND = 200;

/** Batch workflows starting at once when a tick puts many accounts under water. */
const PARALLEL_STARTS = 8;
/**
 * Accounts per liquidation batch: a crash's first wave (1 % of 100,000 accounts) becomes a few batches
 * that the liquidation workers run side by side, each a small history; every workflow costs its worker's
 * workflow thread tens of milliseconds before its chain work starts, so fewer, larger ones start it sooner.
 * Bounded by the batch's `QdAccounts` search attribute (47 bytes per account): the servers scripts/lib.sh
 * starts take 8 KB per value (temporal/server/dynamicconfig.yaml); against a server at Temporal's default
 * (2 KB) a refused start is split in halves until it fits.
 */
export const LIQUIDATION_BATCH_SIZE = 120;
/**
 * How long a started liquidation is not asked for again while its account stays under water and no
 * event about it arrives: ticks come every few hundred milliseconds, and each start attempt of a running
 * workflow is a server round trip for nothing.
 */
export const RESTART_QUIET_MS = 10_000;
/** How long the monitor remembers a liquidation it asked for (so that asking again first re-reads the account). */
const ASKED_MEMORY_MS = 10 * 60_000;

/**
 * A liquidation's steps after its chain work (its row written, its resting orders cancelled) change nothing
 * on chain: its account was read again when the chain steps' events came (they come first, and a batch
 * that gave up says `failed`).
 */
const LIQUIDATION_BOOKKEEPING_STEPS = new Set(['recorded', 'orders-cancelled']);
const bookkeepingOnly = (e: WorkflowEvent) => e.kind === 'liquidation' && LIQUIDATION_BOOKKEEPING_STEPS.has(e.step);

/** Names a set of (account, episode) pairs, whatever their order: the same set gets the same batch ID. */
export function liquidationBatchDigest(accounts: readonly { account: string; seq: string }[]): string {
  const pairs = accounts.map((a) => `${a.account}:${a.seq}`).sort();
  return createHash('sha256').update(pairs.join(',')).digest('hex').slice(0, 20);
}

export interface StartedBatch {
  workflowId: string;
  /** The business keys (liq:<account>:<market>:<episode>) of the liquidations it runs. */
  liquidations: string[];
}

/**
 * Starts the liquidations of `accounts` in `liquidationBatchWorkflow`s of LIQUIDATION_BATCH_SIZE, each
 * named by its market and its set of (account, episode) pairs, the episode being the chain's (the open
 * one, or the next): a retried tick or a second detector seeing the same set finds the running batch;
 * a finished one may run again (its accounts went healthy before their steps and under again), and the
 * program refuses any step of an episode that is not the account's current one, so no account is ever
 * liquidated twice, whichever batches name it. Returns the batches it started.
 */
export async function startLiquidations(
  deps: MonitorDeps,
  marketIndex: number,
  accounts: readonly Underwater[],
): Promise<StartedBatch[]> {
  const batches: Underwater[][] = [];
  const size = fittingBatchSize.get(deps.temporal) ?? deps.batchSize ?? LIQUIDATION_BATCH_SIZE;
  for (let i = 0; i < accounts.length; i += size) batches.push(accounts.slice(i, i + size));
  const started: StartedBatch[] = [];
  const start = async (batch: Underwater[]): Promise<void> => {
    const workflowId = workflowIds.liquidationBatch(marketIndex, liquidationBatchDigest(batch));
    try {
      await deps.temporal.workflow.start<typeof liquidationBatchWorkflow>('liquidationBatchWorkflow', {
        workflowId,
        taskQueue: deps.taskQueue,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        requestEagerStart: deps.eagerStart ?? false,
        args: [{ marketIndex, accounts: batch.map(({ account, wallet, seq }) => ({ account, wallet, seq })) }],
        typedSearchAttributes: [
          { key: QdAccounts, value: batch.map((u) => u.account) },
          { key: QdMarket, value: String(marketIndex) },
          { key: QdKind, value: 'liquidation' },
          { key: QdStatus, value: 'running' },
        ],
      });
      started.push({
        workflowId,
        liquidations: batch.map((u) => workflowIds.liquidation(u.account, marketIndex, u.seq)),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      if (batch.length < 2 || !searchAttributeTooLarge(err)) throw err;
      // A server whose limit on one search attribute value is below this batch's QdAccounts (one not set up
      // by scripts/lib.sh): halves, and batches that size from now on.
      const half = Math.ceil(batch.length / 2);
      fittingBatchSize.set(deps.temporal, Math.min(half, fittingBatchSize.get(deps.temporal) ?? half));
      await start(batch.slice(0, half));
      await start(batch.slice(half));
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await start(batches[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_STARTS, batches.length) }, worker));
  return started;
}

/** The batch size a server took after refusing a larger one's QdAccounts, per client. */
const fittingBatchSize = new WeakMap<Client, number>();

/** The server refused a start because a search attribute's value is over its size limit. */
function searchAttributeTooLarge(err: unknown): boolean {
  const cause = err instanceof Error ? (err.cause as { code?: number; details?: string } | undefined) : undefined;
  return cause?.code === GRPC_INVALID_ARGUMENT && /search attribute .* exceeds size limit/.test(cause.details ?? '');
}
const GRPC_INVALID_ARGUMENT = 3;

/**
 * One pass over a market on fresh chain state (every sub-account read now): what the monitor does after
 * a tick, for callers without a running monitor (tests, operators).
 */
export async function scanMarketForLiquidations(deps: MonitorDeps, marketIndex: number): Promise<StartedBatch[]> {
  const book = new RiskBook();
  await book.load(
    deps.pool,
    DEFAULT_MARKETS.map((m) => m.marketIndex),
  );
  return startLiquidations(deps, marketIndex, book.underwater(marketIndex));
}

export interface TickOutcome {
  /** Accounts found below maintenance (besides those whose liquidation is running: not valued again). */
  underwater: number;
  liquidations: StartedBatch[];
  /** Waiting orders the tick crossed (told in the relay's lane). */
  ordersCrossed: number;
}

/**
 * The risk monitor's state and reactions: a RiskBook loaded once, refreshed from workflow events, and a
 * TriggerIndex of the waiting orders following their rows; on each price tick every account the tick put
 * below maintenance gets a liquidation workflow, then the orders the tick crossed are told.
 */
export class RiskMonitor {
  private current = new RiskBook();
  /** The waiting orders by market and trigger. */
  readonly triggers = new TriggerIndex();
  private readonly orders: RestingOrderFeed | null;
  /** Crossed orders are told in their own lane, after the liquidations are started. */
  readonly relay: PriceRelayLane;
  /**
   * Liquidations this monitor asked for (workflow ID -> when, and whether an event has named the account
   * since); forgotten after ASKED_MEMORY_MS.
   */
  private readonly asked = new Map<string, { account: string; at: number; heard: boolean }>();
  /** Accounts named by events while a reload scans the chain: read again once the new book is in place. */
  private touchedDuringReload: Set<string> | null = null;
  /** Per market, since when each account now under water has been seen under (the liquidation backlog). */
  private readonly underSince = new Map<number, Map<string, number>>();

  constructor(
    private readonly deps: MonitorDeps,
    private readonly marketIndexes: readonly number[] = DEFAULT_MARKETS.map((m) => m.marketIndex),
  ) {
    this.orders = deps.db ? new RestingOrderFeed(deps.db, this.triggers, deps.temporal) : null;
    this.relay = new PriceRelayLane(
      (t) => signalCrossedOrder(deps.temporal, t),
      (t) => this.triggers.restore(t.order),
      {
        signalsPerSecond: deps.relaySignalsPerSecond ?? RELAY_SIGNALS_PER_SECOND,
        now: () => performance.now(),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      },
    );
  }

  /** Brings the trigger index up to date with the orders table (the rows changed since the last call). */
  async syncOrders(): Promise<number> {
    return this.orders ? this.orders.poll() : 0;
  }

  /** Reads every waiting order again (and lists the runs that rest without a row). */
  async reloadOrders(): Promise<void> {
    await this.orders?.reload();
  }

  /** Tells the orders `price` crosses (a tick between two the monitor handles in full). */
  tellCrossed(marketIndex: number, price: bigint): number {
    const crossed = this.triggers.take(marketIndex, price);
    this.relay.enqueue(crossed.map((order) => ({ order, price })));
    return crossed.length;
  }

  get book(): RiskBook {
    return this.current;
  }

  /**
   * The liquidation backlog of each market at `nowMs`, as the book stands: how many accounts are below
   * maintenance and for how long the oldest of them has been (since the first call that saw it under).
   * Called at each metrics scrape; an account liquidated or topped up leaves it at the next call.
   */
  backlog(nowMs: number): { marketIndex: number; underwater: number; oldestMs: number }[] {
    return this.marketIndexes.map((marketIndex) => {
      const before = this.underSince.get(marketIndex) ?? new Map<string, number>();
      const now = new Map(this.current.underwater(marketIndex).map((u) => [u.account, before.get(u.account) ?? nowMs]));
      this.underSince.set(marketIndex, now);
      const oldest = Math.min(nowMs, ...now.values());
      return { marketIndex, underwater: now.size, oldestMs: nowMs - oldest };
    });
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
   * orders it crossed. A liquidation this monitor started recently is not asked for again until an event names its
   * account or RESTART_QUIET_MS pass.
   */
  async onTick(
    marketIndex: number,
    price: bigint,
    nowMs: number,
    options: { relayToOrders?: boolean } = {},
  ): Promise<TickOutcome> {
    this.current.setPrice(marketIndex, price);
    for (const [id, { at }] of this.asked) if (nowMs - at >= ASKED_MEMORY_MS) this.asked.delete(id);
    const idOf = (account: string, seq: string) => workflowIds.liquidation(account, marketIndex, seq);
    // A liquidation asked for recently whose account no event has named since is on its way: not valued.
    const inFlight = (account: string, seq: string) => {
      const asked = this.asked.get(idOf(account, seq));
      return asked !== undefined && !asked.heard && nowMs - asked.at < RESTART_QUIET_MS;
    };
    let underwater = this.current.underwater(marketIndex, inFlight);
    // Asked for before and still under water in this book: read them again first, their liquidation may
    // have ended on chain before its events arrived.
    const again = underwater.filter((u) => this.asked.has(idOf(u.account, u.seq)));
    if (again.length) {
      await this.current.refreshAccounts(
        this.deps.pool,
        again.map((u) => u.account),
      );
      underwater = this.current.underwater(marketIndex, inFlight);
    }
    const liquidations = underwater.length
      ? await this.relay.holding(() => startLiquidations(this.deps, marketIndex, underwater))
      : [];
    for (const u of underwater) this.asked.set(idOf(u.account, u.seq), { account: u.account, at: nowMs, heard: false });
    const ordersCrossed = options.relayToOrders === false ? 0 : this.tellCrossed(marketIndex, price);
    return { underwater: underwater.length, liquidations, ordersCrossed };
  }

  /**
   * Workflow events name what changed: their accounts are read again; a market whose funding index moved
   * (a funding crank, or a bankruptcy that socialized a loss over one side) is read again too, or every
   * position on the paying side would be valued with the old index until the next reload.
   */
  async onEvents(events: readonly WorkflowEvent[]): Promise<void> {
    const accounts = new Set<string>();
    const markets = new Set<number>();
    for (const e of events) {
      if (e.kind === 'funding') {
        const m = this.marketIndexes.find((i) => marketAccountOf(i) === e.account);
        if (m !== undefined) markets.add(m);
      } else if (e.account !== SYSTEM_ACCOUNT && e.kind !== 'probe' && !bookkeepingOnly(e)) {
        accounts.add(e.account);
      }
      if (e.kind === 'liquidation' && e.step === 'bankruptcy-resolved') {
        const episode = parseWorkflowId.liquidation(e.detail?.liquidation ?? e.workflowId);
        if (episode && this.marketIndexes.includes(episode.marketIndex)) markets.add(episode.marketIndex);
      }
    }
    for (const a of accounts) this.touchedDuringReload?.add(a);
    // A liquidation's events are heard by its own ask only (another episode's steps say nothing about it);
    // any other event of an account (a fill, a deposit) may have changed it for all of them.
    const liquidationKeys = new Set<string>();
    const otherwise = new Set<string>();
    for (const e of events) {
      if (e.kind === 'liquidation')
        liquidationKeys.add(e.detail?.liquidation ?? e.workflowId); // one-account runs: the ID is the key
      else otherwise.add(e.account);
    }
    for (const [id, entry] of this.asked)
      if (liquidationKeys.has(id) || otherwise.has(entry.account)) entry.heard = true;
    for (const m of markets) await this.current.refreshMarket(this.deps.pool, m);
    if (accounts.size) await this.current.refreshAccounts(this.deps.pool, [...accounts]);
  }
}
