// Order path benchmark (JSON on stdout): market orders at a fixed offered load through the API and
// placeOrderWorkflow on the real stack, and the same steps called directly without Temporal, in one run.
import { Keypair } from '@solana/web3.js';
// The test harness installs the SDK runtime with a quiet logger.
import { createActivities } from '../activities';
import { RpcPool } from '../solana/rpc-pool';
import { eventKeyOf } from '../domain/workflow-events';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../domain/perp';
import { startChainHarness } from '../tests/support/perp-fixtures';
import { signedOrderBody } from '../tests/support/orders';
import { summarize } from './stats';
import { asWallet } from '../tests/support/auth';

const ORDERS = Number(process.env.QD_BENCH_ORDERS ?? 40);
const OFFERED_PER_SECOND = Number(process.env.QD_BENCH_RATE ?? 4);

const env = await startChainHarness(100_000n * QUOTE_PRECISION);
const { h, trader, ln } = env;
try {
  const side = (i: number) => (i % 2 === 0 ? 1n : -1n) * (BASE_PRECISION / 100n);
  const limit = (i: number) => (i % 2 === 0 ? 1_000n * PRICE_PRECISION : 0n);

  /** Fires `run(i)` at the offered rate (open loop) and returns each latency plus the wall time. */
  async function offered(run: (i: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
    const latencies: number[] = [];
    const started = performance.now();
    const all: Promise<void>[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const due = started + (i * 1000) / OFFERED_PER_SECOND;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      const t0 = performance.now();
      all.push(run(i).then(() => void latencies.push(performance.now() - t0)));
    }
    await Promise.all(all);
    return { latencies, seconds: (performance.now() - started) / 1000 };
  }

  const viaTemporal = await offered(async (i) => {
    const body = signedOrderBody(trader, side(i), limit(i), 'market', `bench-t-${i}-${h.id}`);
    const res = await asWallet(h.apiUrl, trader.wallet, '/v1/orders', { body });
    const { workflowId } = (await res.json()) as { workflowId: string };
    const result = (await h.temporal.workflow.getHandle(workflowId).result()) as { status: string };
    if (result.status !== 'filled') throw new Error(`order ${i} ${result.status}`);
  });

  // The same activities, called in the workflow's order, with its progress writes, but no Temporal.
  const keeper = Keypair.fromSecretKey(Uint8Array.from(ln.bootstrap.keeperKeypair));
  const acts = createActivities({ pool: h.pool, db: h.db, redis: h.redis, streamPrefix: h.config.streamPrefix, rpcPool: new RpcPool(ln.rpcUrls, { now: () => Date.now() }), keeper, temporal: null });
  const direct = await offered(async (i) => {
    const input = signedOrderBody(trader, side(i), limit(i), 'market', `bench-d-${i}-${h.id}`);
    const id = `order:${input.order.user}:${input.clientOrderId}`;
    const at = () => new Date().toISOString();
    const progress = async (step: string) => {
      await acts.publishWorkflowEvent({ eventKey: eventKeyOf(id, step, 'completed'), workflowId: id, kind: 'order', account: input.order.user, step, status: 'completed', at: at() });
    };
    await acts.recordWorkflowRun({ businessKey: id, workflowId: id, runId: 'direct', kind: 'order', account: input.order.user, market: '0', status: 'running', step: 'started', at: at() });
    const owner = await acts.verifyOrderSignature(input);
    await progress('verified');
    await acts.preTradeCheck(input.order);
    await progress('risk-checked');
    const fill = await acts.submitFill(input);
    await progress('filled');
    await acts.recordOrderFill({ orderId: id, clientOrderId: input.clientOrderId, kind: 'market', wallet: owner.wallet, subAccountId: owner.subAccountId, order: input.order, triggerPrice: null, fill, at: at() });
    await progress('recorded');
    await acts.recordWorkflowRun({ businessKey: id, workflowId: id, runId: 'direct', kind: 'order', account: input.order.user, market: '0', status: 'completed', step: 'filled', at: at() });
  });

  const t = summarize(viaTemporal.latencies);
  const d = summarize(direct.latencies);
  process.stdout.write(`${JSON.stringify({
    benchmark: 'order-workflow',
    orders: ORDERS,
    offeredPerSecond: OFFERED_PER_SECOND,
    temporal: { latencyMs: t, throughputPerSecond: Number((ORDERS / viaTemporal.seconds).toFixed(2)) },
    direct: { latencyMs: d, throughputPerSecond: Number((ORDERS / direct.seconds).toFixed(2)) },
    temporalOverDirectP50: Number((t.p50 / d.p50).toFixed(3)),
    temporalOverDirectP99: Number((t.p99 / d.p99).toFixed(3)),
  }, null, 2)}\n`);
} finally {
  await env.stop();
}
