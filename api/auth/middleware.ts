import type { Request, RequestHandler, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { PublicKey } from '@solana/web3.js';
import { subAccountIdOf } from '../../solana/user-transaction';
import { HttpError } from '../http-error';
import type { Role, Session, SessionStore } from './sessions';

const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;

/**
 * Reads `Authorization: Bearer <token>` into res.locals.session. A bearer that is no live session (an
 * expired one, or the operators' service token) leaves the request anonymous: routes that need a
 * session answer 401 themselves.
 */
export function readSession(store: SessionStore): RequestHandler {
  return (req, res, next) => {
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) return next();
    store.find(match[1]!).then((session) => {
      if (session) {
        res.locals.session = session;
        res.locals.token = match[1];
      } else {
        res.locals.sessionExpired = true;
      }
      next();
    }, next);
  };
}

export function sessionOf(res: Response): Session | null {
  return (res.locals.session as Session | undefined) ?? null;
}

/** The signed-in session, or a 401. */
export function requireSession(res: Response): Session {
  const session = sessionOf(res);
  if (!session) {
    if (res.locals.sessionExpired)
      throw new HttpError(401, 'session_expired', 'the session has expired or was ended; sign in again');
    throw new HttpError(
      401,
      'unauthenticated',
      'sign in with your wallet first (POST /v1/auth/nonce, then /v1/auth/session)',
    );
  }
  return session;
}

/** The session acting for `wallet` (its own), or a 401/403. */
export function requireWallet(res: Response, wallet: string): Session {
  const session = requireSession(res);
  if (session.wallet !== wallet)
    throw new HttpError(403, 'forbidden', 'the request acts for another wallet than the one signed in');
  return session;
}

export function requireRole(res: Response, role: Role): Session {
  const session = requireSession(res);
  if (!session.roles.includes(role)) throw new HttpError(403, 'forbidden', `this needs the ${role} role`);
  return session;
}

/** True when `account` is one of the wallet's sub-accounts (its User PDAs 0-255; derived once per wallet). */
export function ownsSubAccount(wallet: string, account: string | undefined): boolean {
  if (!account) return false;
  let authority: PublicKey;
  try {
    authority = new PublicKey(wallet);
  } catch {
    return false;
  }
  return subAccountIdOf(authority, account) !== null;
}

/** The session, when `account` is one of its wallet's sub-accounts; otherwise a 401/403. */
export function requireOwnAccount(res: Response, account: string, what = 'sub-account'): Session {
  const session = requireSession(res);
  if (!ownsSubAccount(session.wallet, account)) throw new HttpError(403, 'forbidden', `another wallet's ${what}`);
  return session;
}

/** An operator's session (sign-in with a wallet in QD_OPERATOR_WALLETS / QD_ADMIN_WALLETS) or the service token. */
export function requireOperator(token: string | null): RequestHandler {
  const expected = token ? Buffer.from(token) : null;
  return (req, res, next) => {
    const session = sessionOf(res);
    if (session)
      return next(
        session.roles.includes('operator')
          ? undefined
          : new HttpError(403, 'forbidden', 'this needs the operator role'),
      );
    if (!expected)
      return next(new HttpError(401, 'unauthenticated', 'sign in with an operator wallet (or use QD_OPERATOR_TOKEN)'));
    if (!bearerIs(req, expected)) return next(new HttpError(401, 'unauthorized', 'operator token required'));
    next();
  };
}

/** Whether the request's bearer token is `expected` (a constant-time comparison). */
export function bearerIs(req: Request, expected: Buffer): boolean {
  const given = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
