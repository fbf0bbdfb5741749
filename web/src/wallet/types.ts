import type { Transaction } from '@solana/web3.js';

/** What the terminal needs from a wallet: its key, message signing (sign-in, orders), transaction signing. */
export interface TerminalWallet {
  name: string;
  publicKey: string;
  signMessage(message: Uint8Array): Promise<Uint8Array>;
  signTransaction(tx: Transaction): Promise<Transaction>;
  disconnect?(): Promise<void>;
}
