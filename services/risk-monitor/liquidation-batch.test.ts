import { describe, expect, it } from 'vitest';
import { liquidationBatchDigest } from './risk-monitor';

describe('liquidationBatchDigest', () => {
  const a = { account: 'A1111111111111111111111111111111111111111111', seq: '1' };
  const b = { account: 'B1111111111111111111111111111111111111111111', seq: '3' };

  it('names a set of (account, episode) pairs whatever their order', () => {
    expect(liquidationBatchDigest([a, b])).toBe(liquidationBatchDigest([b, a]));
    expect(liquidationBatchDigest([a, b])).toMatch(/^[0-9a-f]{20}$/);
  });

  it('tells apart another episode of the same account and another set', () => {
    const digests = new Set(
      [[a], [b], [a, b], [{ ...a, seq: '2' }], [{ ...a, seq: '2' }, b]].map(liquidationBatchDigest),
    );
    expect(digests.size).toBe(5);
  });
});
