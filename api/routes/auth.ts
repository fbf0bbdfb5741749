import { Router } from 'express';
import { z } from 'zod';
import { signInMessage, verifySignIn } from '../auth/siws';
import { rolesOf, type SessionStore } from '../auth/sessions';
import { requireSession } from '../auth/middleware';
import { HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';
import { base58Key, base64Of } from '../schemas';
import type { RouteSpec } from '../openapi';

export const nonceBody = z.object({ wallet: base58Key }).strict();
export const sessionBody = z
  .object({
    nonce: z.string().regex(/^[0-9a-f]{32}$/, 'the nonce from POST /v1/auth/nonce'),
    signature: base64Of(64, "the wallet's ed25519 signature of the message"),
  })
  .strict();

/**
 * Sign-In With Solana. POST /v1/auth/nonce gives the message to sign; POST /v1/auth/session exchanges the
 * wallet's signature for a short-lived bearer token; GET shows it; DELETE ends it.
 */
export function createAuthRouter(deps: ApiDeps, sessions: SessionStore): Router {
  const router = Router();
  const api = deps.config.api;
  router.post('/v1/auth/nonce', async (req, res) => {
    const { wallet } = parseInput(nonceBody, req.body, 'body');
    const nonce = sessions.newNonce();
    const now = Date.now();
    const expiresAt = new Date(now + 5 * 60_000).toISOString();
    const message = signInMessage({
      domain: api.siwsDomain,
      wallet,
      uri: `http://${api.siwsDomain}`,
      nonce,
      issuedAt: new Date(now).toISOString(),
      expirationTime: expiresAt,
    });
    await sessions.savePending(nonce, { wallet, message });
    res.status(201).json({ nonce, message, expiresAt });
  });
  router.post('/v1/auth/session', async (req, res) => {
    const { nonce, signature } = parseInput(sessionBody, req.body, 'body');
    const pending = await sessions.takePending(nonce);
    if (!pending) throw new HttpError(401, 'invalid_nonce', 'unknown, used or expired nonce; ask for a new one');
    if (!verifySignIn(pending.message, Buffer.from(signature, 'base64'), pending.wallet)) {
      throw new HttpError(
        401,
        'invalid_signature',
        "the signature is not the wallet's signature of the sign-in message",
      );
    }
    const expiresAt = new Date(Date.now() + api.sessionTtlSeconds * 1000).toISOString();
    const session = { wallet: pending.wallet, roles: rolesOf(pending.wallet, api.roleWallets), expiresAt };
    const token = await sessions.create(session, api.sessionTtlSeconds);
    res.status(201).json({ token, ...session });
  });
  router.get('/v1/auth/session', (_req, res) => {
    res.json(requireSession(res));
  });
  router.delete('/v1/auth/session', async (_req, res) => {
    requireSession(res);
    await sessions.end(String(res.locals.token));
    res.status(204).end();
  });
  return router;
}

export const authRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/auth/nonce',
    summary: 'Start Sign-In With Solana: the message the wallet signs',
    auth: 'public',
    body: nonceBody,
    responses: { 201: 'nonce and message (valid five minutes, once)', 400: 'invalid input', 429: 'rate limited' },
  },
  {
    method: 'post',
    path: '/v1/auth/session',
    summary: 'Exchange the signed message for a bearer token',
    auth: 'public',
    body: sessionBody,
    responses: {
      201: 'token, wallet, roles and expiry',
      400: 'invalid input',
      401: 'unknown nonce or wrong signature',
      429: 'rate limited',
    },
  },
  {
    method: 'get',
    path: '/v1/auth/session',
    summary: 'The current session',
    auth: 'session',
    responses: { 200: 'wallet, roles and expiry', 401: 'not signed in', 429: 'rate limited' },
  },
  {
    method: 'delete',
    path: '/v1/auth/session',
    summary: 'Sign out',
    auth: 'session',
    responses: { 204: 'ended', 401: 'not signed in', 429: 'rate limited' },
  },
];
