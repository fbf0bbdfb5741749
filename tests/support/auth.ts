import { ed25519 } from '@noble/curves/ed25519';
import type { Keypair } from '@solana/web3.js';

const tokens = new Map<string, Promise<string>>();

/** Sign-In With Solana as the terminal does it: ask for the message, sign it with the wallet, get a bearer token. */
export async function signIn(apiUrl: string, wallet: Keypair): Promise<string> {
  const nonceRes = await fetch(`${apiUrl}/v1/auth/nonce`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ wallet: wallet.publicKey.toBase58() }),
  });
  if (nonceRes.status !== 201) throw new Error(`nonce: ${nonceRes.status} ${await nonceRes.text()}`);
  const { nonce, message } = (await nonceRes.json()) as { nonce: string; message: string };
  const signature = Buffer.from(
    ed25519.sign(new TextEncoder().encode(message), wallet.secretKey.subarray(0, 32)),
  ).toString('base64');
  const res = await fetch(`${apiUrl}/v1/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, signature }),
  });
  if (res.status !== 201) throw new Error(`session: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The wallet's session token for this API, signed in once per test process. */
export function tokenOf(apiUrl: string, wallet: Keypair): Promise<string> {
  const key = `${apiUrl}|${wallet.publicKey.toBase58()}`;
  let token = tokens.get(key);
  if (!token) {
    token = signIn(apiUrl, wallet);
    tokens.set(key, token);
  }
  return token;
}

/** A request to the API in the wallet's session; an object body is sent as JSON, a string as it is. */
export async function asWallet(
  apiUrl: string,
  wallet: Keypair,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${await tokenOf(apiUrl, wallet)}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${apiUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
}
