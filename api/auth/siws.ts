import { ed25519 } from '@noble/curves/ed25519';
import { PublicKey } from '@solana/web3.js';

/**
 * Sign-In With Solana: the text a wallet signs (its signMessage, ed25519) to prove it holds the key.
 * Same fields and order as the SIWS/EIP-4361 message, so wallets show a familiar prompt.
 */
export interface SignInRequest {
  domain: string;
  wallet: string;
  uri: string;
  nonce: string;
  issuedAt: string;
  expirationTime: string;
}

export const SIGN_IN_STATEMENT = 'Sign in to QuantDesk. This request costs nothing and moves no funds.';

export function signInMessage(r: SignInRequest): string {
  return [
    `${r.domain} wants you to sign in with your Solana account:`,
    r.wallet,
    '',
    SIGN_IN_STATEMENT,
    '',
    `URI: ${r.uri}`,
    'Version: 1',
    'Chain ID: localnet',
    `Nonce: ${r.nonce}`,
    `Issued At: ${r.issuedAt}`,
    `Expiration Time: ${r.expirationTime}`,
  ].join('\n');
}

/** True when `signature` (64 bytes) is the wallet's ed25519 signature of exactly `message`. */
export function verifySignIn(message: string, signature: Uint8Array, wallet: string): boolean {
  if (signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, new TextEncoder().encode(message), new PublicKey(wallet).toBytes());
  } catch {
    return false;
  }
}
