import { describe, expect, it } from 'vitest';
import { fixed, parseDecimal } from './format';

describe('terminal number formatting', () => {
  it('shows fixed-point integers without floats', () => {
    expect(fixed(150_123_456n, 6)).toBe('150.12');
    expect(fixed(-1_500_000n, 6)).toBe('-1.50');
    expect(fixed('123456789012345678', 9, 3)).toBe('123,456,789.012');
    expect(fixed(null, 6)).toBe('—');
  });

  it('parses what a trader types into exact integers', () => {
    expect(parseDecimal('12.5', 9)).toBe(12_500_000_000n);
    expect(parseDecimal('0.000000001', 9)).toBe(1n);
    expect(parseDecimal('-3', 6)).toBe(-3_000_000n);
    expect(parseDecimal('.25', 6)).toBe(250_000n);
    for (const bad of ['', 'abc', '1.2.3', '1e5', ' - ']) expect(parseDecimal(bad, 6)).toBeNull();
  });
});
