import { describe, expect, it } from 'vitest';
import { isTriggered } from './orders';

const P = 100n;
describe('order triggers', () => {
  it.each([
    ['limit', 1n, 99n, true],
    ['limit', 1n, 101n, false],
    ['limit', -1n, 101n, true],
    ['limit', -1n, 99n, false],
    ['stop', 1n, 101n, true],
    ['stop', 1n, 99n, false],
    ['stop', -1n, 99n, true],
    ['stop', -1n, 101n, false],
    ['take_profit', -1n, 101n, true],
    ['take_profit', -1n, 99n, false],
    ['take_profit', 1n, 99n, true],
    ['stop_loss', -1n, 99n, true],
    ['stop_loss', -1n, 101n, false],
    ['stop_loss', 1n, 101n, true],
    ['market', 1n, 1n, true],
  ] as const)('%s with size %s at price %s triggers: %s', (kind, size, price, expected) => {
    expect(isTriggered(kind, size, P, price)).toBe(expected);
  });

  it('fires exactly at the trigger price', () => {
    expect(isTriggered('limit', 1n, P, P)).toBe(true);
    expect(isTriggered('stop_loss', -1n, P, P)).toBe(true);
  });
});
