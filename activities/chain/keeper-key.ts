import { Keypair } from '@solana/web3.js';
import { readFileSync } from 'node:fs';

/**
 * The keeper's keypair from a file: a Solana keypair file (a JSON array of 64 bytes) or the localnet's
 * bootstrap file (its `keeperKeypair`). Never logged.
 */
export function loadKeeperKeypair(path: string): Keypair {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as number[] | { keeperKeypair?: number[] };
  const bytes = Array.isArray(parsed) ? parsed : parsed.keeperKeypair;
  if (!bytes || bytes.length !== 64) throw new Error(`${path} holds no 64-byte keeper keypair`);
  return Keypair.fromSecretKey(Uint8Array.from(bytes));
}
