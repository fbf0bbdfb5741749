import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { isBelowMaintenance } from '../../domain/perp';
import { positions } from '../../drizzle/schema';
import type { Database } from '../../platform/postgres';
import { QdAccount, QdKind, QdMarket, QdStatus, workflowIds } from '../../workflows/definitions';
import type { liquidationWorkflow } from '../../workflows';
import type { RpcPool } from '../chain/rpc-pool';
import { loadMarginAccount } from './free-collateral';

/**
 * The risk monitor's pass over one market after a price tick: every account holding a position there is
 * valued on fresh chain state with the domain math, and each one below maintenance gets a liquidation
 * workflow under `liq:<account>:<market>:<epoch>`, so repeated ticks in one period start it once.
 */
export async function scanMarketForLiquidations(deps: { pool: RpcPool; db: Database; temporal: Client; taskQueue: string }, marketIndex: number, epoch: string): Promise<string[]> {
  const holders = await deps.db.select({ account: positions.account, wallet: positions.wallet }).from(positions).where(eq(positions.marketIndex, marketIndex));
  const started: string[] = [];
  for (const { account, wallet } of holders) {
    if (!isBelowMaintenance(await loadMarginAccount(deps.pool, account))) continue;
    const workflowId = workflowIds.liquidation(account, marketIndex, epoch);
    try {
      await deps.temporal.workflow.start<typeof liquidationWorkflow>('liquidationWorkflow', {
        workflowId, taskQueue: deps.taskQueue, args: [{ account, wallet, marketIndex, epoch }], workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [{ key: QdAccount, value: account }, { key: QdMarket, value: String(marketIndex) }, { key: QdKind, value: 'liquidation' }, { key: QdStatus, value: 'running' }],
      });
      started.push(workflowId);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return started;
}
