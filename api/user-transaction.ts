import { InvalidUserTransactionError, parseUserTransaction, type UserInstruction, type UserIntent } from '../activities/chain/user-transaction';
import { HttpError } from './http-error';

/** A wallet-signed deposit or withdraw transaction checked at the gateway: 400 when it is not one. */
export function userTransactionOr400(signedTransaction: string, expected: UserInstruction): UserIntent {
  try {
    return parseUserTransaction(signedTransaction, expected);
  } catch (err) {
    if (err instanceof InvalidUserTransactionError) throw new HttpError(400, `invalid_${expected === 'deposit' ? 'deposit' : 'withdrawal'}`, err.message);
    throw err;
  }
}
