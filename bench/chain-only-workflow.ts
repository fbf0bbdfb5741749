// Bundled by bench/liquidation-crash.bench.ts only: not one of the platform's workflows.
import type { AccountEpisode } from '../activities/liquidation';
import type { LiquidationBatchInput } from '../workflows/liquidation-batch-workflow';
import { liquidationActivities } from '../workflows/activity-proxies';

/**
 * A liquidation batch with nothing but its chain work: the batch workflow's one activity (the keeper's
 * episodes, each transaction journaled before it is sent), with the same options, and none of the books,
 * events or run records after it. What a durable pipeline of this design pays at the least.
 */
export async function chainOnlyLiquidationWorkflow(input: LiquidationBatchInput): Promise<AccountEpisode[]> {
  return liquidationActivities.liquidateAccounts({
    marketIndex: input.marketIndex,
    accounts: input.accounts.map(({ account, seq }) => ({ account, seq })),
  });
}
