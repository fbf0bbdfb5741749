import { BorshInstructionCoder, type Idl } from '@coral-xyz/anchor';
import { type PublicKey, Transaction, type TransactionInstruction } from '@solana/web3.js';
import bs58 from 'bs58';
import { QUANTDESK_PERP_IDL } from '../programs/quantdesk-perp/idl/quantdesk_perp';
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

/** A wallet-signed transaction, parsed and its signatures checked; nothing about what it does yet. */
function signedTransaction(base64: string): Transaction {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.length > MAX_TRANSACTION_BYTES)
    throw new InvalidUserTransactionError('not a serialized transaction');
  let tx: Transaction;
  try {
    tx = Transaction.from(bytes);
  } catch {
    throw new InvalidUserTransactionError('not a serialized legacy transaction');
  }
  if (!tx.signature || !tx.verifySignatures())
    throw new InvalidUserTransactionError('the transaction is not fully and validly signed');
  return tx;
}

/** The one quantdesk-perp instruction `ix` of `tx`, decoded, with its authority (first account) signing. */
function ownInstruction(tx: Transaction, ix: TransactionInstruction, expected: string) {
  const decoded = coder.decode(Buffer.from(ix.data));
  // The IDL names instructions in snake_case; older coders gave camelCase.
  if (!decoded || decoded.name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) !== expected)
    throw new InvalidUserTransactionError(`expected a ${expected}, got ${decoded?.name ?? 'an unknown instruction'}`);
  const authority = ix.keys[0]?.pubkey;
  if (!authority) throw new InvalidUserTransactionError(`${expected} accounts are missing`);
  const signer = tx.signatures.find((s) => s.publicKey.equals(authority));
  if (!signer?.signature) throw new InvalidUserTransactionError(`the ${expected} is not signed by its authority`);
  return { decoded, authority };
}

/**
 * Checks a wallet-signed deposit or withdraw transaction before anything is sent: well-formed, fully
 * signed, and exactly one quantdesk-perp instruction of that kind by its signer on the signer's own
 * sub-account (both instructions list authority first and the sub-account third).
 */
export function parseUserTransaction(base64: string, expected: UserInstruction): UserIntent {
  const tx = signedTransaction(base64);
  let ours = tx.instructions.filter((ix) => ix.programId.equals(PERP_PROGRAM_ID));
  // A first deposit may open its sub-account in the same transaction: init_user for the same authority and sub-account.
  if (
    expected === 'deposit' &&
    ours.length === 2 &&
    ['initUser', 'init_user'].includes(coder.decode(Buffer.from(ours[0]!.data))?.name ?? '')
  ) {
    const [openAuthority, openUser] = ours[0]!.keys.map((k) => k.pubkey);
    const [authority, , user] = ours[1]!.keys.map((k) => k.pubkey);
    if (!openAuthority || !openUser || !authority?.equals(openAuthority) || !user?.equals(openUser))
      throw new InvalidUserTransactionError('init_user opens another sub-account than the deposit credits');
    ours = [ours[1]!];
  }
  if (ours.length !== 1) throw new InvalidUserTransactionError('expected exactly one quantdesk-perp instruction');
  const { decoded, authority } = ownInstruction(tx, ours[0]!, expected);
  const amount = BigInt((decoded.data as { amount: { toString(): string } }).amount.toString());
  if (amount <= 0n) throw new InvalidUserTransactionError('the amount must be positive');
  const user = ours[0]!.keys[2]?.pubkey;
  if (!user) throw new InvalidUserTransactionError(`${expected} accounts are missing`);
  const subAccountId = findSubAccount(authority, user);
  return {
    signature: bs58.encode(tx.signature!),
    wallet: authority.toBase58(),
    account: user.toBase58(),
    subAccountId,
    amount,
  };
}

export interface CancelIntent {
  transaction: Transaction;
  signature: string;
  wallet: string;
  account: string;
  nonces: bigint[];
}

/**
 * Checks a wallet-signed cancel_order_nonces transaction: exactly one quantdesk-perp instruction, that
 * one, signed by its authority, on the authority's own sub-account.
 */
export function parseCancelTransaction(base64: string): CancelIntent {
  const tx = signedTransaction(base64);
  const ours = tx.instructions.filter((ix) => ix.programId.equals(PERP_PROGRAM_ID));
  if (ours.length !== 1) throw new InvalidUserTransactionError('expected exactly one quantdesk-perp instruction');
  const { decoded, authority } = ownInstruction(tx, ours[0]!, 'cancelOrderNonces');
  const user = ours[0]!.keys[1]?.pubkey;
  if (!user) throw new InvalidUserTransactionError('cancelOrderNonces accounts are missing');
  findSubAccount(authority, user);
  const nonces = (decoded.data as { nonces: { toString(): string }[] }).nonces.map((n) => BigInt(n.toString()));
  return {
    transaction: tx,
    signature: bs58.encode(tx.signature!),
    wallet: authority.toBase58(),
    account: user.toBase58(),
    nonces,
  };
}

export interface PauseIntent {
  transaction: Transaction;
  signature: string;
  /** The signing admin wallet (the program checks it is the global admin). */
  admin: string;
  /** The market account it names. */
  market: string;
  paused: boolean;
}

/** A wallet-signed set_market_paused (one quantdesk-perp instruction, signed by its admin account). */
export function parsePauseTransaction(base64: string): PauseIntent {
  const tx = signedTransaction(base64);
  const ours = tx.instructions.filter((ix) => ix.programId.equals(PERP_PROGRAM_ID));
  if (ours.length !== 1) throw new InvalidUserTransactionError('expected exactly one quantdesk-perp instruction');
  const { decoded, authority } = ownInstruction(tx, ours[0]!, 'setMarketPaused');
  const market = ours[0]!.keys[2]?.pubkey;
  if (!market) throw new InvalidUserTransactionError('setMarketPaused accounts are missing');
  return {
    transaction: tx,
    signature: bs58.encode(tx.signature!),
    admin: authority.toBase58(),
    market: market.toBase58(),
    paused: (decoded.data as { paused: boolean }).paused,
  };
}

/** Sub-accounts a wallet may have (User PDAs 0-255). */
const SUB_ACCOUNTS = 256;
/** Each wallet's sub-account addresses by id, derived only as far as a lookup needed (least recent first, bounded). */
const derived = new Map<string, string[]>();
const WALLETS_CACHED = 10_000;

/**
 * The sub-account id whose User PDA of `wallet` is `account`, or null when it is none of the wallet's. Each
 * address is derived once per wallet (the common sub-account 0 costs one derivation; a stranger's account,
 * all 256 once): an order, a request or a socket subscribe after that is a lookup.
 */
export function subAccountIdOf(wallet: PublicKey, account: string): number | null {
  const key = wallet.toBase58();
  let addresses = derived.get(key);
  if (addresses) derived.delete(key);
  else if (derived.size >= WALLETS_CACHED) derived.delete(derived.keys().next().value!);
  addresses ??= [];
  derived.set(key, addresses);
  let id = addresses.indexOf(account);
  while (id < 0 && addresses.length < SUB_ACCOUNTS) {
    addresses.push(perpAddresses.user(wallet, addresses.length).toBase58());
    if (addresses.at(-1) === account) id = addresses.length - 1;
  }
  return id < 0 ? null : id;
}

/** The sub-account id whose User PDA of `authority` is `user` (0-255). */
export function findSubAccount(authority: PublicKey, user: PublicKey): number {
  const id = subAccountIdOf(authority, user.toBase58());
  if (id === null) throw new InvalidUserTransactionError("the sub-account is not the authority's (sub-accounts 0-255)");
  return id;
}
