import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519';
import { Keypair } from '@solana/web3.js';
import { startHarness, type Harness } from '../support/harness';
import { asWallet, signIn } from '../support/auth';

let h: Harness;
let limited: Harness;
const operator = Keypair.generate();
const trader = Keypair.generate();

beforeAll(async () => {
  h = await startHarness({ QD_OPERATOR_WALLETS: operator.publicKey.toBase58() }, { worker: false });
  limited = await startHarness({ QD_RATE_LIMIT_PER_MINUTE: '5' }, { worker: false });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await limited?.close();
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const sign = (message: string, wallet: Keypair) =>
  Buffer.from(ed25519.sign(new TextEncoder().encode(message), wallet.secretKey.subarray(0, 32))).toString('base64');

describe('Sign-In With Solana', () => {
  it('gives a short-lived session for a signed nonce, once per nonce', async () => {
    const nonceRes = await post(`${h.apiUrl}/v1/auth/nonce`, { wallet: trader.publicKey.toBase58() });
    expect(nonceRes.status).toBe(201);
    const { nonce, message } = (await nonceRes.json()) as { nonce: string; message: string };
    expect(message).toContain(trader.publicKey.toBase58());
    expect(message).toContain(`Nonce: ${nonce}`);
    const res = await post(`${h.apiUrl}/v1/auth/session`, { nonce, signature: sign(message, trader) });
    expect(res.status).toBe(201);
    const session = (await res.json()) as { token: string; wallet: string; roles: string[]; expiresAt: string };
    expect(session).toMatchObject({ wallet: trader.publicKey.toBase58(), roles: ['trader'] });
    expect(Date.parse(session.expiresAt) - Date.now()).toBeLessThanOrEqual(900_000);
    // The store keeps only the token's hash.
    expect(await h.redis.keys(`${h.config.streamPrefix}:auth:session:${session.token}`)).toEqual([]);

    const me = await fetch(`${h.apiUrl}/v1/auth/session`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(await me.json()).toMatchObject({ wallet: trader.publicKey.toBase58(), roles: ['trader'] });
    const replay = await post(`${h.apiUrl}/v1/auth/session`, { nonce, signature: sign(message, trader) });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('invalid_nonce');

    const out = await fetch(`${h.apiUrl}/v1/auth/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(out.status).toBe(204);
    const after = await fetch(`${h.apiUrl}/v1/auth/session`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('session_expired');
  });

  it('refuses a signature by another key, a tampered message and malformed input', async () => {
    const { nonce, message } = (await (
      await post(`${h.apiUrl}/v1/auth/nonce`, { wallet: trader.publicKey.toBase58() })
    ).json()) as { nonce: string; message: string };
    const wrong = await post(`${h.apiUrl}/v1/auth/session`, { nonce, signature: sign(message, Keypair.generate()) });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    const { nonce: n2, message: m2 } = (await (
      await post(`${h.apiUrl}/v1/auth/nonce`, { wallet: trader.publicKey.toBase58() })
    ).json()) as { nonce: string; message: string };
    expect(
      (
        await post(`${h.apiUrl}/v1/auth/session`, {
          nonce: n2,
          signature: sign(m2.replace('localnet', 'mainnet'), trader),
        })
      ).status,
    ).toBe(401);
    for (const bad of [
      {},
      { wallet: 'not-a-key' },
      { wallet: trader.publicKey.toBase58(), extra: 1 },
      { wallet: 42 },
    ]) {
      expect((await post(`${h.apiUrl}/v1/auth/nonce`, bad)).status).toBe(400);
    }
    for (const bad of [
      { nonce: 'x', signature: 'y' },
      { nonce: n2 },
      { nonce: n2, signature: Buffer.alloc(63).toString('base64') },
    ]) {
      expect((await post(`${h.apiUrl}/v1/auth/session`, bad)).status).toBe(400);
    }
  });

  it('gates writes by session and wallet, and operator routes by role', async () => {
    const order = { order: { user: trader.publicKey.toBase58() }, authority: trader.publicKey.toBase58() };
    const anonymous = await post(`${h.apiUrl}/v1/orders`, order);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    expect((await post(`${h.apiUrl}/v1/deposits`, { signedTransaction: 'AA==' })).status).toBe(401);
    expect((await post(`${h.apiUrl}/v1/withdrawals`, { signedTransaction: 'AA==', requestId: 'r1' })).status).toBe(401);

    expect((await asWallet(h.apiUrl, trader, '/v1/admin/workflows')).status).toBe(403);
    const listed = await asWallet(h.apiUrl, operator, '/v1/admin/workflows?limit=5');
    expect(listed.status).toBe(200);
    expect(await (await asWallet(h.apiUrl, operator, '/v1/auth/session')).json()).toMatchObject({
      roles: ['trader', 'operator'],
    });
    expect((await fetch(`${h.apiUrl}/v1/admin/workflows`)).status).toBe(401);
  });

  it('limits each wallet in its own bucket and anonymous clients by their (forwarded) address, with Retry-After', async () => {
    // One fixed window for the whole test: start early in a minute.
    if (Date.now() % 60_000 > 45_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 100));
    const token = await signIn(limited.apiUrl, trader); // 2 anonymous requests from this address
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${limited.apiUrl}/v1/auth/session`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another wallet from the same address is not starved by the busy one.
    const other = await signIn(limited.apiUrl, Keypair.generate()); // 2 more from this address: 4 of 5
    expect(
      (await fetch(`${limited.apiUrl}/v1/auth/session`, { headers: { authorization: `Bearer ${other}` } })).status,
    ).toBe(200);
    // Behind a trusted proxy (loopback here), each forwarded client has its own bucket.
    const anonymous = (client: string) =>
      fetch(`${limited.apiUrl}/v1/markets`, { headers: { 'x-forwarded-for': client } }).then((r) => r.status);
    const busy: number[] = [];
    for (let i = 0; i < 6; i++) busy.push(await anonymous('203.0.113.7'));
    expect(busy).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await anonymous('203.0.113.8')).toBe(200);
    expect((await fetch(`${limited.apiUrl}/health`)).status).not.toBe(429); // health is never limited
  });
});
