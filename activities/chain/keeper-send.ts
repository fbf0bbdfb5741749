import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { Keypair, TransactionInstruction } from '@solana/web3.js';
import { Transaction } from '@solana/web3.js';
import bs58 from 'bs58';
import { Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { keeperTransactions } from '../../drizzle/schema';
import type { Database } from '../../platform/postgres';
import type { RpcPool } from './rpc-pool';

/** Where signed keeper transactions are journaled before sending (keyed by what retries share). */
export interface SendJournal {
  load(key: string): Promise<string | null>;
  save(key: string, transaction: Transaction): Promise<void>;
}

/** The journal in Postgres (table keeper_transactions). */
export function postgresJournal(db: Database): SendJournal {
  return {
    async load(key) {
      const [row] = await db.select({ transaction: keeperTransactions.transaction }).from(keeperTransactions).where(eq(keeperTransactions.key, key));
      return row?.transaction ?? null;
    },
    async save(key, tx) {
      const now = new Date();
      const wire = tx.serialize({ requireAllSignatures: true, verifySignatures: false });
      const row = { key, signature: bs58.encode(tx.signature!), transaction: wire.toString('base64'), createdAt: now, updatedAt: now };
      await db.insert(keeperTransactions).values(row).onConflictDoUpdate({ target: keeperTransactions.key, set: { signature: row.signature, transaction: row.transaction, updatedAt: now } });
    },
  };
}

/**
 * The journal key of the running activity (workflow ID, run ID and activity ID: the same on every attempt,
 * different in a later run of the same workflow ID), or null outside one; `part` names one of several
 * transactions an activity sends.
 */
function activityKey(part?: string): string | null {
  try {
    const { workflowExecution, activityId, isLocal } = Context.current().info;
    return isLocal || !workflowExecution ? null : `${workflowExecution.workflowId}:${workflowExecution.runId}:${activityId}${part ? `:${part}` : ''}`;
  } catch {
    return null;
  }
}

/** Whether the running activity journaled a transaction under `part` in an earlier attempt (it is resuming). */
export async function journaled(journal: SendJournal, part?: string): Promise<boolean> {
  const key = activityKey(part);
  return key !== null && (await journal.load(key)) !== null;
}

/**
 * Sends instructions as a transaction signed by `signer` through the pool: the same signed bytes on every
 * provider, re-signed with a fresh blockhash only when the old one can no longer land. Inside an activity
 * with a journal, the signed transaction is saved before it is sent and a retried attempt sends the saved
 * one: a worker that died after the chain executed it cannot make the chain execute a second.
 */
export async function sendAsKeeper(pool: RpcPool, signer: Keypair, ixs: TransactionInstruction[], journal?: SendJournal, part?: string): Promise<string> {
  const key = journal ? activityKey(part) : null;
  const signed = async (fresh: boolean) => {
    const tx = new Transaction().add(...ixs);
    tx.feePayer = signer.publicKey;
    tx.recentBlockhash = await pool.recentBlockhash({ fresh });
    signFast(tx, signer);
    if (journal && key) await journal.save(key, tx);
    return tx;
  };
  const saved = journal && key ? await journal.load(key) : null;
  const first = saved ? Transaction.from(Buffer.from(saved, 'base64')) : await signed(false);
  return (await pool.sendTransaction(first, () => signed(true))).signature;
}

// Ed25519 signing through Node's crypto (OpenSSL) instead of web3.js's pure-JS signer: the same signature
// (Ed25519 is deterministic), at a fraction of the CPU, which a burst of keeper transactions needs.
/** Signs a transaction paid by `signer` (its only signer), as `tx.sign(signer)` would. */
export function signFast(tx: Transaction, signer: Keypair): void {
  tx.addSignature(signer.publicKey, sign(null, tx.serializeMessage(), privateKeyOf(signer)));
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const privateKeys = new WeakMap<Keypair, KeyObject>();
function privateKeyOf(signer: Keypair): KeyObject {
  let key = privateKeys.get(signer);
  if (!key) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(signer.secretKey.subarray(0, 32))]), format: 'der', type: 'pkcs8' });
    privateKeys.set(signer, key);
  }
  return key;
}
