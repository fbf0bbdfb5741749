// Liquidation at market speed (JSON on stdout), on the real stack: localnet (three RPC providers), Temporal,
// Postgres, Redis, and the worker and risk monitor as their own processes, as `npm start` runs them.
//
// N sub-accounts hold SOL-PERP positions, every one created through the real program (/seed-traders):
// 1 % sit just above maintenance (a first tick, a gap to -3.3 %, puts all of them under), 1 % are spread
// over leverages that cross maintenance during the slide, the rest are 3x, long and short. Then a crash
// path: the gap, -10 % over 60 ticks, +12 % over 60 ticks, one tick every 250 ms, each published to the
// Pyth account and to the price stream the risk monitor follows (what the price feed does).
//
// An observer outside the pipeline reads the at-risk accounts from the chain after every tick and values
// them at the oracle: the time each account spends below maintenance is measured from the tick that put it
// under to the first read that finds it healthy or closed (a read every 50 ms: that is the resolution). It
// reads only what an executed transaction may have written since its last read (the localnet's /written),
// so that measuring takes little of the machine the pipeline runs on (QD_BENCH_OBSERVER=under|all: wider).
// Before the crash, the same liquidations (the gap's) are sent directly by the keeper's code without
// Temporal, many at once, on a localnet of their own: the physical limit here, measured in the same run.
// Then twice through Temporal on a quiet machine (a localnet and a database of their own each, no crash,
// no detection, no observer): batch workflows with only their chain activity, then the platform's batch
// workflow with its books (the durable floor: the most the pipeline could do here, and what its books cost).
//
// Detection is not starved by resting orders: tick -> liquidations started for a wave of accounts with 0
// and with QD_BENCH_RESTING_ORDERS (10,000) waiting orders in the monitor's trigger index.
//
// QD_BENCH_CRASH_ACCOUNTS (default 100000; 10000 for the quick mode; 0 skips the crash), QD_BENCH_TICK_MS (250),
// QD_BENCH_RESTING_ORDERS (10000; 0 skips the detection part), QD_BENCH_OBSERVER (written).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, sum } from 'drizzle-orm';
import { insuranceFundLedger, liquidations } from '../drizzle/schema';
import { BASE_PRECISION, isBelowMaintenance, PRICE_PRECISION, QUOTE_PRECISION } from '../domain/perp';
import { createLiquidationActivities, type AccountEpisode, type EpisodeOutcome } from '../activities/liquidation';
import { fetchAccountsData, fetchInsuranceFund } from '../solana/accounts';
import { decodeUser, perpAccountsCoder, type DecodedUser } from '../solana/perp-coders';
import { RpcPool } from '../solana/rpc-pool';
import { RiskBook } from '../services/risk-monitor/risk-book';
import type {
  AccountLiquidation,
  LiquidationBatchResult,
  liquidationBatchWorkflow,
} from '../workflows/liquidation-batch-workflow';
import { liquidationsOf } from '../tests/support/liquidations';
import { startHarness, workflowBundle, type Harness } from '../tests/support/harness';
import { startLocalnet, type Localnet } from '../tests/support/localnet';
import { fundedTrader, keeperOf } from '../tests/support/perp-fixtures';
import { signedOrderBody } from '../tests/support/orders';
import { Connection } from '@solana/web3.js';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { LIQUIDATION_BATCH_SIZE, RiskMonitor, startLiquidations } from '../services/risk-monitor/risk-monitor';
import { createWorker, LIQUIDATION_BURST_TUNING } from '../temporal/worker-factory';
import { startAttributes } from '../workflows/definitions';
import { startServiceProcess } from '../tests/support/worker-process';
import { historyBreakdown } from './history-breakdown';
import { cpuMsPer, cpuSecondsBetween, snapshotCpu } from './process-cpu';
import { summarize } from './stats';
import { terminateLeftovers } from './cleanup';
import type { chainOnlyLiquidationWorkflow } from './chain-only-workflow';

const CHAIN_ONLY_WORKFLOW_PATH = fileURLToPath(new URL('./chain-only-workflow.ts', import.meta.url));

const SIZES = (process.env.QD_BENCH_CRASH_ACCOUNTS ?? '100000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const RESTING_ORDERS = Number(process.env.QD_BENCH_RESTING_ORDERS ?? 10_000);
const WAVE = 100;
const WAVES = 3;
const TICK_MS = Number(process.env.QD_BENCH_TICK_MS ?? 250);
const SOL = 0;
const START = 150n * PRICE_PRECISION;
const GAP = 145n * PRICE_PRECISION; // -3.3 %: every edge account below maintenance
const SIZE = BASE_PRECISION / 10n; // 0.1 SOL each (15 USDC notional)
const HEALTHY_COLLATERAL = 5n * QUOTE_PRECISION; // 3x
const EDGE_COLLATERAL = 900_000n; // 16.7x: passes the 5 % initial margin, under 3 % maintenance at 145
// 0.1 SOL long with collateral c is under maintenance below about (15 - c) / 0.097: these cross between
// 145 and 130.5, the bottom of the slide.
const SPREAD_COLLATERALS = [1.0, 1.15, 1.3, 1.45, 1.6, 1.75, 1.9, 2.05, 2.2, 2.3].map((c) =>
  BigInt(Math.round(c * 1e6)),
);
const SEED_CHUNK = 1_000;
/** Liquidations in flight at once in the direct baseline, as the liquidation worker's activity slots allow. */
const DIRECT_CONCURRENCY = 64;
const SETTLE_TIMEOUT_MS = 180_000;
const BREAKDOWN_SAMPLE = 50;
/**
 * Which accounts the observer reads each cycle (QD_BENCH_OBSERVER): `written` (the default) those under
 * water that an executed transaction may have written since the last cycle, `under` every one under
 * water, `all` every watched account.
 */
type ObserverMode = 'written' | 'under' | 'all';
const OBSERVER_MODES: readonly ObserverMode[] = ['written', 'under', 'all'];
const OBSERVER_MODE = (process.env.QD_BENCH_OBSERVER ?? 'written') as ObserverMode;
if (!OBSERVER_MODES.includes(OBSERVER_MODE))
  throw new Error(`QD_BENCH_OBSERVER must be one of ${OBSERVER_MODES.join(', ')}, not ${OBSERVER_MODE}`);

/** The observer reads every this often (not back to back: it must not compete with the pipeline for the localnet). */
const OBSERVE_EVERY_MS = 50;

interface Seeded {
  wallet: string;
  user: string;
}

const elapsed = (t0: number) => Math.round(performance.now() - t0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** -10 % over 60 ticks from the gap, then +12 % over 60: PRICE_PRECISION integers. */
function crashPath(): bigint[] {
  const path = [GAP];
  const bottom = (GAP * 90n) / 100n;
  for (let i = 1; i <= 60; i++) path.push(GAP - ((GAP - bottom) * BigInt(i)) / 60n);
  const top = (bottom * 112n) / 100n;
  for (let i = 1; i <= 60; i++) path.push(bottom + ((top - bottom) * BigInt(i)) / 60n);
  return path;
}

function seeder(ln: Localnet) {
  return (marketIndex: number, count: number, collateral: bigint, base: bigint, oracle: bigint) =>
    ln
      .control<{ traders: Seeded[] }>('/seed-traders', {
        marketIndex,
        count,
        collateral: collateral.toString(),
        baseAmount: base.toString(),
        limitPrice: (base > 0n ? 2n * oracle : 1n).toString(),
        oraclePrice: oracle.toString(),
      })
      .then((r) => r.traders);
}

/** Liquidates the gap's edge accounts; returns what it liquidated and the chain transactions it took. */
type Liquidator = (traders: readonly Seeded[]) => Promise<{ liquidated: number; transactions: number }>;

interface Measured {
  accounts: number;
  liquidated: number;
  transactions: number;
  ms: number;
  cpuSeconds: Record<string, number>;
  cpuMsPerLiquidation: Record<string, number>;
  accountsPerSecond: number;
  transactionsPerSecond: number;
}

/**
 * The gap's episodes on a localnet of their own, so that no run disturbs another's chain: `accounts` edge
 * accounts seeded as the pipeline's are, the same gap; `prepare` makes its liquidator ready (not timed: a
 * worker's bundle, its warm-up) and passes it to `measure`, which times it with every process's CPU.
 */
async function gapOnOwnLocalnet(
  accounts: number,
  prepare: (ln: Localnet, pool: RpcPool, measure: (liquidate: Liquidator) => Promise<Measured>) => Promise<Measured>,
): Promise<Measured> {
  const ln = await startLocalnet(3);
  try {
    const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
    const seed = seeder(ln);
    const traders: Seeded[] = [];
    for (let done = 0; done < accounts; done += SEED_CHUNK)
      traders.push(...(await seed(SOL, Math.min(SEED_CHUNK, accounts - done), EDGE_COLLATERAL, SIZE, START)));
    await ln.control('/pyth', { marketIndex: SOL, price: GAP.toString() });
    return await prepare(ln, pool, async (liquidate) => {
      const cpuBefore = snapshotCpu();
      const t0 = performance.now();
      const { liquidated, transactions } = await liquidate(traders);
      const ms = elapsed(t0);
      const cpuSeconds = cpuSecondsBetween(cpuBefore, snapshotCpu());
      return {
        accounts,
        liquidated,
        transactions,
        ms,
        cpuSeconds,
        cpuMsPerLiquidation: cpuMsPer(cpuSeconds, liquidated),
        accountsPerSecond: round1(liquidated / (ms / 1000)),
        transactionsPerSecond: round1(transactions / (ms / 1000)),
      };
    });
  } finally {
    await ln.stop();
  }
}

/** What a batch of episodes liquidated, and the chain transactions it took (steps and bankruptcies). */
function tally(episodes: readonly (EpisodeOutcome | AccountEpisode)[]) {
  return {
    liquidated: episodes.filter((e) => e.outcome === 'liquidated').length,
    transactions: episodes.reduce((n, e) => n + e.steps.length + (e.bankruptcy ? 1 : 0), 0),
  };
}

/**
 * The same episodes without Temporal: the keeper's own chain work (liquidateAccount called directly) on
 * DIRECT_CONCURRENCY accounts at once. The keeper runs in this process (its CPU is `bench`); nothing is
 * journaled outside an activity, and no database is written.
 */
function directBaseline(h: Harness, accounts: number) {
  return gapOnOwnLocalnet(accounts, (ln, pool, measure) => {
    const keeper = createLiquidationActivities(pool, h.db, keeperOf(ln), null);
    return measure(async (traders) => {
      const episodes: EpisodeOutcome[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: DIRECT_CONCURRENCY }, async () => {
          while (next < traders.length)
            episodes.push(
              await keeper.liquidateAccount({ account: traders[next++]!.user, marketIndex: SOL, seq: '1' }),
            );
        }),
      );
      return tally(episodes);
    });
  });
}

/**
 * The same episodes through Temporal on a quiet machine, on a localnet and a database of their own: a
 * worker in this process sized as the monitor's, batches of LIQUIDATION_BATCH_SIZE started eagerly as the
 * monitor starts them (the client shares the worker's connection). `chain`: workflows whose only step is
 * the batch's chain activity (each transaction journaled before it is sent); `workflow`: the platform's
 * liquidationBatchWorkflow, started by the monitor's own startLiquidations, books and all. No detection,
 * crash path or observer beside them: the most the pipeline could do here, and what its books cost.
 */
async function durableFloor(accounts: number, kind: 'chain' | 'workflow') {
  return gapOnOwnLocalnet(accounts, async (ln, pool, measure) => {
    const h = await startHarness({ QD_SOLANA_RPC_URLS: ln.rpcUrls.join(',') }, { worker: false });
    const { address, namespace, liquidationTaskQueue: taskQueue } = h.config.temporal;
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection, namespace });
    try {
      const worker =
        kind === 'chain'
          ? await Worker.create({
              ...LIQUIDATION_BURST_TUNING,
              connection,
              namespace,
              taskQueue,
              workflowsPath: CHAIN_ONLY_WORKFLOW_PATH,
              activities: {
                liquidateAccounts: createLiquidationActivities(pool, h.db, keeperOf(ln), null).liquidateAccounts,
              },
            })
          : await createWorker(
              {
                address,
                namespace,
                taskQueue,
                connection,
                tuning: LIQUIDATION_BURST_TUNING,
                workflowBundle: await workflowBundle(),
              },
              {
                pool: h.pool,
                db: h.db,
                redis: h.redis,
                streamPrefix: h.config.streamPrefix,
                rpcPool: pool,
                keeper: keeperOf(ln),
                temporal: client,
              },
            );
      return await worker.runUntil(async () => {
        // The worker's first task (its sandbox) is not the floor.
        await client.workflow.execute(kind === 'chain' ? 'chainOnlyLiquidationWorkflow' : 'liquidationBatchWorkflow', {
          taskQueue,
          workflowId: `${taskQueue}-warm-up`,
          args: [{ marketIndex: SOL, accounts: [] }],
        });
        return measure(async (traders) => {
          const accounts = traders.map((t) => ({ account: t.user, wallet: t.wallet, seq: '1' }));
          if (kind === 'chain') {
            const batches: (typeof accounts)[] = [];
            for (let i = 0; i < accounts.length; i += LIQUIDATION_BATCH_SIZE)
              batches.push(accounts.slice(i, i + LIQUIDATION_BATCH_SIZE));
            const episodes = await Promise.all(
              batches.map((batch, i) =>
                client.workflow.execute<typeof chainOnlyLiquidationWorkflow>('chainOnlyLiquidationWorkflow', {
                  taskQueue,
                  workflowId: `${taskQueue}-${i}`,
                  requestEagerStart: true,
                  args: [{ marketIndex: SOL, accounts: batch }],
                }),
              ),
            );
            return tally(episodes.flat());
          }
          const started = await startLiquidations(
            { pool, temporal: client, taskQueue, eagerStart: true },
            SOL,
            accounts,
          );
          const results = await Promise.all(
            started.map(({ workflowId }) =>
              client.workflow.getHandle<typeof liquidationBatchWorkflow>(workflowId).result(),
            ),
          );
          const done = results.flatMap((r) => r.liquidations);
          return {
            liquidated: done.filter((l) => l.status === 'liquidated').length,
            transactions: done.reduce((n, l) => n + transactionsOf(l), 0),
          };
        });
      });
    } finally {
      await connection.close();
      await h.close();
    }
  });
}

/** A liquidation's chain transactions, as its result reports them: its steps, and its bankruptcy if any. */
const transactionsOf = (l: AccountLiquidation) =>
  l.steps + (BigInt(l.insurancePaid) + BigInt(l.socializedLoss) > 0n ? 1 : 0);

const round1 = (x: number) => Math.round(x * 10) / 10;

/** a / b to three decimals. */
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

const sumOf = (cpuSeconds: Record<string, number>) => Object.values(cpuSeconds).reduce((a, b) => a + b, 0);

/**
 * Reads the watched accounts after each tick and values them at the current oracle price: the intervals
 * each spends below maintenance, from the tick that put it under to the first read that finds it healthy.
 */
class Observer {
  private readonly book = new RiskBook();
  private readonly under = new Map<string, number>();
  readonly intervals: number[] = [];
  readonly readMs: number[] = [];
  /** Liquidation steps the chain has executed on the watched accounts, as each read saw them. */
  readonly steps: { at: number; total: number }[] = [];
  everUnder = new Set<string>();
  /** Accounts read per cycle. */
  readonly readCounts: number[] = [];
  private readonly stepsOf = new Map<string, number>();
  private totalSteps = 0;
  /** Each account's bytes as last read, and the price the accounts were last valued at. */
  private readonly bytesOf = new Map<string, Buffer>();
  private valuedAt: bigint | null = null;
  /** Where the localnet's list of written accounts was last read up to (mode `written`). */
  private writtenFrom = '0';

  constructor(
    private readonly pool: RpcPool,
    private readonly watched: string[],
    private readonly mode: ObserverMode,
    private readonly ln: Localnet,
  ) {}

  async start(): Promise<void> {
    await this.book.refreshMarket(this.pool, SOL);
    if (this.mode === 'written') await this.writtenSinceLastLook();
  }

  /** The accounts executed transactions may have written since the last look (null: every one, once). */
  private async writtenSinceLastLook(): Promise<Set<string> | null> {
    const w = await this.ln.control<{ accounts: string[]; next: string; truncated: boolean }>(
      `/written?since=${this.writtenFrom}`,
    );
    this.writtenFrom = w.next;
    return w.truncated ? null : new Set(w.accounts);
  }

  /** The accounts this cycle reads (see `read`). */
  private async toRead(): Promise<string[]> {
    if (this.mode === 'all' || !this.stepsOf.size) return this.watched;
    const under = [...this.under.keys()];
    if (this.mode === 'under') return under;
    const written = await this.writtenSinceLastLook();
    return written ? under.filter((account) => written.has(account)) : under;
  }

  /**
   * One read cycle at `price`, which the tick published at `tickAt` (performance.now()). Only the accounts
   * that can have changed on chain are read: on the first cycle every watched account, then the ones under
   * water that a transaction executed since the last cycle may have written (the pipeline acts on no
   * other; a healthy account changes only with the price, which is known; the localnet lists the writable
   * accounts of what it executed, `/written`). Every account is valued at `price` each cycle.
   * `QD_BENCH_OBSERVER=under` reads every account under water each cycle (the observer of the last
   * rounds, about a thousand accounts every 50 ms in the first wave: a fifth of the machine between it and
   * the localnet's answers), `all` every watched account (the rounds before). What the observer spends
   * shares the machine with the pipeline, so an account whose bytes are those of the last read is not
   * decoded again, and at the price of the last cycle only the accounts that changed are valued again.
   */
  async read(price: bigint, tickAt: number): Promise<void> {
    const t0 = performance.now();
    this.book.setPrice(SOL, price);
    const toRead = await this.toRead();
    const changed = new Set<string>();
    for (let i = 0; i < toRead.length; i += 100) {
      const chunk = toRead.slice(i, i + 100);
      // The platform's own lean read (no web3.js client): the observer shares the machine with the pipeline.
      const { values } = await fetchAccountsData(this.pool, 'observe accounts', chunk);
      values.forEach((info, j) => {
        const account = chunk[j]!;
        if (!info || this.bytesOf.get(account)?.equals(info.data)) return;
        this.bytesOf.set(account, info.data);
        changed.add(account);
        const user = decodeUser(info.data);
        this.book.upsert(account, user);
        const steps = Number(user.liquidationSteps.toString());
        this.totalSteps += steps - (this.stepsOf.get(account) ?? 0);
        this.stepsOf.set(account, steps);
      });
    }
    const seenAt = performance.now();
    this.steps.push({ at: seenAt, total: this.totalSteps });
    const toValue = price === this.valuedAt ? changed : this.watched;
    this.valuedAt = price;
    for (const account of toValue) {
      const margin = this.book.marginAccount(account);
      const below = margin !== null && margin.positions.length > 0 && isBelowMaintenance(margin);
      const since = this.under.get(account);
      if (below && since === undefined) {
        this.under.set(account, tickAt);
        this.everUnder.add(account);
      } else if (!below && since !== undefined) {
        this.intervals.push(t0 - since);
        this.under.delete(account);
      }
    }
    this.readMs.push(seenAt - t0);
    this.readCounts.push(toRead.length);
  }

  /** Steps executed per second between two instants (performance.now()), by the reads nearest before them. */
  stepsPerSecond(from: number, to: number): number {
    const at = (t: number) => [...this.steps].reverse().find((s) => s.at <= t)?.total ?? 0;
    return to > from ? (at(to) - at(from)) / ((to - from) / 1000) : 0;
  }

  /** The highest rate over any `windowMs` (reads as window ends). */
  peakStepsPerSecond(windowMs: number): number {
    return Math.max(0, ...this.steps.map((s) => this.stepsPerSecond(s.at - windowMs, s.at)));
  }

  get stillUnder(): number {
    return this.under.size;
  }

  /** Accounts still under at the end count with the time so far (they never recovered). */
  close(now: number): void {
    for (const since of this.under.values()) this.intervals.push(now - since);
  }
}

async function run(n: number) {
  const ln = await startLocalnet(3);
  const h = await startHarness({ QD_SOLANA_RPC_URLS: ln.rpcUrls.join(',') }, { worker: false });
  const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
  const seed = seeder(ln);
  const edgeCount = Math.round(n / 100);
  const processes: { kill(): Promise<void>; output(): string }[] = [];
  let fresh: NodeJS.Timeout | undefined;
  try {
    const direct = await directBaseline(h, edgeCount);
    process.stderr.write(`${JSON.stringify({ direct })}\n`);
    const floor = {
      chain: await durableFloor(edgeCount, 'chain'),
      workflow: await durableFloor(edgeCount, 'workflow'),
    };
    process.stderr.write(`${JSON.stringify({ floor })}\n`);

    const t0 = performance.now();
    const edge: Seeded[] = [];
    const spread: Seeded[] = [];
    for (let done = 0; done < n; done += SEED_CHUNK) {
      const chunk = Math.min(SEED_CHUNK, n - done);
      const e = Math.round(chunk / 100);
      edge.push(...(await seed(SOL, e, EDGE_COLLATERAL, SIZE, START)));
      for (let i = 0; i < e; i++)
        spread.push(...(await seed(SOL, 1, SPREAD_COLLATERALS[i % SPREAD_COLLATERALS.length]!, SIZE, START)));
      const rest = chunk - 2 * e;
      await seed(SOL, Math.ceil(rest / 2), HEALTHY_COLLATERAL, SIZE, START);
      await seed(SOL, Math.floor(rest / 2), HEALTHY_COLLATERAL, -SIZE, START);
    }
    const seedSeconds = round1(elapsed(t0) / 1000);
    const insuranceBefore = await fetchInsuranceFund(pool);

    // The platform's processes, as npm start runs them, on this run's database, queues and streams.
    const keyDir = mkdtempSync(join(tmpdir(), 'qd-bench-'));
    const keeperFile = join(keyDir, 'keeper.json');
    writeFileSync(keeperFile, JSON.stringify(ln.bootstrap.keeperKeypair), { mode: 0o600 });
    const env = { ...h.env, QD_KEEPER_KEYPAIR_FILE: keeperFile, QD_LOG_LEVEL: 'info' };
    processes.push(await startServiceProcess('temporal/worker.ts', env, 'worker polling'));
    const t1 = performance.now();
    // QD_BENCH_PROFILE=<dir>: a V8 CPU profile of the risk monitor (and its liquidation worker) per run.
    const profile = [
      ...(process.env.QD_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.QD_BENCH_PROFILE}`] : []),
      ...(process.env.QD_BENCH_MONITOR_FLAGS?.split(' ').filter(Boolean) ?? []),
    ];
    const monitor = await startServiceProcess(
      'services/risk-monitor/main.ts',
      env,
      'risk monitor following prices',
      600_000,
      profile,
    );
    processes.push(monitor);
    const monitorReadyMs = elapsed(t1);

    const observer = new Observer(
      pool,
      [...edge, ...spread].map((t) => t.user),
      OBSERVER_MODE,
      ln,
    );
    await observer.start();
    await observer.read(START, performance.now());
    if (observer.stillUnder) throw new Error(`${observer.stillUnder} accounts are under water before the crash`);

    const stream = `${h.config.streamPrefix}:prices:SOL-PERP`;
    let current = START;
    const publish = async (price: bigint) => {
      await ln.control('/pyth', { marketIndex: SOL, price: price.toString() });
      await h.redis.xadd(
        stream,
        '*',
        'price',
        price.toString(),
        'confidence',
        (price / 2_000n).toString(),
        'slot',
        '0',
        'at',
        new Date().toISOString(),
      );
      current = price;
    };
    // Reads run back to back beside the ticks: each values the accounts at the tick last published.
    let lastTickAt = performance.now();
    let observing = true;
    const observing$ = (async () => {
      while (observing) {
        const due = performance.now() + OBSERVE_EVERY_MS;
        const [price, at] = [current, lastTickAt];
        await observer.read(price, at);
        await sleep(Math.max(0, due - performance.now()));
      }
    })();

    // The market before the crash, as the price feed keeps it: the monitor has seen ticks (and indexed its
    // book) before the gap comes.
    for (let i = 0; i < 8; i++) {
      await publish(START);
      await sleep(TICK_MS);
    }
    const path = crashPath();
    const tickTimes: number[] = [];
    const cpuBefore = snapshotCpu();
    const crashAt = Date.now();
    for (const price of path) {
      const due = performance.now() + TICK_MS;
      await publish(price);
      lastTickAt = performance.now();
      tickTimes.push(lastTickAt);
      await sleep(Math.max(0, due - performance.now()));
    }
    fresh = setInterval(() => void publish(current).catch(() => undefined), 2_000);
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    while (observer.stillUnder && performance.now() < deadline) await sleep(100);
    observing = false;
    await observing$;
    observer.close(performance.now());

    // The liquidation workflows this run started, from Temporal's visibility, once none is running (the
    // last ones may still be booking what the chain did when the observer sees everyone healthy).
    const queue = h.config.temporal.liquidationTaskQueue;
    for (let quiet = 0; quiet < 3; await sleep(1_000)) {
      quiet =
        (await h.temporal.workflow.count(`TaskQueue = "${queue}" AND ExecutionStatus = "Running"`)).count === 0
          ? quiet + 1
          : 0;
    }
    const crashCpuSeconds = cpuSecondsBetween(cpuBefore, snapshotCpu());
    const runs: { workflowId: string; runId: string; startMs: number; closeMs: number | null }[] = [];
    for await (const wf of h.temporal.workflow.list({
      query: `TaskQueue = "${queue}" AND WorkflowType = "liquidationBatchWorkflow"`,
    })) {
      runs.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        startMs: wf.startTime.getTime(),
        closeMs: wf.closeTime?.getTime() ?? null,
      });
    }
    // Every account's liquidation, with its batch's start and close.
    const results = (
      await Promise.all(
        runs.map(async (r) => {
          const { liquidations: done } = (await h.temporal.workflow
            .getHandle(r.workflowId, r.runId)
            .result()) as LiquidationBatchResult;
          return done.map((l) => ({ ...r, result: l }));
        }),
      )
    ).flat();
    const edgeSet = new Set(edge.map((t) => t.user));
    // Each gap-hit account's first episode, in the first batch that ran it (a later one finds it over).
    const firstRuns = new Map<string, (typeof results)[number]>();
    for (const r of results)
      if (!firstRuns.has(r.result.id) || firstRuns.get(r.result.id)!.startMs > r.startMs) firstRuns.set(r.result.id, r);
    const firstWave = [...firstRuns.values()].filter((r) => edgeSet.has(r.result.account) && r.result.seq === '1');
    const firstWaveBatches = [...new Set(firstWave.map((r) => r.workflowId))];
    const liquidatedRuns = results.filter((r) => r.result.status === 'liquidated');
    const crashCpuPerLiquidation = cpuMsPer(crashCpuSeconds, liquidatedRuns.length);
    const lastStart = Math.max(...firstWave.map((r) => r.startMs));
    const lastClose = Math.max(...firstWave.map((r) => r.closeMs ?? 0));
    const allClose = Math.max(...liquidatedRuns.map((r) => r.closeMs ?? 0));
    const firstStart = Math.min(...liquidatedRuns.map((r) => r.startMs));

    // The books against the chain.
    const rows = await h.db.select({ n: count(), steps: sum(liquidations.steps) }).from(liquidations);
    const onChainSteps = await liquidationStepsOnChain(
      pool,
      [...edge, ...spread].map((t) => t.user),
    );
    const ledger = await h.db.select({ total: sum(insuranceFundLedger.delta) }).from(insuranceFundLedger);
    const chainTransactions = results.reduce((n, { result: l }) => n + transactionsOf(l), 0);
    const negativeSocialized = results.filter((r) => BigInt(r.result.socializedLoss) < 0n).length;
    const withRow = new Set((await h.db.select({ id: liquidations.id }).from(liquidations)).map((r) => r.id));
    const withoutRow = liquidatedRuns.filter((r) => !withRow.has(r.result.id)).length;

    if (process.env.QD_BENCH_DEBUG) for (const p of processes) process.stderr.write(`${p.output()}\n`);
    if (process.env.QD_BENCH_PROFILE) await monitor.stop();
    const breakdown = await historyBreakdown(h.temporal, firstWaveBatches.slice(0, BREAKDOWN_SAMPLE));
    const firstWaveSeconds = (lastClose - crashAt) / 1000;
    const firstWavePerSecond = firstWave.length / firstWaveSeconds;
    const firstWaveStepsPerSecond = observer.stepsPerSecond(tickTimes[0]!, tickTimes[0]! + (lastClose - crashAt));
    return {
      accounts: n,
      edgeAccounts: edge.length,
      spreadAccounts: spread.length,
      seedSeconds,
      monitorReadyMs,
      ticks: path.length,
      tickMs: TICK_MS,
      tickJitterMs: summarize(tickTimes.slice(1).map((t, i) => t - tickTimes[i]! - TICK_MS)),
      observer: {
        readCycleMs: summarize(observer.readMs),
        accountsReadPerCycle: summarize(observer.readCounts),
        mode: OBSERVER_MODE,
        accountsEverUnder: observer.everUnder.size,
        stillUnderAtEnd: observer.stillUnder,
      },
      timeBelowMaintenanceMs: summarize(observer.intervals),
      firstWave: {
        liquidations: firstWave.length,
        batchWorkflows: firstWaveBatches.length,
        tickToAllStartedMs: lastStart - crashAt,
        tickToAllDoneMs: lastClose - crashAt,
        liquidationsPerSecond: round1(firstWavePerSecond),
      },
      allLiquidations: {
        batchWorkflows: runs.length,
        liquidations: results.length,
        liquidated: liquidatedRuns.length,
        healthy: results.filter((r) => r.result.status === 'healthy').length,
        stale: results.filter((r) => r.result.status === 'stale').length,
        failed: results.filter((r) => r.result.status === 'failed').length,
        // Liquidation steps and bankruptcies (each one transaction), as the runs reported them.
        transactions: chainTransactions,
        firstStartToLastDoneMs: allClose - firstStart,
      },
      direct,
      // Every process's CPU from the first tick of the crash until its last liquidation workflow closed
      // (the observer and the ticks are the bench's), per account liquidated, against the direct keeper's.
      cpu: {
        seconds: crashCpuSeconds,
        msPerLiquidation: crashCpuPerLiquidation,
        // A slower pipeline meets more bankruptcies and fewer second episodes: per chain transaction too.
        msPerTransaction: round1((sumOf(crashCpuSeconds) * 1000) / Math.max(1, chainTransactions)),
        directMsPerTransaction: round1((sumOf(direct.cpuSeconds) * 1000) / Math.max(1, direct.transactions)),
        vsDirect: round1((crashCpuPerLiquidation.total! / direct.cpuMsPerLiquidation.total!) * 10) / 10,
      },
      throughputVsDirect: ratio(firstWavePerSecond, direct.accountsPerSecond),
      // The same episodes through Temporal on a quiet machine: with only their chain activity, and with the books.
      durableFloor: Object.fromEntries(
        Object.entries(floor).map(([kind, f]) => [
          kind,
          {
            ...f,
            throughputVsDirect: ratio(f.accountsPerSecond, direct.accountsPerSecond),
            // The pipeline's first wave against it: what the crash beside it (detection, the observer, the
            // moving price's further steps) and, for `chain`, the books cost.
            pipelineVsFloor: ratio(firstWavePerSecond, f.accountsPerSecond),
          },
        ]),
      ),
      // The chain work the pipeline got done: liquidation steps executed per second while the first wave
      // ran, and at the busiest 2 s, against the same transactions sent directly.
      pipelineSteps: {
        perSecondFirstWave: round1(firstWaveStepsPerSecond),
        peakPerSecond2s: round1(observer.peakStepsPerSecond(2_000)),
        vsDirectTransactions: ratio(firstWaveStepsPerSecond, direct.transactionsPerSecond),
        peakVsDirectTransactions: ratio(observer.peakStepsPerSecond(2_000), direct.transactionsPerSecond),
      },
      books: {
        liquidationRows: Number(rows[0]!.n),
        stepsInRows: Number(rows[0]!.steps ?? 0),
        stepsOnChain: onChainSteps,
        liquidatedWithoutRow: withoutRow,
        negativeSocializedLoss: negativeSocialized,
        insuranceLedgerLiquidationDelta: ledger[0]!.total ?? '0',
        insuranceFundChange: ((await fetchInsuranceFund(pool)) - insuranceBefore).toString(),
      },
      historyBreakdown: breakdown,
    };
  } catch (err) {
    for (const p of processes) process.stderr.write(`${p.output().slice(-4_000)}\n`);
    throw err;
  } finally {
    clearInterval(fresh);
    for (const p of processes) await p.kill();
    await h.close();
    await ln.stop();
  }
}

/** Σ liquidation steps the program executed on these accounts (User::liquidation_steps). */
async function liquidationStepsOnChain(pool: RpcPool, accounts: string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < accounts.length; i += 100) {
    const chunk = accounts.slice(i, i + 100);
    const { values } = await fetchAccountsData(pool, 'read accounts', chunk);
    for (const info of values)
      if (info) total += Number(perpAccountsCoder.decode<DecodedUser>('user', info.data).liquidationSteps.toString());
  }
  return total;
}

/**
 * Tick -> all liquidations of a wave started, by the risk monitor as it runs (trigger index and relay
 * lane), first with no waiting orders, then with `resting` of them in its index.
 */
async function detection(resting: number) {
  const ln = await startLocalnet(1);
  const h = await startHarness({ QD_SOLANA_RPC_URLS: ln.rpcUrls.join(',') }, { worker: false });
  const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
  const keyDir = mkdtempSync(join(tmpdir(), 'qd-bench-'));
  writeFileSync(join(keyDir, 'keeper.json'), JSON.stringify(ln.bootstrap.keeperKeypair), { mode: 0o600 });
  const worker = await startServiceProcess(
    'temporal/worker.ts',
    { ...h.env, QD_KEEPER_KEYPAIR_FILE: join(keyDir, 'keeper.json') },
    'worker polling',
  );
  const seed = seeder(ln);
  // Liquidations on their own queue, as in production (the worker process polls it beside the main one,
  // where the orders' signal tasks queue up).
  const monitor = new RiskMonitor({
    pool,
    temporal: h.temporal,
    taskQueue: h.config.temporal.liquidationTaskQueue,
    db: h.db,
  });
  const wave = async () => {
    await seed(SOL, WAVE, EDGE_COLLATERAL, SIZE, START);
    await monitor.load();
    // The tick before: its relay is still running when the wave's tick comes.
    await monitor.onTick(SOL, START, Date.now());
    await sleep(500);
    await ln.control('/pyth', { marketIndex: SOL, price: GAP.toString() });
    const t0 = performance.now();
    const { liquidations: started } = await monitor.onTick(SOL, GAP, Date.now());
    const ms = performance.now() - t0;
    const count = started.reduce((n, b) => n + b.liquidations.length, 0);
    if (count !== WAVE) throw new Error(`the wave started ${count} liquidations, expected ${WAVE}`);
    await liquidationsOf(h.temporal, started);
    return ms;
  };
  try {
    const without: number[] = [];
    for (let i = 0; i < WAVES; i++) without.push(await wave());
    const connection = new Connection(ln.rpcUrls[0]!, 'confirmed');
    const trader = await fundedTrader(ln, connection, 1_000n * QUOTE_PRECISION);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < resting) {
          const i = next++;
          // A buy limit far below the market: it waits for its whole life.
          const body = signedOrderBody(trader, BASE_PRECISION / 1_000n, PRICE_PRECISION, 'limit', `rest-${i}`, {
            triggerPrice: PRICE_PRECISION,
          });
          await h.temporal.workflow.start('placeOrderWorkflow', {
            workflowId: `order:${body.order.user}:rest-${i}`,
            taskQueue: h.config.temporal.taskQueue,
            args: [body],
            typedSearchAttributes: startAttributes('order', body.order.user, 0),
          });
        }
      }),
    );
    const query = `TaskQueue = "${h.config.temporal.taskQueue}" AND WorkflowType = "placeOrderWorkflow" AND ExecutionStatus = "Running"`;
    while ((await h.temporal.workflow.count(query)).count < resting) await sleep(1_000);
    // Past their first steps, resting: every one in the monitor's trigger index.
    while ((await monitor.syncOrders(), monitor.triggers.size) < resting) await sleep(1_000);
    const placeSeconds = round1(elapsed(t0) / 1000);
    const withOrders: number[] = [];
    for (let i = 0; i < WAVES; i++) withOrders.push(await wave());
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      wave: WAVE,
      restingOrders: resting,
      ordersIndexed: monitor.triggers.size,
      placeSeconds,
      ordersToldByRelay: monitor.relay.told,
      tickToStartedMs: { withoutOrders: without.map(Math.round), withOrders: withOrders.map(Math.round) },
      ratio: Math.round((median(withOrders) / median(without)) * 100) / 100,
    };
  } finally {
    await worker.kill();
    await terminateLeftovers(h, 'liquidation-crash');
    await h.close();
    await ln.stop();
  }
}

const runs = [];
for (const n of SIZES) {
  runs.push(await run(n));
  process.stderr.write(`${JSON.stringify({ run: runs.at(-1) })}\n`); // kept even if a later part fails
}
const detectionResult = RESTING_ORDERS > 0 ? await detection(RESTING_ORDERS) : null;
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'liquidation-crash',
      note: "timeBelowMaintenanceMs: per account episode, from the tick that put it under to the first chain read finding it healthy or closed (resolution: observer.readCycleMs); tickToAll*: from the gap tick, first wave = the accounts that gap put under; throughputVsDirect: first-wave liquidations/s (account episodes, run in batch workflows) over the same episodes sent directly by the keeper without Temporal; durableFloor: the same episodes through Temporal on a quiet machine, `chain` with only the batch's chain activity, `workflow` the platform's batch workflow with its books",
      runs,
      detection: detectionResult,
    },
    null,
    2,
  )}\n`,
);
