import { eq, gt } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import { ORDER_KINDS, triggerSide, type OrderKind, type TriggerSide } from '../../domain/orders';
import { orders } from '../../drizzle/schema';
import type { Database } from '../../platform/postgres';
import { getOrderQuery, runningOrdersQuery } from '../../workflows/definitions';

/** A waiting order as the index holds it: the workflow to tell, where its trigger is, and which read of it this is. */
export interface RestingOrder {
  /** Its workflow ID (the order's business key). */
  id: string;
  marketIndex: number;
  side: TriggerSide;
  triggerPrice: bigint;
  /** The row's changed_at (ms) when read from Postgres; LEGACY for runs that rest without a row. */
  version: string;
}

/** Version of a waiting run started before orders had rows (found by a visibility listing at reload). */
export const LEGACY_VERSION = 'legacy';

/** An order row as the index reads it (status other than open: the order left the book). */
export interface OrderRowChange {
  id: string;
  marketIndex: number;
  kind: string;
  baseAmount: bigint;
  triggerPrice: bigint | null;
  status: string;
  changedAt: Date;
}

const crossesAt = (o: RestingOrder, price: bigint) =>
  o.side === 'at_or_above' ? price >= o.triggerPrice : price <= o.triggerPrice;

/**
 * The waiting orders of every market, by trigger price: a tick takes out exactly the orders it crosses
 * (a binary search per side, however many rest), so each is told once, and a tick that crosses nothing
 * costs nothing. Each side is kept sorted from the nearest trigger outwards: `at_or_above` ascending (a
 * rising price crosses the lowest first), `at_or_below` descending.
 *
 * An order taken out is remembered as told at its version: a re-read of the same row does not put it
 * back, a changed row (an amended trigger) does, and a tell that did not reach the workflow is restored.
 */
export class TriggerIndex {
  private readonly byId = new Map<string, RestingOrder>();
  private readonly told = new Map<string, string>();
  private readonly sides = new Map<number, Record<TriggerSide, RestingOrder[]>>();

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id) || this.told.has(id);
  }

  /** A row read from Postgres: an open order enters (or moves), any other status leaves. */
  apply(row: OrderRowChange): void {
    const side = ORDER_KINDS.includes(row.kind as OrderKind)
      ? triggerSide(row.kind as OrderKind, row.baseAmount)
      : null;
    if (row.status !== 'open' || side === null || row.triggerPrice === null) {
      this.remove(row.id);
      this.told.delete(row.id);
      return;
    }
    this.put({
      id: row.id,
      marketIndex: row.marketIndex,
      side,
      triggerPrice: row.triggerPrice,
      version: String(row.changedAt.getTime()),
    });
  }

  /** Adds or moves an order, unless this very version was told already. */
  put(order: RestingOrder): void {
    if (this.told.get(order.id) === order.version) return;
    const held = this.byId.get(order.id);
    if (held?.version === order.version) return;
    if (held && order.version === LEGACY_VERSION) return; // a row's version beats a listing's
    this.remove(order.id);
    this.told.delete(order.id);
    this.byId.set(order.id, order);
    const list = this.sideOf(order.marketIndex, order.side);
    list.splice(this.firstBeyond(list, order.side, order.triggerPrice), 0, order);
  }

  /** Takes out every order of `marketIndex` that `price` crosses (nearest trigger first), marking them told. */
  take(marketIndex: number, price: bigint): RestingOrder[] {
    const sides = this.sides.get(marketIndex);
    if (!sides) return [];
    const crossed: RestingOrder[] = [];
    for (const side of ['at_or_above', 'at_or_below'] as const) {
      const list = sides[side];
      let n = 0;
      while (n < list.length && crossesAt(list[n]!, price)) n++;
      for (const o of list.splice(0, n)) {
        this.byId.delete(o.id);
        this.told.set(o.id, o.version);
        crossed.push(o);
      }
    }
    return crossed;
  }

  /** A tell that did not reach the workflow (the server was away): the order rests again, for the next tick. */
  restore(order: RestingOrder): void {
    if (this.told.get(order.id) !== order.version || this.byId.has(order.id)) return;
    this.told.delete(order.id);
    this.put(order);
  }

  /** Replaces the indexed rows with `rows` (a full read); what was told of rows unchanged since stays out. */
  reset(rows: readonly OrderRowChange[]): void {
    // Runs without a row are known from one listing only: they stay.
    const legacy = [...this.byId.values()].filter((o) => o.version === LEGACY_VERSION);
    this.byId.clear();
    this.sides.clear();
    const open = new Set(rows.map((r) => r.id));
    for (const id of this.told.keys()) if (!open.has(id)) this.told.delete(id);
    for (const row of rows) this.apply(row);
    for (const o of legacy) this.put(o);
  }

  private remove(id: string): void {
    const held = this.byId.get(id);
    if (!held) return;
    this.byId.delete(id);
    const list = this.sideOf(held.marketIndex, held.side);
    const at = list.indexOf(held);
    if (at >= 0) list.splice(at, 1);
  }

  private sideOf(marketIndex: number, side: TriggerSide): RestingOrder[] {
    let sides = this.sides.get(marketIndex);
    if (!sides) this.sides.set(marketIndex, (sides = { at_or_above: [], at_or_below: [] }));
    return sides[side];
  }

  /** Where an order with `trigger` goes: after every order a price reaches no later than it. */
  private firstBeyond(list: readonly RestingOrder[], side: TriggerSide, trigger: bigint): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = list[mid]!.triggerPrice;
      if (side === 'at_or_above' ? t <= trigger : t >= trigger) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Rows re-read on each poll before the last change seen: a write stamped earlier may commit later. */
const REREAD_MS = 2_000;

const rowColumns = {
  id: orders.id,
  marketIndex: orders.marketIndex,
  kind: orders.kind,
  baseAmount: orders.baseAmount,
  triggerPrice: orders.triggerPrice,
  status: orders.status,
  changedAt: orders.changedAt,
};

/**
 * Keeps a TriggerIndex in step with the orders table: a full read of the open rows (and, for runs started
 * before orders had rows, a listing of the running order workflows), then the rows changed since.
 */
export class RestingOrderFeed {
  private since: Date | null = null;
  private legacyListed = false;

  constructor(
    private readonly db: Database,
    private readonly index: TriggerIndex,
    private readonly temporal?: Client,
  ) {}

  /**
   * Every open order, read again. The first read also lists the running order workflows for runs started
   * before orders had rows (every later run writes one, so one listing per process is enough: with 10,000
   * resting orders a listing takes about a minute here).
   */
  async reload(): Promise<void> {
    const rows = await this.db.select(rowColumns).from(orders).where(eq(orders.status, 'open'));
    this.index.reset(rows);
    this.advance(rows);
    if (this.temporal && !this.legacyListed) {
      await this.addLegacyRuns(this.temporal);
      this.legacyListed = true;
    }
  }

  /** The rows changed since the last read (a full read the first time). Returns how many were read. */
  async poll(): Promise<number> {
    if (!this.since) {
      await this.reload();
      return this.index.size;
    }
    const rows = await this.db
      .select(rowColumns)
      .from(orders)
      .where(gt(orders.changedAt, new Date(this.since.getTime() - REREAD_MS)));
    for (const row of rows) this.index.apply(row);
    this.advance(rows);
    return rows.length;
  }

  private advance(rows: readonly OrderRowChange[]): void {
    for (const r of rows) if (!this.since || r.changedAt > this.since) this.since = r.changedAt;
    this.since ??= new Date(0);
  }

  /**
   * Waiting runs started before orders had rows: they rest without one, so the listing finds them (once
   * per reload, never per tick) and each is asked for its trigger.
   */
  private async addLegacyRuns(temporal: Client): Promise<void> {
    const unknown: string[] = [];
    for await (const wf of temporal.workflow.list({ query: runningOrdersQuery() })) {
      if (!this.index.has(wf.workflowId)) unknown.push(wf.workflowId);
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < unknown.length) {
          const id = unknown[next++]!;
          try {
            const view = await temporal.workflow.getHandle(id).query(getOrderQuery);
            const side =
              view.state === 'waiting' && view.triggerPrice
                ? triggerSide(view.kind as OrderKind, BigInt(view.baseAmount))
                : null;
            if (side)
              this.index.put({
                id,
                marketIndex: view.marketIndex,
                side,
                triggerPrice: BigInt(view.triggerPrice!),
                version: LEGACY_VERSION,
              });
          } catch {
            // finished since the listing, or a run that does not answer: nothing to tell
          }
        }
      }),
    );
  }
}
