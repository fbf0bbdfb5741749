import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { evaluate, generateVectors, type VectorFile } from './vectors';

const committed = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as VectorFile;

describe('shared perp test vectors (also run by cargo test against the Rust math)', () => {
  it('has at least 300 cases over every formula', () => {
    expect(committed.cases.length).toBeGreaterThanOrEqual(300);
    expect(new Set(committed.cases.map((c) => c.fn)).size).toBeGreaterThanOrEqual(15);
  });

  it('is up to date with the TypeScript math (regenerate with npm run vectors)', () => {
    expect(JSON.stringify(generateVectors(committed.seed))).toBe(JSON.stringify(committed));
  });

  it('covers every outcome of the pre-trade rule (each refusal, and fills that add and that reduce risk)', () => {
    const outcomes = new Set(
      committed.cases
        .filter((c) => c.fn === 'plan_fill')
        .map((c) => (c.expected[0] === 'ok' ? `ok:${c.expected[2]}` : c.expected[0])),
    );
    expect([...outcomes].sort()).toEqual([
      'MarketPaused',
      'MaxOpenInterest',
      'OracleLowConfidence',
      'OracleNonPositive',
      'OracleStale',
      'OracleTwapDeviation',
      'ReduceOnlyViolated',
      'SlippageExceeded',
      'ok:0',
      'ok:1',
    ]);
    // A risk-reducing fill goes through a TWAP deviation that refuses a risk-increasing one.
    const tolerated = committed.cases
      .filter((c) => c.fn === 'plan_fill' && c.expected[0] === 'ok' && c.expected[2] === '0')
      .some((c) => {
        const [price, twap] = [BigInt(c.args[4]!), BigInt(c.args[8]!)];
        return (price > twap ? price - twap : twap - price) * 10_000n > twap * 1_000n;
      });
    expect(tolerated).toBe(true);
  });

  it('evaluates every case to its expected value', () => {
    const mismatches = committed.cases.filter((c) => JSON.stringify(evaluate(c)) !== JSON.stringify(c.expected));
    expect(mismatches).toEqual([]);
  });
});
