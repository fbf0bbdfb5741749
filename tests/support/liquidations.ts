import type { Client } from '@temporalio/client';
import type { StartedBatch } from '../../services/risk-monitor/risk-monitor';
import type { AccountLiquidation, LiquidationBatchResult } from '../../workflows/liquidation-batch-workflow';

/** Every account's liquidation in the batches, once each batch has finished. */
export async function liquidationsOf(
  temporal: Client,
  batches: readonly StartedBatch[],
): Promise<AccountLiquidation[]> {
  const results = await Promise.all(
    batches.map(async (b) => (await temporal.workflow.getHandle(b.workflowId).result()) as LiquidationBatchResult),
  );
  return results.flatMap((r) => r.liquidations);
}

/** The one liquidation a single started batch ran. */
export async function onlyLiquidation(temporal: Client, batches: readonly StartedBatch[]): Promise<AccountLiquidation> {
  const all = await liquidationsOf(temporal, batches);
  if (all.length !== 1) throw new Error(`expected one liquidation, got ${all.length}`);
  return all[0]!;
}
