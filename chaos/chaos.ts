// The chaos suite (issue 15 item 1): a load of deposits, orders, liquidations and probes on a private stack
// while, in turn, the worker is SIGKILLed with workflows in flight, the Temporal server restarts, Postgres
// stops, Redis stops and the RPC providers flap. After each scenario: every workflow closed once (one
// chain execution, one row per business key), the books reconcile with the chain to the base unit, and
// vault = collateral + insurance + PnL pool. Reports each scenario's time to recover.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BN from 'bn.js';
import bs58 from 'bs58';
import { Connection, type Keypair } from '@solana/web3.js';
import { TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { inArray, sql } from 'drizzle-orm';
import { Client, Connection as TemporalConnection } from '@temporalio/client';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../domain/perp';
import { deposits, fills, liquidations, orders, workflowRuns } from '../drizzle/schema';
import { isBelowMaintenance } from '../domain/perp';
import { fetchUser } from '../solana/accounts';
import { marginAccountOf } from '../solana/margin-account';
import { RpcPool } from '../solana/rpc-pool';
import type { Database } from '../platform/postgres';
import { loadConfig } from '../platform/config';
import { createPostgres } from '../platform/postgres';
import { perpAddresses } from '../solana/perp-program';
import { runReconciliation } from '../temporal/operations';
import { startAttributes, workflowIds } from '../workflows/definitions';
import { freePort, setFaults, startLocalnet, type Localnet } from '../tests/support/localnet';
import { fundedTrader, type Trader } from '../tests/support/perp-fixtures';
import { signedOrderBody } from '../tests/support/orders';
import { startServiceProcess, type WorkerProcess } from '../tests/support/worker-process';
import { startPrivateStack } from './stack';

export type ScenarioName =
  'baseline' | 'worker-kill' | 'temporal-restart' | 'postgres-stop' | 'redis-stop' | 'rpc-flap';
/** `baseline` runs the same load and crash without a fault: the other scenarios' times compare with it. */
export const SCENARIOS: readonly ScenarioName[] = [
  'baseline',
  'worker-kill',
  'temporal-restart',
  'postgres-stop',
  'redis-stop',
  'rpc-flap',
];

export interface ChaosOptions {
  /** Traders placing orders and deposits (each scenario: one deposit and `ordersPerTrader` orders each). */
  traders: number;
  ordersPerTrader: number;
  /** Probe workflows per scenario (cheap: they fill the worker with workflows in flight). */
  probes: number;
  /** Leveraged accounts put under water in each scenario (liquidated by the risk monitor). */
  liquidations: number;
  /** How long Postgres and Redis stay down, and the RPC providers flap. */
  postgresDownMs: number;
  redisDownMs: number;
  rpcFlapMs: number;
  /** Workflows that must be in flight when the worker is killed. */
  inFlightAtKill: number;
  /** Per scenario, how long the load may take to finish after the fault ends. */
  recoverWithinMs: number;
  scenarios?: readonly ScenarioName[];
  log?: (message: string) => void;
  /** Where the worker's and the risk monitor's last logs go when a scenario fails. */
  logsDir?: string;
}

export interface ScenarioReport {
  scenario: ScenarioName;
  /**
   * Every workflow of the load closes: completed, or failed as a business outcome. Only a deposit may fail:
   * its wallet-signed transaction expires (about a minute) when a fault holds it longer, and then books nothing.
   */
  workflows: {
    started: number;
    completed: number;
    failed: number;
    failedByKind: Record<string, number>;
    /** The distinct reasons (the workflow's failure cause), at most five. */
    failureReasons: string[];
  };
  /** The crash's leveraged accounts: how many, how many the chain still holds below maintenance, liquidation rows. */
  liquidations: { accounts: number; stillUnderWater: number; rows: number };
  /** Workflows in flight when the fault began (worker-kill: when the worker was killed). */
  inFlightAtFault: number;
  faultMs: number;
  /** From the load's start to its last workflow closing (compare with the baseline's). */
  loadMs: number;
  /** From the end of the fault to the last workflow of the load closing. */
  recoverMs: number;
  /** Rows by business key (the tables' keys make a second row impossible; these catch a missing or a wrong one). */
  exactlyOnce: { missingRows: number; unexpectedRows: number; fillsPerOrderMax: number };
  reconciliation: { differences: number; accountsChecked: number; vault: string; collateralPlusPools: string };
  ok: boolean;
}

const MARKET = 0;
const PRICE = 150n * PRICE_PRECISION;
/**
 * The price each scenario's crash drops to: a ~10x long opened at PRICE is under maintenance there
 * (maintenance 3 %), and it stays within the oracle's 10 % TWAP guard, so orders still trade.
 */
const CRASH_PRICE = 138n * PRICE_PRECISION;

export async function runChaos(options: ChaosOptions): Promise<{ scenarios: ScenarioReport[]; ok: boolean }> {
  const log = options.log ?? (() => undefined);
  const stack = await startPrivateStack();
  const ln = await startLocalnet(3);
  const monitorMetricsPort = await freePort();
  const keyDir = mkdtempSync(join(tmpdir(), 'qd-chaos-keys-'));
  const keeperFile = join(keyDir, 'keeper.json');
  writeFileSync(keeperFile, JSON.stringify(ln.bootstrap.keeperKeypair), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    ...stack.env,
    QD_SOLANA_RPC_URLS: ln.rpcUrls.join(','),
    QD_LOCALNET_CONTROL_URL: ln.controlUrl,
    QD_KEEPER_KEYPAIR_FILE: keeperFile,
    QD_WORKER_METRICS_PORT: '0',
    QD_WORKER_SDK_METRICS_PORT: '0',
    QD_RISK_MONITOR_METRICS_PORT: String(monitorMetricsPort),
  };
  const config = loadConfig(env);
  const { pool, db } = createPostgres(config.postgres.url, { applicationName: 'quantdesk-chaos' });
  const temporal = new Client({
    connection: await TemporalConnection.connect({ address: config.temporal.address }),
    namespace: config.temporal.namespace,
  });
  const connection = new Connection(ln.rpcUrls[0]!, 'confirmed');
  const rpc = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
  const processes: { worker: WorkerProcess | null; monitor: WorkerProcess | null } = { worker: null, monitor: null };
  const startWorker = async () => {
    processes.worker = await startServiceProcess('temporal/worker.ts', env, 'worker polling');
  };
  const reports: ScenarioReport[] = [];
  try {
    await setPrice(ln, PRICE);
    await startWorker();
    processes.monitor = await startServiceProcess('services/risk-monitor/main.ts', env, 'risk monitor following');
    const traders = await Promise.all(Array.from({ length: options.traders }, () => fundedTrader(ln, connection, 0n)));
    // Their collateral, deposited through the workflows (the books must know every deposit).
    await new Load(temporal, config.temporal.taskQueue, rpc, traders, 'setup').fund(traders, 200n * QUOTE_PRECISION);
    log(`chaos: private stack up, ${traders.length} traders funded`);
    let opened = 0;
    for (const scenario of options.scenarios ?? SCENARIOS) {
      const load = new Load(temporal, config.temporal.taskQueue, rpc, traders, scenario);
      // Leveraged longs opened before the fault, so that the crash below puts them under water during it.
      const risky = await Promise.all(
        Array.from({ length: options.liquidations }, () => fundedTrader(ln, connection, 0n)),
      );
      await load.openLeveraged(risky);
      opened += risky.length;
      // As in a market, the positions exist before the crash: the monitor's book holds every account first.
      const bookMs = await waitForBook(monitorMetricsPort, traders.length + opened, 30_000);
      log(`chaos ${scenario}: ${risky.length} leveraged accounts opened, in the monitor's book after ${bookMs} ms`);
      const loadStart = performance.now();
      load.start(options);
      let inFlightAtFault = load.inFlight();
      const faultStart = performance.now();
      await setPrice(ln, CRASH_PRICE); // the crash: the risk monitor starts liquidations from chain or stream
      switch (scenario) {
        case 'baseline':
          break;
        case 'worker-kill': {
          // Killed once enough are in flight (or after a minute, with however many are): the report says how many.
          await waitUntil(() => load.inFlight() >= options.inFlightAtKill, 60_000).catch(() => undefined);
          inFlightAtFault = load.inFlight();
          await processes.worker?.kill();
          await sleep(2_000);
          await startWorker();
          break;
        }
        case 'temporal-restart':
          await stack.service('stop_temporal');
          await stack.service('start_temporal');
          break;
        case 'postgres-stop':
          await stack.service('stop_postgres');
          await sleep(options.postgresDownMs);
          await stack.service('start_postgres');
          break;
        case 'redis-stop':
          await stack.service('stop_redis');
          await sleep(options.redisDownMs);
          await stack.service('start_redis');
          break;
        case 'rpc-flap': {
          // Each provider in turn goes down while another answers one request in three with a 503.
          const until = performance.now() + options.rpcFlapMs;
          for (let i = 0; performance.now() < until; i++) {
            for (const [j, port] of ln.rpcPorts.entries()) {
              const fault =
                j === i % ln.rpcPorts.length
                  ? { down: true }
                  : j === (i + 1) % ln.rpcPorts.length
                    ? { errorPermille: 333 }
                    : {};
              await ln.control('/faults', { port, ...fault });
            }
            await sleep(1_000);
          }
          await setFaults(ln, {});
          break;
        }
      }
      const faultEnd = performance.now();
      const settled = await load.settled(options.recoverWithinMs);
      const loadMs = Math.round(performance.now() - loadStart);
      // The crash's accounts, as the chain holds them: each one liquidated back above maintenance (or closed).
      const underWater = await waitUntilAboveMaintenance(rpc, risky, options.recoverWithinMs);
      const recoverMs = Math.max(0, performance.now() - faultEnd);
      const liquidated = await liquidationRows(db, risky);
      await setPrice(ln, PRICE);
      const exactlyOnce = await load.checkRows(db);
      const report = await runReconciliation(temporal, config.temporal.taskQueue, new Date());
      const collateralPlusPools =
        BigInt(report.totals.chain.collateral) +
        BigInt(report.totals.chain.insuranceFund) +
        BigInt(report.totals.chain.pnlPool);
      const result: ScenarioReport = {
        scenario,
        workflows: settled,
        liquidations: { accounts: risky.length, stillUnderWater: underWater, rows: liquidated },
        inFlightAtFault,
        faultMs: Math.round(faultEnd - faultStart),
        loadMs,
        recoverMs: Math.round(recoverMs),
        exactlyOnce,
        reconciliation: {
          differences: report.differenceCount,
          accountsChecked: report.accountsChecked,
          vault: report.totals.chain.vault,
          collateralPlusPools: collateralPlusPools.toString(),
        },
        ok: false,
      };
      result.ok =
        settled.completed + settled.failed === settled.started &&
        Object.keys(settled.failedByKind).every((kind) => kind === 'deposit') &&
        exactlyOnce.unexpectedRows === 0 &&
        exactlyOnce.missingRows === 0 &&
        exactlyOnce.fillsPerOrderMax <= 1 &&
        report.differenceCount === 0 &&
        underWater === 0 &&
        liquidated >= risky.length &&
        report.totals.chain.vault === collateralPlusPools.toString();
      reports.push(result);
      log(`chaos ${scenario}: ${JSON.stringify(result)}`);
    }
  } finally {
    // A scenario that failed leaves the processes' last logs for whoever looks into it.
    if (options.logsDir && reports.some((r) => !r.ok)) {
      mkdirSync(options.logsDir, { recursive: true });
      writeFileSync(join(options.logsDir, 'worker.log'), processes.worker?.output() ?? '');
      writeFileSync(join(options.logsDir, 'risk-monitor.log'), processes.monitor?.output() ?? '');
      writeFileSync(join(options.logsDir, 'report.json'), JSON.stringify(reports, null, 2));
    }
    await processes.worker?.stop().catch(() => undefined);
    await processes.monitor?.stop().catch(() => undefined);
    await temporal.connection.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await ln.stop();
    await stack.stop();
  }
  return { scenarios: reports, ok: reports.every((r) => r.ok) };
}

/** One scenario's workflows: deposits, market orders and probes, started at once; each one's outcome. */
class Load {
  private readonly runs = new Map<
    string,
    { kind: 'deposit' | 'order' | 'probe'; done?: 'completed' | 'failed'; why?: string }
  >();
  private readonly waiting: Promise<void>[] = [];

  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
    private readonly rpc: RpcPool,
    private readonly traders: readonly Trader[],
    private readonly scenario: ScenarioName | 'setup',
  ) {}

  total = () => this.runs.size;
  inFlight = () => [...this.runs.values()].filter((r) => !r.done).length;

  /** Deposits `amount` into each account through depositWorkflow and waits for them (outside the measured load). */
  async fund(accounts: readonly Trader[], amount: bigint): Promise<void> {
    await Promise.all(accounts.map(async (t) => this.depositRun(await this.deposit(t, amount))));
    await this.drain();
  }

  /** A ~10x long per account, deposited and filled through the workflows (outside the measured load). */
  async openLeveraged(accounts: readonly Trader[]): Promise<void> {
    await this.fund(accounts, 100n * QUOTE_PRECISION);
    const size = 6n * BASE_PRECISION + BASE_PRECISION / 2n;
    await Promise.all(
      accounts.map((t, i) =>
        this.order(signedOrderBody(t, size, 1_000n * PRICE_PRECISION, 'market', `lev-${this.scenario}-${i}`)),
      ),
    );
    await this.drain();
  }

  /** Waits for what was started so far and forgets it (set-up runs are not part of the scenario's load). */
  private async drain(): Promise<void> {
    await Promise.all(this.waiting.splice(0));
    this.runs.clear();
  }

  start(options: ChaosOptions): void {
    void (async () => {
      for (const [i, t] of this.traders.entries()) {
        // Each trader: a deposit and market orders (alternating sides, small, far limits), all at once.
        void this.deposit(t, 10n * QUOTE_PRECISION).then((signed) => this.depositRun(signed));
        for (let k = 0; k < options.ordersPerTrader; k++) {
          const long = (i + k) % 2 === 0;
          const body = signedOrderBody(
            t,
            BASE_PRECISION / 100n,
            long ? 1_000n * PRICE_PRECISION : 1n,
            'market',
            `${this.scenario}-${i}-${k}`,
          );
          void this.order(body);
        }
      }
      for (let p = 0; p < options.probes; p++) void this.probe(`${this.scenario}-${p}`);
    })();
  }

  /** Waits until every workflow of the load has closed (or the deadline): their outcomes. */
  async settled(withinMs: number): Promise<ScenarioReport['workflows']> {
    await waitUntil(() => this.inFlight() === 0, withinMs).catch(() => undefined);
    await Promise.allSettled(this.waiting);
    const runs = [...this.runs.values()];
    const failed = runs.filter((r) => r.done === 'failed');
    return {
      started: runs.length,
      completed: runs.filter((r) => r.done === 'completed').length,
      failed: failed.length,
      failedByKind: Object.fromEntries(
        [...new Set(failed.map((r) => r.kind))].map((k) => [k, failed.filter((r) => r.kind === k).length]),
      ),
      // Distinct reasons, with signatures and addresses cut out (one line per kind of failure).
      failureReasons: [
        ...new Set(failed.map((r) => `${r.kind}: ${(r.why ?? '?').replace(/[1-9A-HJ-NP-Za-km-z]{32,}/g, '<key>')}`)),
      ].slice(0, 5),
    };
  }

  /** One row per business key in workflow_runs, deposits and orders; at most one fill per order. */
  async checkRows(db: Database) {
    const ids = [...this.runs.keys()];
    const of = (kind: string, done: 'completed' | 'failed') =>
      ids.filter((id) => this.runs.get(id)!.kind === kind && this.runs.get(id)!.done === done);
    const count = async <T>(keys: string[], rows: (keys: string[]) => Promise<T[]>) =>
      keys.length ? (await rows(keys)).length : 0;
    const runRows = await count(ids, (k) =>
      db.select({ k: workflowRuns.businessKey }).from(workflowRuns).where(inArray(workflowRuns.businessKey, k)),
    );
    const orderIds = of('order', 'completed');
    const orderRows = await count(orderIds, (k) =>
      db.select({ k: orders.id }).from(orders).where(inArray(orders.id, k)),
    );
    const signatures = (keys: string[]) => keys.map((id) => id.slice('deposit:'.length));
    const depositRows = (keys: string[]) =>
      count(signatures(keys), (k) =>
        db.select({ k: deposits.signature }).from(deposits).where(inArray(deposits.signature, k)),
      );
    const booked = of('deposit', 'completed');
    // A deposit that failed (its signed transaction expired before it could land) must have booked nothing.
    const failedButBooked = await depositRows(of('deposit', 'failed'));
    const perOrder = orderIds.length
      ? await db
          .select({ n: sql<number>`count(*)` })
          .from(fills)
          .where(inArray(fills.orderId, orderIds))
          .groupBy(fills.orderId)
      : [];
    return {
      // Every run has its workflow_runs row; every completed order its orders row; every completed deposit its row.
      missingRows: ids.length - runRows + (orderIds.length - orderRows) + (booked.length - (await depositRows(booked))),
      unexpectedRows: failedButBooked,
      fillsPerOrderMax: Math.max(0, ...perOrder.map((r) => Number(r.n))),
    };
  }

  private async deposit(t: Trader, amount: bigint): Promise<string> {
    const tx = await t.program.methods
      .deposit(new BN(amount.toString()))
      .accountsStrict({
        authority: t.wallet.publicKey,
        global: perpAddresses.global(),
        user: t.user,
        userToken: t.usdc,
        vault: perpAddresses.vault(),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .transaction();
    tx.feePayer = t.wallet.publicKey;
    // Through the pool: the wallet's own RPC may be the provider that is down.
    tx.recentBlockhash = await this.rpc.recentBlockhash({ fresh: true });
    tx.sign(t.wallet as Keypair);
    return tx.serialize().toString('base64');
  }

  private depositRun(signedTransaction: string): Promise<void> {
    // The workflow's business key is the transaction's first signature (bytes 1-64 of the wire format).
    const signature = bs58.encode(Buffer.from(signedTransaction, 'base64').subarray(1, 65));
    return this.started(workflowIds.deposit(signature), 'deposit', 'depositWorkflow', [{ signedTransaction }], null);
  }

  private order(body: ReturnType<typeof signedOrderBody>): Promise<void> {
    const workflowId = workflowIds.order(body.order.user, body.clientOrderId);
    return this.started(workflowId, 'order', 'placeOrderWorkflow', [body], body.order.user);
  }

  private probe(probeId: string): Promise<void> {
    return this.started(workflowIds.probe(probeId), 'probe', 'probeWorkflow', [{ probeId }], null);
  }

  private async started(
    workflowId: string,
    kind: 'deposit' | 'order' | 'probe',
    type: string,
    args: unknown[],
    account: string | null,
  ): Promise<void> {
    this.runs.set(workflowId, { kind });
    const handle = await retrying(() =>
      this.temporal.workflow.start(type, {
        workflowId,
        taskQueue: this.taskQueue,
        args,
        typedSearchAttributes: startAttributes(kind, account, MARKET),
      }),
    );
    const run = this.runs.get(workflowId)!;
    this.waiting.push(
      retrying(() => handle.result()).then(
        () => {
          run.done = 'completed';
        },
        (err: unknown) => {
          run.done = 'failed';
          run.why = failureOf(err);
        },
      ),
    );
  }
}

/**
 * Waits until the risk monitor's book holds `accounts` sub-accounts (its `qd_risk_monitor_accounts` gauge);
 * returns how long that took (the wait's limit when it never did: the crash then goes ahead regardless).
 */
async function waitForBook(port: number, accounts: number, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    const held = Number(/^qd_risk_monitor_accounts (\d+)/m.exec(text)?.[1] ?? 0);
    if (held >= accounts || performance.now() - started > withinMs) return Math.round(performance.now() - started);
    await sleep(200);
  }
}

/** Waits until none of `accounts` is below maintenance on chain (at the crash price); returns how many still are. */
async function waitUntilAboveMaintenance(rpc: RpcPool, accounts: readonly Trader[], withinMs: number): Promise<number> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    let under = 0;
    for (const t of accounts) {
      const margin = await marginAccountOf(rpc, await fetchUser(rpc, t.user.toBase58())).catch(() => null);
      if (!margin || isBelowMaintenance(margin)) under++;
    }
    if (under === 0 || performance.now() > deadline) return under;
    await sleep(500);
  }
}

/** Liquidation rows booked for the accounts (every step the keeper executed is one). */
async function liquidationRows(db: Database, accounts: readonly Trader[]): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)` })
    .from(liquidations)
    .where(
      inArray(
        liquidations.account,
        accounts.map((t) => t.user.toBase58()),
      ),
    );
  return Number(rows[0]?.n ?? 0);
}

/** A client call retried through a Temporal restart (the server is away for seconds). */
async function retrying<T>(call: () => Promise<T>, attempts = 60): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (err) {
      const name = (err as { name?: string }).name ?? '';
      if (i >= attempts || name === 'WorkflowFailedError' || name === 'WorkflowExecutionAlreadyStartedError') throw err;
      await sleep(1_000);
    }
  }
}

/** A failed workflow's reason: its failure's innermost cause (an ApplicationFailure's type and message). */
function failureOf(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause) cause = cause.cause;
  const type = (cause as { type?: string }).type;
  return `${type ? `${type}: ` : ''}${cause instanceof Error ? cause.message : String(cause)}`.slice(0, 200);
}

async function setPrice(ln: Localnet, price: bigint): Promise<void> {
  await ln.control('/pyth', { marketIndex: MARKET, price: price.toString() });
}

async function waitUntil(done: () => boolean, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`not done within ${withinMs} ms`);
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
