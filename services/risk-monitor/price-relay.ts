import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { priceTickSignal } from '../../workflows/definitions';
import type { RestingOrder } from './trigger-index';

/** A tick to deliver to one waiting order that it crossed. */
export interface Tell {
  order: RestingOrder;
  price: bigint;
}

/** Whether the tick reached the order's workflow, or the workflow had ended already. */
export type TellOutcome = 'told' | 'gone';

/** Signals the crossing tick to the order's workflow (which checks its own trigger against it). */
export async function signalCrossedOrder(temporal: Client, { order, price }: Tell): Promise<TellOutcome> {
  try {
    await temporal.workflow
      .getHandle(order.id)
      .signal(priceTickSignal, { marketIndex: order.marketIndex, price: price.toString() });
    return 'told';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'gone';
    throw err;
  }
}

/** How fast the lane may signal, and its clock (injected: tests run it on a fake one). */
export interface RelayPace {
  signalsPerSecond: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Tells waiting orders the ticks that crossed them, in a lane of its own, so that a crash crossing
 * thousands of stops never delays the liquidations the same tick starts: the lane holds while they start,
 * and with a pace signals go out at most that fast (each is a history write and a workflow task on the
 * server liquidations share). Every crossed order is told once, in the order the ticks crossed them; a
 * tell that fails is handed back (`onFailed`) for the next tick.
 */
export class PriceRelayLane {
  private readonly queue: Tell[] = [];
  private running: Promise<void> | null = null;
  private holders = 0;
  private resumed: Promise<void> = Promise.resolve();
  private resume: () => void = () => undefined;
  private nextSlot = 0;
  /** Orders told since the lane started, workflows found ended, and tells that failed. */
  told = 0;
  gone = 0;
  failures = 0;

  constructor(
    private readonly tell: (t: Tell) => Promise<TellOutcome>,
    private readonly onFailed: (t: Tell, err: unknown) => void = () => undefined,
    private readonly pace: RelayPace | null = null,
  ) {}

  /** Runs `work` (starting liquidations) with the relay held between two signals, so it has the server to itself. */
  async holding<T>(work: () => Promise<T>): Promise<T> {
    if (this.holders++ === 0) this.resumed = new Promise((r) => (this.resume = r));
    try {
      return await work();
    } finally {
      if (--this.holders === 0) this.resume();
    }
  }

  enqueue(tells: readonly Tell[]): void {
    if (!tells.length) return;
    this.queue.push(...tells);
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once every queued tell has been sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async gate(): Promise<void> {
    while (this.holders > 0) await this.resumed;
    if (!this.pace) return;
    const now = this.pace.now();
    const slot = Math.max(this.nextSlot, now);
    this.nextSlot = slot + 1_000 / this.pace.signalsPerSecond;
    if (slot > now) await this.pace.sleep(slot - now);
  }

  private async drain(): Promise<void> {
    for (let t = this.queue.shift(); t; t = this.queue.shift()) {
      await this.gate();
      try {
        if ((await this.tell(t)) === 'told') this.told++;
        else this.gone++;
      } catch (err) {
        this.failures++;
        this.onFailed(t, err);
      }
    }
  }
}
