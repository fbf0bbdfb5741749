import { PublicKey } from '@solana/web3.js';
import { z } from 'zod';

/** Request schemas shared by routes (and by the OpenAPI document generated from them). */

export const base58Key = z
  .string()
  .regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, 'a base58 public key')
  .refine((v) => {
    try {
      return new PublicKey(v).toBase58() === v;
    } catch {
      return false;
    }
  }, 'a base58 public key');

export const I64 = (1n << 63n) - 1n;

/** The integer a decimal string holds, or null (zod runs every check, so refinements see malformed input too). */
export function bigOrNull(v: string): bigint | null {
  if (!/^-?[0-9]{1,20}$/.test(v)) return null;
  return BigInt(v);
}

/** An integer as a decimal string within ±max (amounts and prices never travel as JSON numbers). */
export const intString = (max: bigint = I64) =>
  z
    .string()
    .regex(/^-?[0-9]{1,20}$/, 'an integer as a decimal string')
    .refine((v) => {
      const b = bigOrNull(v);
      return b === null || (b >= -max && b <= max);
    }, 'out of range');

/** A signed integer string that `test` accepts (malformed ones are refused by the format check alone). */
export const intStringWhere = (test: (b: bigint) => boolean, message: string, max: bigint = I64) =>
  intString(max).refine((v) => {
    const b = bigOrNull(v);
    return b === null || test(b);
  }, message);

export const positiveIntString = (max: bigint = I64) => intStringWhere((b) => b > 0n, 'must be positive', max);

/** Base64 of exactly `bytes` bytes. */
export const base64Of = (bytes: number, what: string) => {
  const chars = Math.ceil(bytes / 3) * 4;
  return z
    .string()
    .length(chars, `${what}: base64 of ${bytes} bytes`)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, `${what}: base64`)
    .refine((v) => Buffer.from(v, 'base64').length === bytes, `${what}: base64 of ${bytes} bytes`);
};
