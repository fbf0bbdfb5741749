import { trackValidated } from './progress';
import { chainActivities as chain, ledgerActivities as ledger } from './activity-proxies';

export interface DepositInput {
  /** The wallet-signed deposit transaction, base64. Its signature is the workflow's business key. */
  signedTransaction: string;
}

export interface DepositResult {
  signature: string;
  account: string;
  amount: string;
  collateralAfter: string;
}

/**
 * Deposit (ARCHITECTURE §3): validate the user-signed transaction -> submit through the RPC pool (idempotent by
 * signature) -> read the on-chain collateral -> ledger row (unique by signature) -> events per step.
 */
export async function depositWorkflow(input: DepositInput): Promise<DepositResult> {
  const check = await chain.validateDepositTransaction(input.signedTransaction);
  const progress = await trackValidated('deposit', check);
  const { signature } = await progress.step('submitted', () => chain.submitTransaction(input.signedTransaction));
  const onChain = await progress.step('confirmed', () => chain.readCollateral(check.account));
  await progress.step('recorded', () =>
    ledger.recordDeposit({
      signature,
      wallet: check.wallet,
      account: check.account,
      subAccountId: check.subAccountId,
      amount: check.amount,
      collateralAfter: onChain.collateral,
      slot: onChain.slot,
      balance: onChain,
      at: new Date().toISOString(),
    }),
  );
  await progress.finish('completed');
  return { signature, account: check.account, amount: check.amount, collateralAfter: onChain.collateral };
}
