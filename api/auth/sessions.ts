import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export const ROLES = ['trader', 'operator', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export interface Session {
  wallet: string;
  roles: Role[];
  /** ISO-8601. */
  expiresAt: string;
}

export interface PendingSignIn {
  wallet: string;
  message: string;
}

/** Every wallet trades; configured wallets also operate, administer (which includes operating) or audit. */
export function rolesOf(
  wallet: string,
  roleWallets: { operator: string[]; admin: string[]; auditor: string[] },
): Role[] {
  const roles: Role[] = ['trader'];
  if (roleWallets.operator.includes(wallet) || roleWallets.admin.includes(wallet)) roles.push('operator');
  if (roleWallets.admin.includes(wallet)) roles.push('admin');
  if (roleWallets.auditor.includes(wallet)) roles.push('auditor');
  return roles;
}

const NONCE_TTL_SECONDS = 300;
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Sign-in nonces (single use, five minutes) and sessions in Redis. A session is found by the SHA-256 of
 * its bearer token, so the store never holds a usable token.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  newNonce(): string {
    return randomBytes(16).toString('hex');
  }

  async savePending(nonce: string, pending: PendingSignIn): Promise<void> {
    await this.redis.set(`${this.prefix}:auth:nonce:${nonce}`, JSON.stringify(pending), 'EX', NONCE_TTL_SECONDS);
  }

  /** The pending sign-in for a nonce, removed as it is read: a nonce signs in once. */
  async takePending(nonce: string): Promise<PendingSignIn | null> {
    const raw = await this.redis.getdel(`${this.prefix}:auth:nonce:${nonce}`);
    return raw ? (JSON.parse(raw) as PendingSignIn) : null;
  }

  async create(session: Session, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(`${this.prefix}:auth:session:${hashOf(token)}`, JSON.stringify(session), 'EX', ttlSeconds);
    return token;
  }

  async find(token: string): Promise<Session | null> {
    const raw = await this.redis.get(`${this.prefix}:auth:session:${hashOf(token)}`);
    return raw ? (JSON.parse(raw) as Session) : null;
  }

  async end(token: string): Promise<void> {
    await this.redis.del(`${this.prefix}:auth:session:${hashOf(token)}`);
  }
}
