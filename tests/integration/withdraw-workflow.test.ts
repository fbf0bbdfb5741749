import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BN from 'bn.js';
import { TOKEN_PROGRAM_ID, getAccount } from '@solana/spl-token';
import { type Connection, PublicKey, Transaction } from '@solana/web3.js';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { withdrawals } from '../../drizzle/schema';
import { marketMetas, perpAddresses } from '../../solana/perp-program';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import { waitFor, type Harness } from '../support/harness';
import { sendsSoFar, setFaults, type Localnet } from '../support/localnet';
import { fillInstructions, keeperOf, signedBy, startChainHarness, type Trader } from '../support/perp-fixtures';
import { recordHistory } from '../support/histories';
import { asWallet } from '../support/auth';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let ln: Localnet;
let h: Harness;
let trader: Trader;
let connection: Connection;

beforeAll(async () => {
  env = await startChainHarness(1_000n * QUOTE_PRECISION);
  ({ ln, h, trader, connection } = env);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

async function signedWithdraw(amount: bigint, withMarket: boolean): Promise<string> {
  const market = ln.bootstrap.markets[0]!;
  const tx = await trader.program.methods
    .withdraw(new BN(amount.toString()))
    .accountsStrict({
      authority: trader.wallet.publicKey,
      global: perpAddresses.global(),
      user: trader.user,
      userToken: trader.usdc,
      vault: perpAddresses.vault(),
      tokenProgram: TOKEN_PROGRAM_ID,
    })
    .remainingAccounts(
      withMarket ? marketMetas([{ market: new PublicKey(market.market), oracle: new PublicKey(market.oracle) }]) : [],
    )
    .transaction();
  return signedBy(connection, trader.wallet, tx);
}

const post = (signedTransaction: string, requestId: string) =>
  asWallet(h.apiUrl, trader.wallet, '/v1/withdrawals', { body: { signedTransaction, requestId } });
const rowOf = async (workflowId: string) =>
  (await h.db.select().from(withdrawals).where(eq(withdrawals.id, workflowId)))[0];
const collateral = async () => BigInt((await trader.program.account.user.fetch(trader.user)).collateral.toString());

describe('withdrawWorkflow, a saga on the real stack', () => {
  it('reserves, relays, confirms and settles a withdrawal within free collateral', async () => {
    const before = (await getAccount(connection, trader.usdc)).amount;
    const res = await post(await signedWithdraw(100n * QUOTE_PRECISION, false), `req-ok-${h.id}`);
    expect(res.status).toBe(202);
    const { workflowId } = (await res.json()) as { workflowId: string };
    expect(workflowId).toBe(`withdraw:${trader.user.toBase58()}:req-ok-${h.id}`);
    const result = (await h.temporal.workflow.getHandle(workflowId).result()) as { collateralAfter: string };
    expect(result.collateralAfter).toBe((900n * QUOTE_PRECISION).toString());
    expect((await getAccount(connection, trader.usdc)).amount).toBe(before + 100n * QUOTE_PRECISION);
    expect(await rowOf(workflowId)).toMatchObject({ status: 'settled', amount: 100n * QUOTE_PRECISION });
    await recordHistory(h.temporal, workflowId, 'withdraw');
  });

  it('refuses more than the free collateral before reserving anything', async () => {
    const res = await post(await signedWithdraw(5_000n * QUOTE_PRECISION, false), `req-big-${h.id}`);
    const { workflowId } = (await res.json()) as { workflowId: string };
    const error = await h.temporal.workflow
      .getHandle(workflowId)
      .result()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause?.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('InsufficientFreeCollateral');
    expect(await rowOf(workflowId)).toBeUndefined();
  });

  it('releases the reservation when the chain refuses the transaction', async () => {
    // An open position makes the program require its market and oracle; this transaction omits them.
    const keeper = keeperOf(ln);
    const fill = new Transaction().add(...(await fillInstructions(ln, trader, BASE_PRECISION, 160n * PRICE_PRECISION)));
    await trader.program.provider.sendAndConfirm!(fill, [keeper]);
    const collateralBefore = await collateral();

    const res = await post(await signedWithdraw(10n * QUOTE_PRECISION, false), `req-saga-${h.id}`);
    const { workflowId } = (await res.json()) as { workflowId: string };
    await expect(h.temporal.workflow.getHandle(workflowId).result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const row = await waitFor('the reservation to be released', async () => {
      const r = await rowOf(workflowId);
      return r?.status === 'released' ? r : undefined;
    });
    expect(row.amount).toBe(10n * QUOTE_PRECISION);
    expect(await collateral()).toBe(collateralBefore);

    // With the market and oracle passed, the same amount goes through.
    const ok = await post(await signedWithdraw(10n * QUOTE_PRECISION, true), `req-saga2-${h.id}`);
    const { workflowId: second } = (await ok.json()) as { workflowId: string };
    await h.temporal.workflow.getHandle(second).result();
    expect((await rowOf(second))?.status).toBe('settled');
  });

  it('takes one signed transaction as one withdrawal: another request ID gets 409 and starts nothing', async () => {
    const signed = await signedWithdraw(5n * QUOTE_PRECISION, true);
    const first = await post(signed, `req-once-${h.id}`);
    const { workflowId } = (await first.json()) as { workflowId: string };
    await h.temporal.workflow.getHandle(workflowId).result();
    const again = await post(signed, `req-once-again-${h.id}`);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('duplicate_withdrawal');
    await expect(
      h.temporal.workflow.getHandle(`withdraw:${trader.user.toBase58()}:req-once-again-${h.id}`).describe(),
    ).rejects.toThrow();
    // A workflow started around the gateway meets the same rule at its reservation.
    const bypass = `withdraw:${trader.user.toBase58()}:req-once-bypass-${h.id}`;
    const handle = await h.temporal.workflow.start('withdrawWorkflow', {
      workflowId: bypass,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ signedTransaction: signed, requestId: `req-once-bypass-${h.id}` }],
    });
    const error = await handle.result().catch((e: unknown) => e);
    expect(((error as WorkflowFailedError).cause?.cause as ApplicationFailure).type).toBe('DuplicateWithdrawal');
    expect(await rowOf(bypass)).toBeUndefined();
    expect(
      (
        await h.db
          .select()
          .from(withdrawals)
          .where(eq(withdrawals.signature, (await rowOf(workflowId))!.signature!))
      ).map((r) => r.status),
    ).toEqual(['settled']);
  });

  it('settles, not releases, a withdrawal cancelled after its transfer executed (the chain is asked first)', async () => {
    const before = (await getAccount(connection, trader.usdc)).amount;
    const collateralBefore = await collateral();
    // Every provider executes the transfer at once but answers its sender 3 s later: the cancel lands in between.
    await setFaults(ln, { sendLatencyAfterMs: 3_000 });
    try {
      const res = await post(await signedWithdraw(7n * QUOTE_PRECISION, true), `req-cancel-${h.id}`);
      const { workflowId } = (await res.json()) as { workflowId: string };
      const handle = h.temporal.workflow.getHandle(workflowId);
      await waitFor('the reservation', async () =>
        (await rowOf(workflowId))?.status === 'reserved' ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 500));
      await handle.cancel();
      const result = (await handle.result()) as { collateralAfter: string };
      expect(BigInt(result.collateralAfter)).toBe(collateralBefore - 7n * QUOTE_PRECISION);
      expect(await rowOf(workflowId)).toMatchObject({ status: 'settled', amount: 7n * QUOTE_PRECISION });
      expect((await getAccount(connection, trader.usdc)).amount).toBe(before + 7n * QUOTE_PRECISION);
      const steps = (await handle.query<{ steps: { step: string; status: string }[] }>('getProgress')).steps.map(
        (x) => `${x.step}:${x.status}`,
      );
      expect(steps).toContain('resolved:completed');
      expect(steps).not.toContain('released:completed');
      await recordHistory(h.temporal, workflowId, 'withdraw-cancelled-after-transfer');
    } finally {
      await setFaults(ln, {});
    }
  });

  /**
   * Posts a withdrawal whose transaction every provider loses unexecuted, and cancels it once it was sent.
   * Sends stay lost until the test clears the faults (a send still in flight must not land by accident).
   */
  async function lostAndCancelled(amount: bigint, requestId: string) {
    const signed = await signedWithdraw(amount, true);
    const sentBefore = await sendsSoFar(ln);
    await setFaults(ln, { loseSends: true });
    const res = await post(signed, requestId);
    const { workflowId } = (await res.json()) as { workflowId: string };
    const handle = h.temporal.workflow.getHandle(workflowId);
    await waitFor('the transaction to be sent (and lost)', async () =>
      (await sendsSoFar(ln)) > sentBefore ? true : undefined,
    );
    await handle.cancel();
    return { signed, workflowId, handle };
  }
  const stepsOf = async (handle: ReturnType<typeof h.temporal.workflow.getHandle>) =>
    (await handle.query<{ steps: { step: string; status: string }[] }>('getProgress')).steps.map(
      (x) => `${x.step}:${x.status}`,
    );

  it('does not release a lost withdrawal while its blockhash is valid: when it lands late, it is settled', async () => {
    const collateralBefore = await collateral();
    const { signed, workflowId, handle } = await lostAndCancelled(3n * QUOTE_PRECISION, `req-late-${h.id}`);
    // The saga asks the chain, finds nothing, and waits: the transaction may still land.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await rowOf(workflowId))?.status).toBe('reserved');
    expect(await stepsOf(handle)).not.toContain('released:completed');
    // It does land (a node that had it all along delivers it).
    await setFaults(ln, {});
    await connection.sendRawTransaction(Buffer.from(signed, 'base64'), { skipPreflight: true });
    const result = (await handle.result()) as { collateralAfter: string };
    expect(BigInt(result.collateralAfter)).toBe(collateralBefore - 3n * QUOTE_PRECISION);
    expect(await rowOf(workflowId)).toMatchObject({ status: 'settled', amount: 3n * QUOTE_PRECISION });
    expect(await stepsOf(handle)).toContain('resolved:completed');
  });

  it('releases a lost withdrawal once its blockhash has expired on every provider, and nothing moved', async () => {
    const collateralBefore = await collateral();
    const { signed, workflowId, handle } = await lostAndCancelled(4n * QUOTE_PRECISION, `req-lost-${h.id}`);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError); // the cancel, once compensated
    const blockhash = Transaction.from(Buffer.from(signed, 'base64')).recentBlockhash!;
    // Released only after the blockhash expired (about 150 blocks of 400 ms), so nothing can land after.
    expect((await connection.isBlockhashValid(blockhash)).value).toBe(false);
    expect(await rowOf(workflowId)).toMatchObject({ status: 'released', amount: 4n * QUOTE_PRECISION });
    expect(await collateral()).toBe(collateralBefore);
    expect(await stepsOf(handle)).toEqual(expect.arrayContaining(['resolved:completed', 'released:completed']));
    await setFaults(ln, {});
  }, 240_000);
});
