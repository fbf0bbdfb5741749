import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { Keypair, TransactionInstruction } from '@solana/web3.js';
import bs58 from 'bs58';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ProgramRejectedError, type RpcPool, type SendOptions, type SignedWire } from './rpc-pool';
import { PROGRAM_REJECTION } from '../workflows/definitions';
import { compileLegacyMessage } from './legacy-message';
import { wireFrom, type JournalContext, type SendJournal } from './send-journal';

export { postgresJournal, wireFrom, type SendJournal } from './send-journal';

/**
 * Where a transaction is journaled: `part` names one of several transactions of the running activity
 * (its key: workflow ID, run ID and activity ID, the same on every attempt); `key` is a business key that
 * every runner of the same work shares (a liquidation episode's step, whichever workflow runs it).
 */
export type JournalPlace = { part?: string } | { key: string };

/**
 * The journal key of `place` inside the running activity, and whether the activity is a retried attempt
 * (its earlier attempt may have journaled and sent); null outside an activity (nothing is journaled there).
 * A local activity's ID is its sequence number in the run, the same when a workflow task that died with
 * its worker runs again elsewhere: its fill is journaled like a task-queue activity's.
 */
function journalPlace(place: JournalPlace = {}): { key: string; context: JournalContext } | null {
  try {
    const { workflowExecution, activityId, attempt } = Context.current().info;
    if (!workflowExecution) return null;
    const key =
      'key' in place
        ? place.key
        : `${workflowExecution.workflowId}:${workflowExecution.runId}:${activityId}${place.part ? `:${place.part}` : ''}`;
    return { key, context: { retried: attempt > 1 } };
  } catch {
    return null;
  }
}

/**
 * Whether the running activity is a retried attempt and a transaction is journaled at `place` (its earlier
 * attempt, or another runner, sent it or may have); false on a first attempt and outside an activity.
 */
export async function journaledBeforeThisAttempt(journal: SendJournal, place?: JournalPlace): Promise<boolean> {
  const at = journalPlace(place);
  return at !== null && at.context.retried === true && (await journal.load(at.key, at.context)) !== null;
}

/**
 * Sends instructions as a transaction signed by `signer` through the pool: the same signed bytes on every
 * provider, re-signed with a fresh blockhash only when the old one can no longer land. Inside an activity
 * with a journal, the signed transaction is journaled before it is sent and whoever comes later (a retried
 * attempt, a second runner at the same business key) sends the journaled one: a worker that died after
 * the chain executed it cannot make the chain execute a second.
 */
export async function sendAsKeeper(
  pool: RpcPool,
  signer: Keypair,
  ixs: TransactionInstruction[],
  journal?: SendJournal,
  place?: JournalPlace,
  options: SendOptions = {},
): Promise<string> {
  const at = journal ? journalPlace(place) : null;
  const sign = async (fresh: boolean) =>
    signWire(compileLegacyMessage(signer.publicKey, ixs, await pool.recentBlockhash({ fresh })), signer);
  // One round trip to the journal: the claim keeps what is there already (then that is what is sent).
  const fresh = await sign(false);
  const earlier = journal && at ? await journal.claim(at.key, fresh, at.context) : null;
  const first = earlier ? wireFrom(earlier) : fresh;
  const resign = async () => {
    const tx = await sign(true);
    if (journal && at) await journal.replace(at.key, tx);
    return tx;
  };
  const started = performance.now();
  try {
    const { signature } = await pool.sendTransaction(first, resign, options);
    tellSendObservers('landed', started);
    return signature;
  } catch (err) {
    tellSendObservers(err instanceof ProgramRejectedError ? 'rejected' : 'failed', started);
    throw err;
  }
}

/**
 * sendAsKeeper, then `read` of the landed transaction (the program's return data). The read is what
 * confirms it: asked as soon as a provider has taken the transaction, its answer is both the landing and
 * the result (one round trip instead of a status check and then the read). When it finds nothing yet (a
 * transaction still on its way) the pool's status checks take over and it is asked again once landed.
 */
export async function sendAsKeeperAndRead<R>(
  pool: RpcPool,
  signer: Keypair,
  ixs: TransactionInstruction[],
  read: (signature: string) => Promise<R>,
  journal?: SendJournal,
  place?: JournalPlace,
  options: SendOptions = {},
): Promise<{ signature: string; read: R }> {
  const found = new Map<string, R>();
  const signature = await sendAsKeeper(pool, signer, ixs, journal, place, {
    ...options,
    executed: async (sent) => {
      found.set(sent, await read(sent));
      return true;
    },
  });
  return { signature, read: found.has(signature) ? found.get(signature)! : await read(signature) };
}

/** What became of a keeper transaction: landed (executed), rejected by the program, or not sent (retried). */
export type KeeperSendOutcome = 'landed' | 'rejected' | 'failed';
type SendObserver = (outcome: KeeperSendOutcome, seconds: number) => void;
const sendObservers = new Set<SendObserver>();

/** Metrics: `observer` hears of every keeper transaction this process sends, until the returned function is called. */
export function observeKeeperSends(observer: SendObserver): () => void {
  sendObservers.add(observer);
  return () => sendObservers.delete(observer);
}

function tellSendObservers(outcome: KeeperSendOutcome, started: number): void {
  const seconds = (performance.now() - started) / 1000;
  for (const observer of sendObservers) observer(outcome, seconds);
}

// Ed25519 signing through Node's crypto (OpenSSL) instead of web3.js's pure-JS signer: the same signature
// (Ed25519 is deterministic), at a fraction of the CPU, which a burst of keeper transactions needs.
/**
 * Signs a compiled legacy message (compileLegacyMessage; or web3.js's `tx.serializeMessage()`) whose only
 * signer is `signer`, its fee payer, and returns the transaction's wire bytes: for web3.js's message, the
 * same bytes `tx.serialize()` gives after `tx.sign(signer)`.
 */
export function signWire(message: Buffer, signer: Keypair): SignedWire {
  // A legacy message starts with its count of required signatures: exactly one here.
  if (message[0] !== 1) throw new RangeError('signWire signs transactions with a single signer');
  const signature = sign(null, message, privateKeyOf(signer));
  return { wire: Buffer.concat([Buffer.of(1), signature, message]), signature: bs58.encode(signature) };
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const privateKeys = new WeakMap<Keypair, KeyObject>();
function privateKeyOf(signer: Keypair): KeyObject {
  let key = privateKeys.get(signer);
  if (!key) {
    key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(signer.secretKey.subarray(0, 32))]),
      format: 'der',
      type: 'pkcs8',
    });
    privateKeys.set(signer, key);
  }
  return key;
}

/**
 * A program's rejection as a final activity failure named after the program's error and marked as the
 * program's (Temporal does not retry it: the program would say the same); anything else is returned as
 * it is, to be retried.
 */
/** The keeper that signs, or the one failure every keeper activity gives on a worker without one. */
export function requireKeeper(keeper: Keypair | null, toDo: string): Keypair {
  if (!keeper)
    throw ApplicationFailure.create({
      type: 'KeeperNotConfigured',
      message: `this worker has no keeper key (QD_KEEPER_KEYPAIR_FILE) to ${toDo}`,
      nonRetryable: true,
    });
  return keeper;
}

export function finalIfRejected(err: unknown): unknown {
  return err instanceof ProgramRejectedError
    ? ApplicationFailure.create({
        type: err.errorName,
        message: err.message,
        nonRetryable: true,
        details: [PROGRAM_REJECTION],
      })
    : err;
}
