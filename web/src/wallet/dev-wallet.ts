import { Keypair, type Transaction } from '@solana/web3.js';
import { ed25519 } from '@noble/curves/ed25519';
import type { TerminalWallet } from './types';

const KEY = 'qd.devWallet';

/**
 * A local keypair for development and tests (never for real funds): kept in this browser's
 * localStorage, so every window of the terminal signs with the same key.
 */
export function devWallet(): TerminalWallet {
  const stored = localStorage.getItem(KEY);
  const keypair = stored ? Keypair.fromSecretKey(Uint8Array.from(JSON.parse(stored) as number[])) : Keypair.generate();
  if (!stored) localStorage.setItem(KEY, JSON.stringify(Array.from(keypair.secretKey)));
  return {
    name: 'Dev wallet (local keypair)',
    publicKey: keypair.publicKey.toBase58(),
    signMessage: async (message) => ed25519.sign(message, keypair.secretKey.subarray(0, 32)),
    signTransaction: async (tx: Transaction) => {
      tx.partialSign(keypair);
      return tx;
    },
  };
}

export function forgetDevWallet(): void {
  localStorage.removeItem(KEY);
}
