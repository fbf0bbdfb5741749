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

  it('evaluates every case to its expected value', () => {
    const mismatches = committed.cases.filter((c) => JSON.stringify(evaluate(c)) !== JSON.stringify(c.expected));
    expect(mismatches).toEqual([]);
  });
});
