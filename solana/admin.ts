import { Wallet } from '@coral-xyz/anchor';
import type { Keypair, PublicKey } from '@solana/web3.js';
import { createPerpProgram, perpAddresses } from './perp-program';
import { sendAsKeeper } from './keeper-send';
import type { RpcPool } from './rpc-pool';

/**
 * Key rotation: the current admin names the next admin and keeper on chain (`set_authorities`); the old
 * keys are refused from the next transaction on. Give the worker and the risk monitor the new keeper key
 * file and restart them. Returns the transaction's signature.
 */
export async function rotateAuthorities(
  pool: RpcPool,
  currentAdmin: Keypair,
  next: { admin: PublicKey; keeper: PublicKey },
): Promise<string> {
  const program = createPerpProgram(pool.primary, new Wallet(currentAdmin));
  const ix = await program.methods
    .setAuthorities(next.admin, next.keeper)
    .accountsStrict({ admin: currentAdmin.publicKey, global: perpAddresses.global() })
    .instruction();
  return sendAsKeeper(pool, currentAdmin, [ix]);
}
