// Order path benchmark (JSON on stdout): market orders through the API and placeOrderWorkflow on the real
// stack (a worker process with the keeper, as `npm start` runs it), and the same steps called directly
// without Temporal, in one run.
// - latency at a low offered load (QD_BENCH_RATE, 4/s, QD_BENCH_ORDERS, 40): Temporal vs direct, p50/p99;
// - sustained throughput at rising offered load (QD_BENCH_LEVELS, orders/s, each for QD_BENCH_LEVEL_SECONDS),
//   from many accounts (QD_BENCH_ACCOUNTS, 40, round robin) and from one account, until a level has errors
//   or its p99 passes QD_BENCH_MAX_P99_MS (10 s). Completed/s is orders over the time from the level's
//   first offer to its last result;
// - the Temporal server's floor in the same run (bench/temporal-floor.ts): an empty workflow's latency at the
//   same rate, and the server's CPU per workflow over a burst of QD_BENCH_FLOOR_BURST (1,000).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { createActivities } from '../activities';
import { RpcPool } from '../solana/rpc-pool';
import { eventKeyOf } from '../domain/workflow-events';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../domain/perp';
import { fundedTrader, startChainHarness, type Trader } from '../tests/support/perp-fixtures';
import { signedOrderBody } from '../tests/support/orders';
import { startServiceProcess } from '../tests/support/worker-process';
import { offered, summarize } from './stats';
import { historyBreakdown } from './history-breakdown';
import { cpuMsPer, cpuSecondsBetween, snapshotCpu } from './process-cpu';
import { asWallet } from '../tests/support/auth';
import { measureTemporalFloor } from './temporal-floor';

const ORDERS = Number(process.env.QD_BENCH_ORDERS ?? 40);
const OFFERED_PER_SECOND = Number(process.env.QD_BENCH_RATE ?? 4);
const LEVELS = (process.env.QD_BENCH_LEVELS ?? '10,25,50,100,200').split(',').map(Number);
const LEVEL_SECONDS = Number(process.env.QD_BENCH_LEVEL_SECONDS ?? 10);
const ACCOUNTS = Number(process.env.QD_BENCH_ACCOUNTS ?? 40);
const MAX_P99_MS = Number(process.env.QD_BENCH_MAX_P99_MS ?? 10_000);
/** Empty workflows in the floor's burst (50 in flight), for the server's CPU per workflow. */
const FLOOR_BURST = Number(process.env.QD_BENCH_FLOOR_BURST ?? 1_000);

const env = await startChainHarness(100_000n * QUOTE_PRECISION, {
  worker: false,
  env: { QD_RATE_LIMIT_PER_MINUTE: '100000' },
});
const { h, trader, ln, connection } = env;
const keyDir = mkdtempSync(join(tmpdir(), 'qd-bench-'));
writeFileSync(join(keyDir, 'keeper.json'), JSON.stringify(ln.bootstrap.keeperKeypair), { mode: 0o600 });
// QD_BENCH_PROFILE=<dir>: a V8 CPU profile of the worker process (written when it stops).
const profile = process.env.QD_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.QD_BENCH_PROFILE}`] : [];
const worker = await startServiceProcess(
  'temporal/worker.ts',
  { ...h.env, QD_KEEPER_KEYPAIR_FILE: join(keyDir, 'keeper.json') },
  'worker polling',
  60_000,
  profile,
);
try {
  const side = (i: number) => (i % 2 === 0 ? 1n : -1n) * (BASE_PRECISION / 100n);
  const limit = (i: number) => (i % 2 === 0 ? 1_000n * PRICE_PRECISION : 0n);

  /** Workflow IDs of the orders placed through the API, by tag (their histories say where the time went). */
  const placed = new Map<string, string[]>();
  /** One order through the API, to its workflow's result; anything but filled is an error. */
  const viaApi = (who: Trader, i: number, tag: string) => async () => {
    const body = signedOrderBody(who, side(i), limit(i), 'market', `bench-${tag}-${i}-${h.id}`);
    const res = await asWallet(h.apiUrl, who.wallet, '/v1/orders', { body });
    if (res.status !== 202) throw new Error(`order ${i}: HTTP ${res.status} ${await res.text()}`);
    const { workflowId } = (await res.json()) as { workflowId: string };
    placed.set(tag, [...(placed.get(tag) ?? []), workflowId]);
    const result = (await h.temporal.workflow.getHandle(workflowId).result()) as { status: string; reason?: string };
    if (result.status !== 'filled') throw new Error(`order ${i} ${result.status} ${result.reason ?? ''}`);
  };

  const viaTemporal = await offered(ORDERS, OFFERED_PER_SECOND, (i) => viaApi(trader, i, 't')());

  // The same activities, called in the workflow's order, with its progress writes, but no Temporal.
  const keeper = Keypair.fromSecretKey(Uint8Array.from(ln.bootstrap.keeperKeypair));
  const acts = createActivities({
    pool: h.pool,
    db: h.db,
    redis: h.redis,
    streamPrefix: h.config.streamPrefix,
    rpcPool: new RpcPool(ln.rpcUrls, { now: () => Date.now() }),
    keeper,
    temporal: null,
  });
  const direct = await offered(ORDERS, OFFERED_PER_SECOND, async (i) => {
    const input = signedOrderBody(trader, side(i), limit(i), 'market', `bench-d-${i}-${h.id}`);
    const id = `order:${input.order.user}:${input.clientOrderId}`;
    const at = () => new Date().toISOString();
    const progress = async (step: string) => {
      await acts.publishWorkflowEvent({
        eventKey: eventKeyOf(id, step, 'completed'),
        workflowId: id,
        kind: 'order',
        account: input.order.user,
        step,
        status: 'completed',
        at: at(),
      });
    };
    await acts.recordWorkflowRun({
      businessKey: id,
      workflowId: id,
      runId: 'direct',
      kind: 'order',
      account: input.order.user,
      market: '0',
      status: 'running',
      step: 'started',
      at: at(),
    });
    const owner = await acts.verifyOrderSignature(input);
    await progress('verified');
    await acts.preTradeCheck(input.order);
    await progress('risk-checked');
    const fill = await acts.submitFill(input);
    await progress('filled');
    await acts.recordOrderFill({
      orderId: id,
      clientOrderId: input.clientOrderId,
      kind: 'market',
      wallet: owner.wallet,
      subAccountId: owner.subAccountId,
      order: input.order,
      triggerPrice: null,
      fill,
      at: at(),
    });
    await progress('recorded');
    await acts.recordWorkflowRun({
      businessKey: id,
      workflowId: id,
      runId: 'direct',
      kind: 'order',
      account: input.order.user,
      market: '0',
      status: 'completed',
      step: 'filled',
      at: at(),
    });
  });

  // The server's floor in the same run: an empty workflow at the same rate, then a burst of them.
  const floor = await measureTemporalFloor(h.temporal, {
    address: h.config.temporal.address,
    namespace: h.config.temporal.namespace,
    taskQueue: `bench-floor-${h.id}`,
    latency: { workflows: ORDERS, perSecond: OFFERED_PER_SECOND },
    burst: { workflows: FLOOR_BURST, inFlight: 50 },
  });

  const traders: Trader[] = [];
  for (let i = 0; i < ACCOUNTS; i++) traders.push(await fundedTrader(ln, connection, 100_000n * QUOTE_PRECISION));
  /** Rising offered load until a level has errors or its p99 passes MAX_P99_MS. */
  async function sweep(tag: string, who: (i: number) => Trader) {
    const levels = [];
    for (const rate of LEVELS) {
      const n = rate * LEVEL_SECONDS;
      const cpuBefore = snapshotCpu();
      const r = await offered(n, rate, (i) => viaApi(who(i), i, `${tag}${rate}`)());
      const cpu = cpuSecondsBetween(cpuBefore, snapshotCpu());
      const latency = summarize(r.latencies);
      levels.push({
        offeredPerSecond: rate,
        orders: n,
        completedPerSecond: Math.round((r.latencies.length / r.seconds) * 10) / 10,
        errors: r.errors.length,
        firstError: r.errors[0],
        latencyMs: latency,
        // CPU of each part of the platform per completed order (the bench process runs the API and the clients).
        cpuMsPerOrder: cpuMsPer(cpu, r.latencies.length),
      });
      if (r.errors.length || latency.p99 > MAX_P99_MS) break;
    }
    const clean = levels.filter((l) => !l.errors && l.latencyMs.p99 <= MAX_P99_MS);
    return { sustainedPerSecond: Math.max(0, ...clean.map((l) => l.completedPerSecond)), levels };
  }
  const manyAccounts = await sweep('m', (i) => traders[i % traders.length]!);
  const oneAccount = await sweep('o', () => traders[0]!);

  // Where an order's time went at the low rate, from its real history (schedule-to-start, task and activity times).
  const breakdown = await historyBreakdown(h.temporal, placed.get('t') ?? []);
  const t = summarize(viaTemporal.latencies);
  const d = summarize(direct.latencies);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'order-workflow',
        orders: ORDERS,
        offeredPerSecond: OFFERED_PER_SECOND,
        temporal: {
          latencyMs: t,
          errors: viaTemporal.errors.length,
          throughputPerSecond: Number((ORDERS / viaTemporal.seconds).toFixed(2)),
        },
        direct: {
          latencyMs: d,
          errors: direct.errors.length,
          throughputPerSecond: Number((ORDERS / direct.seconds).toFixed(2)),
        },
        temporalOverDirectP50: Number((t.p50 / d.p50).toFixed(3)),
        temporalOverDirectP99: Number((t.p99 / d.p99).toFixed(3)),
        historyBreakdown: breakdown,
        // An empty workflow on the same server and client (no API, no activity): what any workflow pays.
        // bestP50RatioToDirect: the ratio an order could reach if Temporal cost it only that floor.
        floor: { ...floor, bestP50RatioToDirect: Number(((floor.latencyMs.p50 + d.p50) / d.p50).toFixed(3)) },
        sweep: { accounts: ACCOUNTS, levelSeconds: LEVEL_SECONDS, maxP99Ms: MAX_P99_MS, manyAccounts, oneAccount },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await (profile.length ? worker.stop() : worker.kill());
  await env.stop();
}
