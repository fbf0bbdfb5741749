import { Keypair } from '@solana/web3.js';
import { readFileSync } from 'node:fs';

/**
 * The keeper's keypair from a file: a Solana keypair file (a JSON array of 64 bytes) or the localnet's
 * bootstrap file (its `keeperKeypair`). Never logged.
 */
export function loadKeeperKeypair(path: string): Keypair {
  return loadKeypair(path, 'keeperKeypair');
}

/** The program admin's keypair (market pause, parameters), from a keypair file or the localnet's bootstrap file. */
export function loadAdminKeypair(path: string): Keypair {
  return loadKeypair(path, 'adminKeypair');
}

function loadKeypair(path: string, field: 'keeperKeypair' | 'adminKeypair'): Keypair {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as number[] | Partial<Record<typeof field, number[]>>;
  const bytes = Array.isArray(parsed) ? parsed : parsed[field];
  if (!bytes || bytes.length !== 64)
    throw new Error(`${path} holds no 64-byte ${field === 'keeperKeypair' ? 'keeper' : 'admin'} keypair`);
  return Keypair.fromSecretKey(Uint8Array.from(bytes));
}
