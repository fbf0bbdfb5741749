import type { Client } from '@temporalio/client';
import { priceTickSignal } from '../../workflows/definitions';

/** Sends a price tick to every waiting order workflow of the market; returns how many were told. */
export async function relayPriceTick(temporal: Client, marketIndex: number, price: bigint): Promise<number> {
  let told = 0;
  const query = `QdKind = "order" AND QdMarket = "${marketIndex}" AND ExecutionStatus = "Running"`;
  for await (const wf of temporal.workflow.list({ query })) {
    try {
      await temporal.workflow.getHandle(wf.workflowId).signal(priceTickSignal, { marketIndex, price: price.toString() });
      told++;
    } catch {
      // finished between the listing and the signal
    }
  }
  return told;
}
