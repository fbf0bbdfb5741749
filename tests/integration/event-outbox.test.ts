// The money path does not wait on Redis (issue 15 item 2): with Redis gone, an order still fills on chain
// and its workflow completes; its events wait in the Postgres outbox and reach the account stream, once
// each and in order, when Redis is back (the worker's drain), and draining again adds nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { asc } from 'drizzle-orm';
import { eventOutbox } from '../../drizzle/schema';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import { accountStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { drainEventOutbox } from '../../activities/bookkeeping/publish-workflow-event';
import { startAttributes, workflowIds } from '../../workflows/definitions';
import { startChainHarness, type Trader } from '../support/perp-fixtures';
import { freePort } from '../support/localnet';
import { signedOrderBody } from '../support/orders';
import { waitFor, type Harness } from '../support/harness';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let trader: Trader;
let redisPort: number;
let redis: ChildProcess | null = null;

/** A Redis of this test's own (the suite's shared one stays up for the other files). */
async function startRedis(): Promise<void> {
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await waitFor('the test Redis', async () => {
    const ok = await new Promise<boolean>((resolve) => {
      const ping = spawn('redis-cli', ['-p', String(redisPort), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      ping.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      ping.once('exit', () => resolve(out.trim() === 'PONG'));
    });
    return ok ? true : undefined;
  });
}

async function stopRedis(): Promise<void> {
  const child = redis;
  redis = null;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  redisPort = await freePort();
  await startRedis();
  env = await startChainHarness(2_000n * QUOTE_PRECISION, { env: { QD_REDIS_URL: `redis://127.0.0.1:${redisPort}` } });
  ({ h, trader } = env);
}, 180_000);

afterAll(async () => {
  if (!redis) await startRedis().catch(() => undefined); // the harness cleans its keys on close
  await env?.stop();
  await stopRedis();
});

describe('workflow events while Redis is down', () => {
  it('fills the order on chain, parks its events in the outbox, and delivers them once Redis is back', async () => {
    await stopRedis();
    const body = signedOrderBody(trader, BASE_PRECISION, 160n * PRICE_PRECISION, 'market', `outbox-${h.id}`);
    const workflowId = workflowIds.order(body.order.user, body.clientOrderId);
    const handle = await h.temporal.workflow.start('placeOrderWorkflow', {
      workflowId,
      taskQueue: h.config.temporal.taskQueue,
      args: [body],
      typedSearchAttributes: startAttributes('order', body.order.user, 0),
    });
    // The chain moved while Redis was down: the order filled and the workflow completed.
    expect(((await handle.result()) as { status: string }).status).toBe('filled');
    const onChain = await trader.program.account.user.fetch(trader.user);
    expect(BigInt(onChain.positions[0]!.base.toString())).toBe(BASE_PRECISION);
    const parked = await h.db.select().from(eventOutbox).orderBy(asc(eventOutbox.seq));
    const steps = parked.map((r) => (r.event as WorkflowEvent).step);
    expect(steps).toEqual(['verified', 'risk-checked', 'filled', 'recorded']);

    await startRedis();
    await waitFor('the outbox to drain', async () =>
      (await drainEventOutbox(h.redis, h.config.streamPrefix, h.db).catch(() => -1)) === 0 ? true : undefined,
    );
    const stream = accountStreamKey(h.config.streamPrefix, body.order.user);
    const delivered = async () =>
      (await h.redis.xrange(stream, '-', '+')).map(
        ([, f]) => (JSON.parse(f[f.indexOf('event') + 1]!) as WorkflowEvent).step,
      );
    expect(await delivered()).toEqual(['verified', 'risk-checked', 'filled', 'recorded']);
    // A second drain of the same events (another worker's, a retry) adds nothing.
    await h.db
      .insert(eventOutbox)
      .values(parked.map(({ eventKey, event, createdAt }) => ({ eventKey, event, createdAt })));
    expect(await drainEventOutbox(h.redis, h.config.streamPrefix, h.db)).toBe(4);
    expect(await delivered()).toEqual(['verified', 'risk-checked', 'filled', 'recorded']);
    expect(await h.db.select().from(eventOutbox)).toEqual([]);
  });
});
