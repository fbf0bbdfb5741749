import type { Keypair, TransactionInstruction } from '@solana/web3.js';
import { Transaction } from '@solana/web3.js';
import type { RpcPool } from './rpc-pool';

/**
 * Sends instructions as a keeper-signed transaction through the pool: the same signed bytes on every
 * provider, re-signed with a fresh blockhash only when the old one can no longer land.
 */
export async function sendAsKeeper(pool: RpcPool, keeper: Keypair, ixs: TransactionInstruction[]): Promise<string> {
  const signed = async () => {
    const tx = new Transaction().add(...ixs);
    tx.feePayer = keeper.publicKey;
    tx.recentBlockhash = (await pool.call('get a blockhash', (c) => c.getLatestBlockhash())).blockhash;
    tx.sign(keeper);
    return tx;
  };
  return (await pool.sendTransaction(await signed(), signed)).signature;
}
