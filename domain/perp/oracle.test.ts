import { describe, expect, it } from 'vitest';
import { toPricePrecision } from './oracle';

describe('toPricePrecision', () => {
  it('scales Pyth components to 1e-6 with prices rounded down and confidence up', () => {
    expect(toPricePrecision(15_012_345_678n, -8, 'down')).toBe(150_123_456n);
    expect(toPricePrecision(15_012_345_678n, -8, 'up')).toBe(150_123_457n);
    expect(toPricePrecision(15_000_000_000n, -8, 'up')).toBe(150_000_000n);
    expect(toPricePrecision(42n, -5, 'down')).toBe(420n);
    expect(toPricePrecision(-15n, -7, 'down')).toBe(-2n);
  });
});
