import { describe, expect, it } from 'vitest';
import { ORDER_KINDS, isTriggered } from '../../domain/orders';
import { LEGACY_VERSION, TriggerIndex, type OrderRowChange } from './trigger-index';

const row = (
  id: string,
  kind: string,
  baseAmount: bigint,
  triggerPrice: bigint,
  extra: Partial<OrderRowChange> = {},
): OrderRowChange => ({
  id,
  marketIndex: 0,
  kind,
  baseAmount,
  triggerPrice,
  status: 'open',
  changedAt: new Date(1_000),
  ...extra,
});
const ids = (orders: { id: string }[]) => orders.map((o) => o.id);

describe('TriggerIndex', () => {
  it('takes out exactly the orders a price crosses, nearest trigger first, each once', () => {
    const index = new TriggerIndex();
    index.apply(row('buy-limit-95', 'limit', 1n, 95n));
    index.apply(row('buy-limit-90', 'limit', 1n, 90n));
    index.apply(row('sell-stop-80', 'stop_loss', -1n, 80n));
    index.apply(row('sell-tp-110', 'take_profit', -1n, 110n));
    index.apply(row('buy-stop-105', 'stop', 1n, 105n));
    index.apply(row('other-market', 'limit', 1n, 95n, { marketIndex: 1 }));
    expect(index.take(0, 100n)).toEqual([]);
    expect(ids(index.take(0, 92n))).toEqual(['buy-limit-95']);
    expect(index.take(0, 92n)).toEqual([]); // told once
    expect(ids(index.take(0, 79n))).toEqual(['buy-limit-90', 'sell-stop-80']);
    expect(ids(index.take(0, 110n))).toEqual(['buy-stop-105', 'sell-tp-110']);
    expect(index.size).toBe(1);
    expect(ids(index.take(1, 95n))).toEqual(['other-market']); // exactly at the trigger
  });

  it('agrees with isTriggered for every kind and side at prices around the trigger', () => {
    for (const kind of ORDER_KINDS.filter((k) => k !== 'market')) {
      for (const base of [1n, -1n]) {
        for (const price of [99n, 100n, 101n]) {
          const index = new TriggerIndex();
          index.apply(row('o', kind, base, 100n));
          expect(index.take(0, price).length === 1, `${kind} ${base} at ${price}`).toBe(
            isTriggered(kind, base, 100n, price),
          );
        }
      }
    }
  });

  it('keeps a told order out until its row changes; an amended trigger puts it back; a closed row leaves', () => {
    const index = new TriggerIndex();
    index.apply(row('o', 'limit', 1n, 95n));
    expect(ids(index.take(0, 94n))).toEqual(['o']);
    index.apply(row('o', 'limit', 1n, 95n)); // the same read again (a poll's overlap)
    expect(index.take(0, 94n)).toEqual([]);
    index.apply(row('o', 'limit', 1n, 90n, { changedAt: new Date(2_000) })); // amended while the tell was on its way
    expect(index.take(0, 94n)).toEqual([]);
    expect(ids(index.take(0, 89n))).toEqual(['o']);
    index.apply(row('o', 'limit', 1n, 90n, { status: 'filled', changedAt: new Date(3_000) }));
    expect(index.has('o')).toBe(false);
  });

  it('moves an order whose trigger changes, and restores a tell that failed', () => {
    const index = new TriggerIndex();
    index.apply(row('a', 'stop_loss', -1n, 80n));
    index.apply(row('a', 'stop_loss', -1n, 90n, { changedAt: new Date(2_000) }));
    expect(index.size).toBe(1);
    const [taken] = index.take(0, 85n);
    expect(taken?.triggerPrice).toBe(90n);
    index.restore(taken!);
    expect(ids(index.take(0, 85n))).toEqual(['a']);
  });

  it('a full read replaces the index and keeps told orders out while their rows are unchanged', () => {
    const index = new TriggerIndex();
    index.apply(row('told', 'limit', 1n, 95n));
    index.apply(row('gone', 'limit', 1n, 50n));
    index.take(0, 94n);
    index.reset([row('told', 'limit', 1n, 95n), row('new', 'stop', 1n, 120n)]);
    expect(index.size).toBe(1);
    expect(index.take(0, 40n)).toEqual([]);
    expect(ids(index.take(0, 130n))).toEqual(['new']);
  });

  it('keeps a run known only from the legacy listing across full reads, until its row appears', () => {
    const index = new TriggerIndex();
    index.put({ id: 'old', marketIndex: 0, side: 'at_or_below', triggerPrice: 90n, version: LEGACY_VERSION });
    index.reset([row('new', 'limit', 1n, 95n)]);
    expect(index.size).toBe(2);
    index.reset([row('old', 'limit', 1n, 80n), row('new', 'limit', 1n, 95n)]); // it wrote its row (amended): the row wins
    expect(ids(index.take(0, 85n))).toEqual(['new']);
    expect(ids(index.take(0, 79n))).toEqual(['old']);
  });

  it('ignores rows that cannot trigger (market orders, no trigger price)', () => {
    const index = new TriggerIndex();
    index.apply(row('m', 'market', 1n, 1n));
    index.apply({ ...row('n', 'limit', 1n, 1n), triggerPrice: null });
    expect(index.size).toBe(0);
  });
});
