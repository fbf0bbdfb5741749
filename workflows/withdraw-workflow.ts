import { workflowInfo } from '@temporalio/workflow';
import { trackValidated } from './progress';
import { chainActivities as chain, ledgerActivities as ledger } from './activity-proxies';

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
 * Withdraw (DESIGN §3), a saga: free-collateral check -> reserve in Postgres -> relay the user-signed
 * transaction -> confirm -> settle. Any failure after the reservation releases it, then rethrows.
 */
export async function withdrawWorkflow(input: WithdrawInput): Promise<WithdrawResult> {
  const check = await chain.validateWithdrawTransaction(input.signedTransaction);
  const progress = await trackValidated('withdraw', check);
  const free = await progress.step('risk-checked', () => chain.freeCollateralOf(check.account));
  const id = workflowInfo().workflowId;
  const now = () => new Date().toISOString();
  await progress.step('reserved', () => ledger.reserveWithdrawal({ id, account: check.account, wallet: check.wallet, amount: check.amount, freeCollateral: free, at: now() }));

  const compensations = [() => ledger.releaseWithdrawal({ id, at: now() })];
  try {
    const { signature } = await progress.step('submitted', () => chain.submitTransaction(input.signedTransaction));
    const onChain = await progress.step('confirmed', () => chain.readCollateral(check.account));
    await progress.step('settled', () => ledger.settleWithdrawal({ id, signature, at: now() }));
    await progress.finish('completed');
    return { signature, amount: check.amount, collateralAfter: onChain.collateral };
  } catch (err) {
    for (const compensate of compensations) await progress.step('released', compensate);
    throw err;
  }
}
