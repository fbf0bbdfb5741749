import { ApplicationFailure } from '@temporalio/common';
import { PublicKey, Transaction } from '@solana/web3.js';
import bs58 from 'bs58';
import { decodeUser } from '../solana/perp-coders';
import { InvalidUserTransactionError, parseUserTransaction, type UserInstruction } from '../solana/user-transaction';
import { ProgramRejectedError, TransactionExpiredError, type RpcPool } from '../solana/rpc-pool';
import { finalIfRejected } from '../solana/keeper-send';
import type { BalanceRead } from './ledger-rows';

/** Amounts cross the Temporal boundary as decimal strings (the JSON converter has no bigint). */
export interface UserTransactionCheck {
  signature: string;
  wallet: string;
  account: string;
  subAccountId: number;
  amount: string;
}

function validateUserTransaction(signedTransaction: string, expected: UserInstruction): UserTransactionCheck {
  try {
    const intent = parseUserTransaction(signedTransaction, expected);
    return { ...intent, amount: intent.amount.toString() };
  } catch (err) {
    if (err instanceof InvalidUserTransactionError)
      throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true });
    throw err;
  }
}

export function createChainActivities(pool: RpcPool) {
  return {
    async validateDepositTransaction(signedTransaction: string): Promise<UserTransactionCheck> {
      return validateUserTransaction(signedTransaction, 'deposit');
    },

    async validateWithdrawTransaction(signedTransaction: string): Promise<UserTransactionCheck> {
      return validateUserTransaction(signedTransaction, 'withdraw');
    },

    /** Sends through the pool (idempotent by signature); a program rejection becomes a named business failure. */
    async submitTransaction(signedTransaction: string): Promise<{ signature: string }> {
      try {
        const { signature } = await pool.sendTransaction(Transaction.from(Buffer.from(signedTransaction, 'base64')));
        return { signature };
      } catch (err) {
        if (err instanceof ProgramRejectedError) throw finalIfRejected(err);
        if (err instanceof TransactionExpiredError) {
          throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true });
        }
        throw err; // infrastructure: retried with backoff
      }
    },

    /**
     * Whether a user-signed transaction executed, for a saga deciding between settling and releasing after
     * a failure. "Not executed" is said only when it is final: the transaction's blockhash has expired on
     * every provider (asked first, so nothing can land after the answer) and then no provider has its
     * signature. Until then a retryable failure: the saga asks again while the transaction may still land.
     */
    async resolveUserTransaction(signedTransaction: string): Promise<{ executed: boolean; signature: string }> {
      const tx = Transaction.from(Buffer.from(signedTransaction, 'base64'));
      const signature = bs58.encode(tx.signature!);
      const stillValid = await pool.blockhashStillValid(tx.recentBlockhash!);
      const { outcome, answered, providers } = await pool.signatureOutcome(signature);
      if (outcome) return { executed: outcome === 'executed', signature };
      if (answered < providers || stillValid === null)
        throw ApplicationFailure.retryable(`not every provider answered for ${signature}`, 'OutcomeUnknown');
      if (stillValid)
        throw ApplicationFailure.retryable(
          `${signature} has not landed, and its blockhash is still valid: it may yet land`,
          'OutcomeUnknown',
        );
      return { executed: false, signature };
    },

    /** The sub-account's balances now, and the slot they were read at (the books keep them: account_balances). */
    async readCollateral(account: string): Promise<BalanceRead> {
      const { context, value } = await pool.call('read a user account', (c) =>
        c.getAccountInfoAndContext(new PublicKey(account)),
      );
      if (!value)
        throw ApplicationFailure.create({
          type: 'AccountNotFound',
          message: `no sub-account ${account}`,
          nonRetryable: true,
        });
      const user = decodeUser(value.data);
      return {
        collateral: user.collateral.toString(),
        unsettledPnl: user.unsettledPnl.toString(),
        slot: String(context.slot),
      };
    },
  };
}
