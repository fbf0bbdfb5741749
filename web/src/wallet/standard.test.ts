import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519';
import { Keypair, PublicKey, SystemProgram, Transaction } from '@solana/web3.js';
import type { Wallet } from '@wallet-standard/base';
import { connectStandard } from './standard';

/** A Wallet Standard wallet backed by a keypair, as a browser extension would register it. */
function keypairWallet(keypair: Keypair): Wallet {
  const account = {
    address: keypair.publicKey.toBase58(),
    publicKey: keypair.publicKey.toBytes(),
    chains: ['solana:localnet'] as const,
    features: ['solana:signMessage', 'solana:signTransaction'] as const,
  };
  return {
    version: '1.0.0',
    name: 'Test Wallet',
    icon: 'data:image/svg+xml;base64,',
    chains: ['solana:localnet'],
    accounts: [account],
    features: {
      'standard:connect': { version: '1.0.0', connect: async () => ({ accounts: [account] }) },
      'solana:signMessage': {
        version: '1.0.0',
        signMessage: async ({ message }: { message: Uint8Array }) => [
          { signedMessage: message, signature: ed25519.sign(message, keypair.secretKey.subarray(0, 32)) },
        ],
      },
      'solana:signTransaction': {
        version: '1.0.0',
        supportedTransactionVersions: ['legacy'],
        signTransaction: async ({ transaction }: { transaction: Uint8Array }) => {
          const tx = Transaction.from(transaction);
          tx.partialSign(keypair);
          return [{ signedTransaction: tx.serialize() }];
        },
      },
    },
  } as unknown as Wallet;
}

describe('Wallet Standard adapter', () => {
  it("connects, signs the sign-in message and signs a transaction with the wallet's key", async () => {
    const keypair = Keypair.generate();
    const wallet = await connectStandard(keypairWallet(keypair));
    expect(wallet.publicKey).toBe(keypair.publicKey.toBase58());
    const message = new TextEncoder().encode('localhost:3001 wants you to sign in with your Solana account');
    expect(ed25519.verify(await wallet.signMessage(message), message, keypair.publicKey.toBytes())).toBe(true);
    const tx = new Transaction({
      feePayer: keypair.publicKey,
      recentBlockhash: new PublicKey(new Uint8Array(32).fill(7)).toBase58(),
    }).add(
      SystemProgram.transfer({ fromPubkey: keypair.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 }),
    );
    const signed = await wallet.signTransaction(tx);
    expect(signed.verifySignatures()).toBe(true);
  });
});
