import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore';

describe('Semaphore', () => {
  it('runs at most its slots at once, in the order asked, and frees a slot when a task fails', async () => {
    const slots = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates = Array.from({ length: 5 }, () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
    const tasks = gates.map((gate, i) =>
      slots.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await gate.promise;
        running--;
        if (i === 0) throw new Error('first fails');
        return i;
      }),
    );
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    gates[0]!.resolve();
    await expect(tasks[0]).rejects.toThrow('first fails');
    expect(order).toEqual([0, 1, 2]);
    for (const g of gates.slice(1)) g.resolve();
    expect(await Promise.all(tasks.slice(1))).toEqual([1, 2, 3, 4]);
    expect(peak).toBe(2);
  });

  it('refuses a semaphore without slots', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
