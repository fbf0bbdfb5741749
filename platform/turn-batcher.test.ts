import { describe, expect, it } from 'vitest';
import { turnBatcher } from './turn-batcher';

describe('turnBatcher', () => {
  it('answers the calls of one turn with one flush, each with its own answer', async () => {
    const flushes: number[][] = [];
    const double = turnBatcher(async (items: number[]) => {
      flushes.push([...items]);
      return items.map((i) => i * 2);
    });
    expect(await Promise.all([double(1), double(2), double(3)])).toEqual([2, 4, 6]);
    expect(await double(4)).toBe(8);
    expect(flushes).toEqual([[1, 2, 3], [4]]);
  });

  it('starts another flush past `max` items, and fails every call of a failed flush', async () => {
    const sizes: number[] = [];
    const echo = turnBatcher(async (items: string[]) => {
      sizes.push(items.length);
      if (items.includes('bad')) throw new Error('refused');
      return items;
    }, 2);
    expect(await Promise.all(['a', 'b', 'c'].map(echo))).toEqual(['a', 'b', 'c']);
    expect(sizes).toEqual([2, 1]);
    const results = await Promise.allSettled([echo('x'), echo('bad')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('refuses a flush that answers the wrong number of items', async () => {
    const short = turnBatcher(async (items: number[]) => items.slice(1));
    await expect(Promise.all([short(1), short(2)])).rejects.toThrow(/2 got 1 answers/);
  });
});
