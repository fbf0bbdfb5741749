import {
  InvalidUserTransactionError,
  parseUserTransaction,
  type UserInstruction,
  type UserIntent,
} from '../solana/user-transaction';
import type { Response } from 'express';
import { QdAccount, QdKind, QdStatus } from '../workflows/definitions';
import { HttpError } from './http-error';
import { requireWallet } from './auth/middleware';
import type { ApiDeps } from './deps';
import { startOrFind } from './start-workflow';

/** A wallet-signed deposit or withdraw transaction checked at the gateway: 400 when it is not one. */
export function userTransactionOr400(signedTransaction: string, expected: UserInstruction): UserIntent {
  try {
    return parseUserTransaction(signedTransaction, expected);
  } catch (err) {
    if (err instanceof InvalidUserTransactionError)
      throw new HttpError(400, `invalid_${expected === 'deposit' ? 'deposit' : 'withdrawal'}`, err.message);
    throw err;
  }
}

/**
 * A signed-in wallet's own deposit or withdrawal: checked here (400 when it is not one, 403 when another
 * wallet signed it), then run by its workflow under the ID `workflowId(intent)` names; answers 202 when
 * started, 200 when that business key had already started it.
 */
export async function startUserTransaction(
  deps: ApiDeps,
  res: Response,
  kind: UserInstruction,
  signedTransaction: string,
  workflow: { type: string; workflowId: (intent: UserIntent) => string; args: unknown[] },
  precheck?: (intent: UserIntent, workflowId: string) => Promise<void>,
): Promise<void> {
  const intent = userTransactionOr400(signedTransaction, kind);
  requireWallet(res, intent.wallet);
  await precheck?.(intent, workflow.workflowId(intent));
  const started = await startOrFind(deps, workflow.type, {
    workflowId: workflow.workflowId(intent),
    args: workflow.args,
    typedSearchAttributes: [
      { key: QdAccount, value: intent.account },
      { key: QdKind, value: kind },
      { key: QdStatus, value: 'running' },
    ],
  });
  res.status(started.existing ? 200 : 202).json({ ...started, amount: intent.amount.toString() });
}
