import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';
import { trackValidated } from './progress';
import {
  chainActivities as chain,
  ledgerActivities as ledger,
  resolutionActivities as resolution,
} from './activity-proxies';

export interface WithdrawInput {
  /** The wallet-signed withdraw transaction, base64. */
  signedTransaction: string;
  /** The client's idempotency key; the workflow ID is withdraw:<account>:<requestId>. */
  requestId: string;
}

export interface WithdrawResult {
  signature: string;
  amount: string;
  collateralAfter: string;
}

/**
 * Withdraw, a saga: free-collateral check -> reserve in Postgres (with the transaction's signature: one
 * signed transaction is one withdrawal) -> relay the user-signed transaction -> confirm -> settle. A
 * failure after the reservation asks the chain what happened to the transaction before compensating: it
 * settles what executed (the money left, whatever failed after) and releases only what did not, in a
 * scope an operator's cancel does not interrupt; the run then fails with the original error.
 */
export async function withdrawWorkflow(input: WithdrawInput): Promise<WithdrawResult> {
  const check = await chain.validateWithdrawTransaction(input.signedTransaction);
  const progress = await trackValidated('withdraw', check);
  const free = await progress.step('risk-checked', () => chain.freeCollateralOf(check.account));
  const id = workflowInfo().workflowId;
  const now = () => new Date().toISOString();
  await progress.step('reserved', () =>
    ledger.reserveWithdrawal({
      id,
      signature: check.signature,
      account: check.account,
      wallet: check.wallet,
      amount: check.amount,
      freeCollateral: free,
      at: now(),
    }),
  );

  // Runs started before the saga asked the chain released on any failure (patched() keeps them replayable).
  const asksTheChain = patched('withdrawal-settles-what-the-chain-did');
  const release = () => ledger.releaseWithdrawal({ id, at: now() });
  /** The transfer executed: confirm what the account holds now, settle the reservation, and finish. */
  const settle = async (signature: string): Promise<WithdrawResult> => {
    const onChain = await progress.step('confirmed', () => chain.readCollateral(check.account));
    await progress.step('settled', () =>
      ledger.settleWithdrawal({
        id,
        signature,
        at: now(),
        account: check.account,
        wallet: check.wallet,
        balance: onChain,
      }),
    );
    await progress.finish('completed');
    return { signature, amount: check.amount, collateralAfter: onChain.collateral };
  };
  try {
    const { signature } = await progress.step('submitted', () => chain.submitTransaction(input.signedTransaction));
    return await settle(signature);
  } catch (err) {
    if (!asksTheChain) {
      await progress.step('released', release);
      throw err;
    }
    const settled = await CancellationScope.nonCancellable(async () => {
      try {
        const outcome = await progress.step('resolved', () =>
          resolution.resolveUserTransaction(input.signedTransaction),
        );
        if (outcome.executed) return await settle(outcome.signature);
        await progress.step('released', release);
      } catch {
        // The compensation's own failure is in the history and the run record (failed); the caller sees
        // what failed the withdrawal in the first place.
      }
      return null;
    });
    if (settled) return settled;
    throw err;
  }
}
