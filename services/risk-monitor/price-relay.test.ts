import { describe, expect, it } from 'vitest';
import { PriceRelayLane } from './price-relay';

describe('PriceRelayLane', () => {
  it('relays only the latest price of each market once it falls behind', async () => {
    const seen: [number, bigint][] = [];
    let unblock!: () => void;
    const first = new Promise<void>((r) => (unblock = r));
    const lane = new PriceRelayLane(async (market, price) => {
      seen.push([market, price]);
      if (seen.length === 1) await first; // the first relay is slow
      return 1;
    });
    lane.offer(0, 100n);
    for (const p of [101n, 102n, 103n]) lane.offer(0, p);
    lane.offer(1, 7n);
    unblock();
    await lane.idle();
    expect(seen).toEqual([[0, 100n], [0, 103n], [1, 7n]]);
    expect(lane.told).toBe(3);
  });

  it('holds between signals while liquidations start, and counts a failed relay without stopping', async () => {
    const order: string[] = [];
    let liquidationsDone!: () => void;
    const liquidations = new Promise<void>((r) => (liquidationsDone = r));
    const lane = new PriceRelayLane(async (_market, price, yieldTo) => {
      if (price === 1n) throw new Error('temporal unavailable');
      for (let i = 0; i < 3; i++) {
        await yieldTo();
        order.push(`signal-${i}`);
      }
      return 3;
    });
    lane.offer(0, 1n);
    await lane.idle();
    expect(lane.failures).toBe(1);
    const starting = lane.holding(async () => {
      lane.offer(0, 2n);
      await new Promise((r) => setTimeout(r, 20));
      order.push('liquidations started');
      await liquidations;
    });
    liquidationsDone();
    await starting;
    await lane.idle();
    expect(order).toEqual(['liquidations started', 'signal-0', 'signal-1', 'signal-2']);
  });
});

describe('PriceRelayLane pace', () => {
  it('sends at most the given signals per second on its clock', async () => {
    let clock = 0;
    const sentAt: number[] = [];
    const lane = new PriceRelayLane(async (_market, _price, yieldTo) => {
      for (let i = 0; i < 5; i++) {
        await yieldTo();
        sentAt.push(clock);
      }
      return 5;
    }, { signalsPerSecond: 100, now: () => clock, sleep: async (ms) => void (clock += ms) });
    lane.offer(0, 1n);
    await lane.idle();
    expect(sentAt).toEqual([0, 10, 20, 30, 40]);
  });
});
