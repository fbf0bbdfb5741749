import type { Client } from '@temporalio/client';
import { priceTickSignal } from '../../workflows/definitions';

/**
 * Sends a price tick to every waiting order workflow of the market; returns how many were told.
 * `yieldTo` is awaited before each signal: the monitor holds the relay there while it starts liquidations.
 */
export async function relayPriceTick(temporal: Client, marketIndex: number, price: bigint, yieldTo?: () => Promise<void>): Promise<number> {
  let told = 0;
  const query = `QdKind = "order" AND QdMarket = "${marketIndex}" AND ExecutionStatus = "Running"`;
  for await (const wf of temporal.workflow.list({ query })) {
    await yieldTo?.();
    try {
      await temporal.workflow.getHandle(wf.workflowId).signal(priceTickSignal, { marketIndex, price: price.toString() });
      told++;
    } catch {
      // finished between the listing and the signal
    }
  }
  return told;
}

/** How fast the lane may signal, and its clock (injected: tests run it on a fake one). */
export interface RelayPace {
  signalsPerSecond: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Relays ticks to waiting orders in a lane of its own, so that telling thousands of orders never delays
 * the liquidations a tick starts. Only the latest price of each market waits: a relay that falls behind
 * skips the prices it could not deliver in time rather than queueing them. With a pace, signals go out at
 * most that fast: each one is a history write and a workflow task on the server that liquidations share.
 */
export class PriceRelayLane {
  private readonly pending = new Map<number, bigint>();
  private running: Promise<void> | null = null;
  private holders = 0;
  private resumed: Promise<void> = Promise.resolve();
  private resume: () => void = () => undefined;
  /** Orders told since the lane started, and relays that failed (the next tick retries). */
  told = 0;
  failures = 0;

  private nextSlot = 0;

  constructor(
    private readonly relay: (marketIndex: number, price: bigint, yieldTo: () => Promise<void>) => Promise<number>,
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

  private readonly gate = async (): Promise<void> => {
    while (this.holders > 0) await this.resumed;
    if (!this.pace) return;
    const now = this.pace.now();
    const slot = Math.max(this.nextSlot, now);
    this.nextSlot = slot + 1_000 / this.pace.signalsPerSecond;
    if (slot > now) await this.pace.sleep(slot - now);
  };

  offer(marketIndex: number, price: bigint): void {
    this.pending.set(marketIndex, price);
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once every offered price has been relayed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let next = this.pending.entries().next(); !next.done; next = this.pending.entries().next()) {
      const [marketIndex, price] = next.value;
      this.pending.delete(marketIndex);
      try {
        this.told += await this.relay(marketIndex, price, this.gate);
      } catch {
        this.failures++;
      }
    }
  }
}
