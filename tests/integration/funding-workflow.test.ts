import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ed25519 } from '@noble/curves/ed25519';
import { and, eq } from 'drizzle-orm';
import { PublicKey } from '@solana/web3.js';
import { fundingPayments, fundingRates } from '../../drizzle/schema';
import { encodeOrderMessage } from '../../solana/order-message';
import { perpAddresses } from '../../solana/perp-program';
import { toOrderMessage, type OrderWire } from '../../activities/orders';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION, fundingOwed } from '../../domain/perp';
import { ensureFundingSchedules, fundingScheduleId } from '../../temporal/schedules';
import type { FundingResult } from '../../workflows/funding-workflow';
import type { Harness } from '../support/harness';
import { startChainHarness, type Trader } from '../support/perp-fixtures';
import { recordHistory } from '../support/histories';
import { asWallet } from '../support/auth';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let trader: Trader;

beforeAll(async () => {
  env = await startChainHarness(2_000n * QUOTE_PRECISION);
  ({ h, trader } = env);
  const order: OrderWire = {
    user: trader.user.toBase58(),
    marketIndex: 0,
    baseAmount: (3n * BASE_PRECISION).toString(),
    limitPrice: (160n * PRICE_PRECISION).toString(),
    reduceOnly: false,
    nonce: '1',
    expiryTs: '4000000000',
  };
  const signature = Buffer.from(
    ed25519.sign(encodeOrderMessage(toOrderMessage(order)), trader.wallet.secretKey.subarray(0, 32)),
  ).toString('base64');
  const res = await asWallet(h.apiUrl, trader.wallet, '/v1/orders', {
    body: {
      order,
      authority: trader.wallet.publicKey.toBase58(),
      signature,
      kind: 'market',
      clientOrderId: `fund-${h.id}`,
    },
  });
  await h.temporal.workflow.getHandle(((await res.json()) as { workflowId: string }).workflowId).result();
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('funding settlement on the real stack', () => {
  it("cranks the index once for the period and records the rate and every position's payment", async () => {
    await env.ln.control('/advance', { slots: 10, secs: 3_601 });
    await env.ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
    const epoch = String(Math.floor(Date.now() / 3_600_000));
    const workflowId = `funding:0:${epoch}-${h.id}`;
    const handle = await h.temporal.workflow.start('fundingSettlementWorkflow', {
      workflowId,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ marketIndex: 0, epoch }],
    });
    const result = (await handle.result()) as FundingResult;
    expect(BigInt(result.rate)).toBeGreaterThan(0n); // an all-long book: longs pay
    expect(result.payments).toBe(1);

    const [rate] = await h.db.select().from(fundingRates).where(eq(fundingRates.marketIndex, 0));
    expect(rate).toMatchObject({
      epoch: BigInt(epoch),
      rate: BigInt(result.rate),
      cumulativeIndex: result.cumulativeIndex,
    });
    const [payment] = await h.db
      .select()
      .from(fundingPayments)
      .where(eq(fundingPayments.account, trader.user.toBase58()));
    const market = await trader.program.account.market.fetch(perpAddresses.market(0));
    expect(market.cumulativeFundingIndexLong.toString()).toBe(result.cumulativeIndex);
    expect(market.cumulativeFundingIndexShort.toString()).toBe(result.cumulativeIndex); // funding moves both sides alike
    expect(payment!.amount).toBe(fundingOwed(3n * BASE_PRECISION, 0n, BigInt(result.cumulativeIndex)));
    expect(payment!.amount).toBeGreaterThan(0n);

    await expect(
      h.temporal.workflow.start('fundingSettlementWorkflow', {
        workflowId,
        taskQueue: h.config.temporal.taskQueue,
        args: [{ marketIndex: 0, epoch }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await recordHistory(h.temporal, workflowId, 'funding');
  });

  it('treats a second crank in the same period as already done', async () => {
    const epoch = String(Math.floor(Date.now() / 3_600_000));
    const handle = await h.temporal.workflow.start('fundingSettlementWorkflow', {
      workflowId: `funding:0:again-${h.id}`,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ marketIndex: 0, epoch: `${epoch}9` }],
    });
    const result = (await handle.result()) as FundingResult;
    const market = await trader.program.account.market.fetch(perpAddresses.market(0));
    expect(result.cumulativeIndex).toBe(market.cumulativeFundingIndexLong.toString()); // not moved twice
  });

  it('books the index change the program applied when someone else cranked first, once', async () => {
    await env.ln.control('/advance', { slots: 10, secs: 3_601 });
    await env.ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
    // The crank is permissionless: a trader sends it before the settlement runs.
    await trader.program.methods
      .updateFunding()
      .accountsStrict({ market: perpAddresses.market(0), oracle: new PublicKey(env.ln.bootstrap.markets[0]!.oracle) })
      .rpc();
    const market = await trader.program.account.market.fetch(perpAddresses.market(0));
    const delta = BigInt(market.lastFundingDelta.toString());
    expect(delta).not.toBe(0n);
    const epoch = `${Math.floor(Date.now() / 3_600_000)}7`;
    const settle = async (label: string) =>
      (await (
        await h.temporal.workflow.start('fundingSettlementWorkflow', {
          workflowId: `funding:0:${label}-${h.id}`,
          taskQueue: h.config.temporal.taskQueue,
          args: [{ marketIndex: 0, epoch: label }],
        })
      ).result()) as FundingResult;
    expect((await settle(epoch)).payments).toBe(1);
    const [payment] = await h.db
      .select()
      .from(fundingPayments)
      .where(and(eq(fundingPayments.account, trader.user.toBase58()), eq(fundingPayments.epoch, BigInt(epoch))));
    expect(payment!.amount).toBe(fundingOwed(3n * BASE_PRECISION, 0n, delta)); // not 0: the third party's crank is booked
    // Another settlement finding the same crank books nothing more.
    const later = `${epoch}1`;
    await settle(later);
    const [again] = await h.db
      .select()
      .from(fundingPayments)
      .where(and(eq(fundingPayments.account, trader.user.toBase58()), eq(fundingPayments.epoch, BigInt(later))));
    expect(again?.amount ?? 0n).toBe(0n);
  });

  it('names the period from the scheduled start and settles it once however often it is triggered', async () => {
    const start = (n: number) =>
      h.temporal.workflow.start('fundingScheduleWorkflow', {
        workflowId: `funding-run:0:${n}-${h.id}`,
        taskQueue: h.config.temporal.taskQueue,
        args: [{ marketIndex: 0 }],
      });
    // funding:<market>:<epoch> is global to the namespace: an earlier run in this hour may have settled it.
    const first = (await (await start(1)).result()) as FundingResult | { alreadySettled: string };
    if ('payments' in first) expect(first.payments).toBe(1);
    else expect(first.alreadySettled).toMatch(/^funding:0:\d+$/);
    const second = (await (await start(2)).result()) as { alreadySettled: string };
    expect(second.alreadySettled).toMatch(/^funding:0:\d+$/);
  });

  it('keeps one hourly schedule per market', async () => {
    await ensureFundingSchedules(h.temporal, h.config.temporal.taskQueue, [0, 1, 2]);
    expect(await ensureFundingSchedules(h.temporal, h.config.temporal.taskQueue, [0, 1, 2])).toEqual([]);
    const schedule = await h.temporal.schedule.getHandle(fundingScheduleId(0)).describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'fundingScheduleWorkflow' });
    expect(schedule.spec.intervals?.[0]?.every).toBe(3_600_000);
  });
});
