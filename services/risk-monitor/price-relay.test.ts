import { describe, expect, it } from 'vitest';
import { PriceRelayLane, type Tell } from './price-relay';
import type { RestingOrder } from './trigger-index';

const order = (id: string): RestingOrder => ({
  id,
  marketIndex: 0,
  side: 'at_or_below',
  triggerPrice: 100n,
  version: '1',
});
const tells = (...ids: string[]): Tell[] => ids.map((id) => ({ order: order(id), price: 99n }));

describe('PriceRelayLane', () => {
  it('tells every crossed order once, in order, and hands back the tells that failed', async () => {
    const seen: string[] = [];
    const failed: string[] = [];
    const lane = new PriceRelayLane(
      async ({ order: o }) => {
        seen.push(o.id);
        if (o.id === 'b') throw new Error('temporal unavailable');
        return o.id === 'c' ? 'gone' : 'told';
      },
      (t) => failed.push(t.order.id),
    );
    lane.enqueue(tells('a', 'b'));
    lane.enqueue(tells('c', 'd'));
    await lane.idle();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(failed).toEqual(['b']);
    expect([lane.told, lane.gone, lane.failures]).toEqual([2, 1, 1]);
  });

  it('holds between signals while liquidations start', async () => {
    const events: string[] = [];
    let liquidationsDone!: () => void;
    const liquidations = new Promise<void>((r) => (liquidationsDone = r));
    const lane = new PriceRelayLane(async ({ order: o }) => {
      events.push(`signal-${o.id}`);
      return 'told';
    });
    const starting = lane.holding(async () => {
      lane.enqueue(tells('0', '1', '2'));
      await new Promise((r) => setTimeout(r, 20));
      events.push('liquidations started');
      await liquidations;
    });
    liquidationsDone();
    await starting;
    await lane.idle();
    expect(events).toEqual(['liquidations started', 'signal-0', 'signal-1', 'signal-2']);
  });
});

describe('PriceRelayLane pace', () => {
  it('sends at most the given signals per second on its clock', async () => {
    let clock = 0;
    const sentAt: number[] = [];
    const lane = new PriceRelayLane(
      async () => {
        sentAt.push(clock);
        return 'told';
      },
      undefined,
      { signalsPerSecond: 100, now: () => clock, sleep: async (ms) => void (clock += ms) },
    );
    lane.enqueue(tells('a', 'b', 'c', 'd', 'e'));
    await lane.idle();
    expect(sentAt).toEqual([0, 10, 20, 30, 40]);
  });
});
