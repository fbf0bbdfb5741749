import { getWallets } from '@wallet-standard/app';
import type { Wallet, WalletAccount } from '@wallet-standard/base';
import {
  StandardConnect,
  type StandardConnectFeature,
  StandardDisconnect,
  type StandardDisconnectFeature,
} from '@wallet-standard/features';
import {
  SolanaSignMessage,
  type SolanaSignMessageFeature,
  SolanaSignTransaction,
  type SolanaSignTransactionFeature,
} from '@solana/wallet-standard-features';
import { PublicKey, Transaction } from '@solana/web3.js';
import type { TerminalWallet } from './types';

type Features = StandardConnectFeature &
  SolanaSignMessageFeature &
  SolanaSignTransactionFeature &
  Partial<StandardDisconnectFeature>;

const usable = (w: Wallet): boolean =>
  StandardConnect in w.features &&
  SolanaSignMessage in w.features &&
  SolanaSignTransaction in w.features &&
  w.chains.some((c) => c.startsWith('solana:'));

/** Wallet Standard wallets the browser has registered (Phantom, Solflare, Backpack...), able to sign messages and transactions. */
export function standardWallets(): Wallet[] {
  return getWallets().get().filter(usable);
}

/** Connects a Wallet Standard wallet and adapts it to what the terminal needs. */
export async function connectStandard(wallet: Wallet): Promise<TerminalWallet> {
  const features = wallet.features as unknown as Features;
  const { accounts } = await features[StandardConnect].connect();
  const account: WalletAccount | undefined = accounts[0];
  if (!account) throw new Error(`${wallet.name} shared no account`);
  const chain = (account.chains.find((c) => c.startsWith('solana:')) ?? 'solana:localnet') as `${string}:${string}`;
  return {
    name: wallet.name,
    publicKey: new PublicKey(account.publicKey).toBase58(),
    async signMessage(message) {
      const [out] = await features[SolanaSignMessage].signMessage({ account, message });
      return out!.signature;
    },
    async signTransaction(tx) {
      const [out] = await features[SolanaSignTransaction].signTransaction({
        account,
        chain,
        transaction: tx.serialize({ requireAllSignatures: false, verifySignatures: false }),
      });
      return Transaction.from(out!.signedTransaction);
    },
    async disconnect() {
      await features[StandardDisconnect]?.disconnect();
    },
  };
}
