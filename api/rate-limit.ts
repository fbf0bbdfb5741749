import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { HttpError } from './http-error';
import { sessionOf } from './auth/middleware';

// INCR and set the window's expiry in one step: counts survive API restarts and are shared by instances.
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

const WINDOW_MS = 60_000;

/**
 * Fixed one-minute windows in Redis: a signed-in wallet has its own bucket (wherever it connects from, and
 * however many others share its address: behind one proxy or NAT, one busy wallet does not starve the
 * rest); anonymous requests (sign-in included, so wallets cannot be minted to escape) count per client
 * address, which behind a trusted proxy is the forwarded one. Over the limit is a 429 with Retry-After.
 */
export function rateLimit(
  redis: Redis,
  prefix: string,
  perMinute: number,
  now: () => number = Date.now,
): RequestHandler {
  return (req, res, next) => {
    const t = now();
    const window = Math.floor(t / WINDOW_MS);
    const wallet = sessionOf(res)?.wallet;
    const key = wallet
      ? `${prefix}:ratelimit:wallet:${wallet}:${window}`
      : `${prefix}:ratelimit:ip:${req.ip ?? 'unknown'}:${window}`;
    (redis.eval(HIT, 1, key, WINDOW_MS) as Promise<number>).then((used) => {
      res.setHeader('RateLimit-Limit', String(perMinute));
      res.setHeader('RateLimit-Remaining', String(Math.max(0, perMinute - used)));
      if (used > perMinute) {
        const retryAfter = Math.ceil(((window + 1) * WINDOW_MS - t) / 1000);
        res.setHeader('Retry-After', String(retryAfter));
        return next(
          new HttpError(429, 'rate_limited', `more than ${perMinute} requests a minute; retry in ${retryAfter} s`),
        );
      }
      next();
    }, next);
  };
}
