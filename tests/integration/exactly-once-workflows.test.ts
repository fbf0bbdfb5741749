// Kills the worker process just after the chain executed a workflow's transaction (the provider holds
// the answer back) and restarts it: each workflow completes with one on-chain execution, one row per
// business key and one event per step. The deposit's kills are in exactly-once.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BN from 'bn.js';
import { TOKEN_PROGRAM_ID, getAccount } from '@solana/spl-token';
import { Connection } from '@solana/web3.js';
import { eq, inArray } from 'drizzle-orm';
import {
  fills,
  fundingPayments,
  insuranceFundLedger,
  liquidations,
  positions,
  withdrawals,
} from '../../drizzle/schema';
import { perpAddresses } from '../../solana/perp-program';
import { RpcPool } from '../../solana/rpc-pool';
import { fetchInsuranceFund, fetchMarket } from '../../solana/accounts';
import { startLiquidations } from '../../services/risk-monitor/risk-monitor';
import { accountStreamKey, marketAccountOf, type WorkflowEvent } from '../../domain/workflow-events';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION, fundingOwed } from '../../domain/perp';
import { onlyLiquidation } from '../support/liquidations';
import type { FundingResult } from '../../workflows/funding-workflow';
import { startHarness, waitFor, type Harness } from '../support/harness';
import {
  sendsSoFar as localnetSends,
  setFaults as setLocalnetFaults,
  startLocalnet,
  type Localnet,
} from '../support/localnet';
import { fundedTrader, type Trader } from '../support/perp-fixtures';
import { placeAndWait, signedOrderBody } from '../support/orders';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { asWallet, tokenOf } from '../support/auth';

let ln: Localnet;
let h: Harness;
let connection: Connection;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  ln = await startLocalnet(2);
  const dir = mkdtempSync(join(tmpdir(), 'qd-keeper-'));
  const keeperFile = join(dir, 'keeper.json');
  writeFileSync(keeperFile, JSON.stringify(ln.bootstrap.keeperKeypair), { mode: 0o600 });
  h = await startHarness(
    { QD_SOLANA_RPC_URLS: ln.rpcUrls.join(','), QD_KEEPER_KEYPAIR_FILE: keeperFile },
    { worker: false },
  );
  connection = new Connection(ln.rpcUrls[0]!, 'confirmed');
  worker = await startWorkerProcess(h.env);
}, 180_000);

afterAll(async () => {
  await worker?.kill();
  await h?.close();
  await ln?.stop();
});

const setFaults = (config: Record<string, number>) => setLocalnetFaults(ln, config);
const sendsSoFar = () => localnetSends(ln);

/**
 * Runs `start` with providers that execute a send at once but answer it late, kills the worker as soon
 * as a transaction has reached a provider, and restarts it with healthy providers.
 */
async function killAfterNextSend<T>(start: () => Promise<T>, sends = 1): Promise<T> {
  const before = await sendsSoFar();
  await setFaults({ sendLatencyAfterMs: 10_000 });
  const started = await start();
  await waitFor(
    `${sends} transaction(s) to reach a provider`,
    async () => ((await sendsSoFar()) >= before + sends ? true : undefined),
    60_000,
  );
  await worker!.kill();
  await setFaults({});
  worker = await startWorkerProcess(h.env);
  return started;
}

async function stepsOf(account: string, workflowId: string): Promise<string[]> {
  const entries = await h.redis.xrange(accountStreamKey(h.config.streamPrefix, account), '-', '+');
  return entries
    .map(([, f]) => JSON.parse(f[1]!) as WorkflowEvent)
    .filter((e) => e.workflowId === workflowId && e.status === 'completed')
    .map((e) => e.step);
}
const once = (steps: string[]) => expect(steps.length).toBe(new Set(steps).size);
const collateralOf = async (t: Trader) => BigInt((await t.program.account.user.fetch(t.user)).collateral.toString());
const baseOf = async (t: Trader) => BigInt((await t.program.account.user.fetch(t.user)).positions[0]!.base.toString());

describe('a worker killed right after the chain executed', () => {
  it('fills a market order once', async () => {
    const trader = await fundedTrader(ln, connection, 1_000n * QUOTE_PRECISION);
    const body = signedOrderBody(trader, BASE_PRECISION, 200n * PRICE_PRECISION, 'market', `once-order-${h.id}`);
    const workflowId = `order:${trader.user.toBase58()}:${body.clientOrderId}`;
    await tokenOf(h.apiUrl, trader.wallet); // signed in before the providers slow down
    await killAfterNextSend(() => asWallet(h.apiUrl, trader.wallet, '/v1/orders', { body }));
    const result = (await h.temporal.workflow.getHandle(workflowId).result()) as { status: string; signature: string };
    expect(result.status).toBe('filled');
    expect(await baseOf(trader)).toBe(BASE_PRECISION); // one execution
    const rows = await h.db.select().from(fills).where(eq(fills.account, trader.user.toBase58()));
    expect(rows.map((r) => r.signature)).toEqual([result.signature]);
    expect(await collateralOf(trader)).toBe(1_000n * QUOTE_PRECISION - rows[0]!.fee);
    once(await stepsOf(trader.user.toBase58(), workflowId));
  }, 180_000);

  it('withdraws once and settles the reservation', async () => {
    const trader = await fundedTrader(ln, connection, 500n * QUOTE_PRECISION);
    const walletBefore = (await getAccount(connection, trader.usdc)).amount;
    const tx = await trader.program.methods
      .withdraw(new BN((200n * QUOTE_PRECISION).toString()))
      .accountsStrict({
        authority: trader.wallet.publicKey,
        global: perpAddresses.global(),
        user: trader.user,
        userToken: trader.usdc,
        vault: perpAddresses.vault(),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .transaction();
    tx.feePayer = trader.wallet.publicKey;
    tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash;
    tx.sign(trader.wallet);
    await tokenOf(h.apiUrl, trader.wallet);
    const res = await killAfterNextSend(() =>
      asWallet(h.apiUrl, trader.wallet, '/v1/withdrawals', {
        body: { signedTransaction: tx.serialize().toString('base64'), requestId: `once-${h.id}` },
      }),
    );
    const { workflowId } = (await res.json()) as { workflowId: string };
    await h.temporal.workflow.getHandle(workflowId).result();
    expect(await collateralOf(trader)).toBe(300n * QUOTE_PRECISION);
    expect((await getAccount(connection, trader.usdc)).amount).toBe(walletBefore + 200n * QUOTE_PRECISION);
    expect(await h.db.select().from(withdrawals).where(eq(withdrawals.account, trader.user.toBase58()))).toMatchObject([
      { id: workflowId, status: 'settled', amount: 200n * QUOTE_PRECISION },
    ]);
    once(await stepsOf(trader.user.toBase58(), workflowId));
  }, 180_000);

  it('liquidates with one row and one insurance entry per step the program executed', async () => {
    const trader = await fundedTrader(ln, connection, 1_000n * QUOTE_PRECISION);
    await placeAndWait(
      h,
      trader,
      signedOrderBody(trader, 60n * BASE_PRECISION, 160n * PRICE_PRECISION, 'market', `once-open-${h.id}`),
    );
    const opened = await baseOf(trader);
    await ln.control('/pyth', { marketIndex: 0, price: (135n * PRICE_PRECISION).toString() });
    const monitor = {
      pool: new RpcPool(ln.rpcUrls, { now: () => Date.now() }),
      temporal: h.temporal,
      taskQueue: h.config.temporal.taskQueue,
    };
    const batches = await killAfterNextSend(() =>
      startLiquidations(monitor, 0, [
        { account: trader.user.toBase58(), wallet: trader.wallet.publicKey.toBase58(), seq: '1' },
      ]),
    );
    const result = await onlyLiquidation(h.temporal, batches);
    const workflowId = batches[0]!.workflowId;
    expect(result.status).toBe('liquidated');
    expect(BigInt(result.closedBase)).toBe(opened - (await baseOf(trader))); // what the workflow reports is what the chain did
    expect(await h.db.select().from(liquidations).where(eq(liquidations.account, trader.user.toBase58()))).toHaveLength(
      1,
    );
    expect(
      (
        await h.db
          .select()
          .from(insuranceFundLedger)
          .where(eq(insuranceFundLedger.entryKey, `liq-fee:${result.id}`))
      )[0]!.delta,
    ).toBe(BigInt(result.fees));
    once(await stepsOf(trader.user.toBase58(), workflowId));
    await ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
  }, 180_000);

  it("books a bankruptcy the killed attempt resolved, from the program's report", async () => {
    const trader = await fundedTrader(ln, connection, 1_000n * QUOTE_PRECISION);
    await placeAndWait(
      h,
      trader,
      signedOrderBody(trader, 60n * BASE_PRECISION, 160n * PRICE_PRECISION, 'market', `once-gap-${h.id}`),
    );
    const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
    const fundBefore = await fetchInsuranceFund(pool);
    await ln.control('/pyth', { marketIndex: 0, price: (125n * PRICE_PRECISION).toString() }); // a gap through zero equity
    const monitor = { pool, temporal: h.temporal, taskQueue: h.config.temporal.taskQueue };
    const account = trader.user.toBase58();
    // Killed once both the closing step and the bankruptcy reached the chain: the retry must report both.
    const result = await onlyLiquidation(
      h.temporal,
      await killAfterNextSend(
        () => startLiquidations(monitor, 0, [{ account, wallet: trader.wallet.publicKey.toBase58(), seq: '1' }]),
        2,
      ),
    );
    expect(result.status).toBe('liquidated');
    expect(BigInt(result.insurancePaid) + BigInt(result.socializedLoss)).toBeGreaterThan(0n);
    const entries = await h.db
      .select()
      .from(insuranceFundLedger)
      .where(inArray(insuranceFundLedger.entryKey, [`liq-fee:${result.id}`, `bankruptcy:${result.id}`]));
    const booked = entries.reduce((sum, e) => sum + e.delta, 0n);
    expect(booked).toBe((await fetchInsuranceFund(pool)) - fundBefore);
    expect((await trader.program.account.user.fetch(trader.user)).collateral.toString()).toBe('0');
    await ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
  }, 180_000);

  it('cranks funding once and settles every position from the index before the crank', async () => {
    const indexBefore = BigInt(
      (await fetchMarket(new RpcPool(ln.rpcUrls, { now: () => Date.now() }), 0)).cumulativeFundingIndexLong.toString(),
    );
    await ln.control('/advance', { slots: 10, secs: 3_601 });
    await ln.control('/pyth', { marketIndex: 0, price: (150n * PRICE_PRECISION).toString() });
    const epoch = String(Math.floor(Date.now() / 3_600_000));
    const workflowId = `funding:0:${epoch}`;
    await killAfterNextSend(() =>
      h.temporal.workflow.start('fundingSettlementWorkflow', {
        workflowId,
        taskQueue: h.config.temporal.taskQueue,
        args: [{ marketIndex: 0, epoch }],
      }),
    );
    const result = (await h.temporal.workflow.getHandle(workflowId).result()) as FundingResult;
    const indexAfter = BigInt(result.cumulativeIndex);
    expect(indexAfter).not.toBe(indexBefore); // the crank moved it, once (a second crank is refused: FundingNotDue)
    const payments = await h.db.select().from(fundingPayments).where(eq(fundingPayments.marketIndex, 0));
    expect(payments.length).toBe(result.payments);
    expect(payments.length).toBeGreaterThan(0);
    const held = await h.db.select().from(positions).where(eq(positions.marketIndex, 0));
    for (const p of payments) {
      const position = held.find((q) => q.account === p.account)!;
      expect(p.amount).toBe(fundingOwed(position.baseAmount, indexBefore, indexAfter));
    }
    once(await stepsOf(marketAccountOf(0), workflowId));
  }, 180_000);
});
