import { BorshInstructionCoder, type Idl } from '@coral-xyz/anchor';
import { type PublicKey, Transaction } from '@solana/web3.js';
import bs58 from 'bs58';
import { QUANTDESK_PERP_IDL } from '../../programs/quantdesk-perp/idl/quantdesk_perp';
import { PERP_PROGRAM_ID, perpAddresses } from './perp-program';

const coder = new BorshInstructionCoder(QUANTDESK_PERP_IDL as unknown as Idl);
const MAX_TRANSACTION_BYTES = 1232;

/** A user-signed transaction that is not what it claims to be; nothing is sent. */
export class InvalidUserTransactionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUserTransaction';
  }
}

export type UserInstruction = 'deposit' | 'withdraw';

export interface UserIntent {
  signature: string;
  wallet: string;
  account: string;
  subAccountId: number;
  amount: bigint;
}

/**
 * Checks a wallet-signed deposit or withdraw transaction before anything is sent: well-formed, fully
 * signed, and exactly one quantdesk-perp instruction of that kind by its signer on the signer's own
 * sub-account (both instructions list authority first and the sub-account third).
 */
export function parseUserTransaction(base64: string, expected: UserInstruction): UserIntent {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.length > MAX_TRANSACTION_BYTES) throw new InvalidUserTransactionError('not a serialized transaction');
  let tx: Transaction;
  try {
    tx = Transaction.from(bytes);
  } catch {
    throw new InvalidUserTransactionError('not a serialized legacy transaction');
  }
  if (!tx.signature || !tx.verifySignatures()) throw new InvalidUserTransactionError('the transaction is not fully and validly signed');
  let ours = tx.instructions.filter((ix) => ix.programId.equals(PERP_PROGRAM_ID));
  // A first deposit may open its sub-account in the same transaction: init_user for the same authority and sub-account.
  if (expected === 'deposit' && ours.length === 2 && ['initUser', 'init_user'].includes(coder.decode(Buffer.from(ours[0]!.data))?.name ?? '')) {
    const [openAuthority, openUser] = ours[0]!.keys.map((k) => k.pubkey);
    const [authority, , user] = ours[1]!.keys.map((k) => k.pubkey);
    if (!openAuthority || !openUser || !authority?.equals(openAuthority) || !user?.equals(openUser)) throw new InvalidUserTransactionError('init_user opens another sub-account than the deposit credits');
    ours = [ours[1]!];
  }
  if (ours.length !== 1) throw new InvalidUserTransactionError('expected exactly one quantdesk-perp instruction');
  const decoded = coder.decode(Buffer.from(ours[0]!.data));
  if (decoded?.name !== expected) throw new InvalidUserTransactionError(`expected a ${expected}, got ${decoded?.name ?? 'an unknown instruction'}`);
  const amount = BigInt((decoded.data as { amount: { toString(): string } }).amount.toString());
  if (amount <= 0n) throw new InvalidUserTransactionError('the amount must be positive');
  const [authority, , user] = ours[0]!.keys.map((k) => k.pubkey);
  if (!authority || !user) throw new InvalidUserTransactionError(`${expected} accounts are missing`);
  const signer = tx.signatures.find((s) => s.publicKey.equals(authority));
  if (!signer?.signature) throw new InvalidUserTransactionError(`the ${expected} is not signed by its authority`);
  const subAccountId = findSubAccount(authority, user);
  return { signature: bs58.encode(tx.signature), wallet: authority.toBase58(), account: user.toBase58(), subAccountId, amount };
}

/** The sub-account id whose User PDA of `authority` is `user` (0-255). */
export function findSubAccount(authority: PublicKey, user: PublicKey): number {
  for (let id = 0; id < 256; id++) if (perpAddresses.user(authority, id).equals(user)) return id;
  throw new InvalidUserTransactionError('the sub-account is not the authority\'s (sub-accounts 0-255)');
}
