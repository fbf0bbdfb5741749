import type { PublicKey, Transaction } from '@solana/web3.js';
import type { RpcPool } from '../solana/rpc-pool';
import type { ApiDeps } from './deps';
import { HttpError } from './http-error';

/** The API's RPC pool; 503 on an API configured without Solana providers. */
export const poolOf = (deps: ApiDeps): RpcPool => {
  if (!deps.rpcPool) throw new HttpError(503, 'chain_unavailable', 'this API has no Solana providers configured');
  return deps.rpcPool;
};

/** An unsigned transaction paid by the wallet, for the wallet to sign and POST back (the API holds no trader's key). */
export async function unsignedTransaction(pool: RpcPool, wallet: PublicKey, tx: Transaction): Promise<string> {
  tx.feePayer = wallet;
  tx.recentBlockhash = (await pool.call('get a blockhash', (c) => c.getLatestBlockhash())).blockhash;
  return tx.serialize({ requireAllSignatures: false, verifySignatures: false }).toString('base64');
}
