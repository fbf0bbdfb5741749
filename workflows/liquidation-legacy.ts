import { sleep } from '@temporalio/workflow';
import type { LiquidationStep } from '../activities/liquidation';
import { chainActivities as chain, ledgerActivities as ledger } from './activity-proxies';
import { ProgressTracker } from './progress';
import { workflowIds } from './definitions';
import type { LiquidationInput, LiquidationResult } from './liquidation-workflow';

const MAX_LIQUIDATION_STEPS = 100;
/** The durable pause between steps of runs started before liquidateAccount. */
const LIQUIDATION_COOLDOWN = '200 milliseconds';

/**
 * Liquidation as runs started before the one-activity episode ran it (kept so their histories replay):
 * re-check -> cancel resting orders -> one activity and one durable timer per step -> bankruptcy -> row.
 * The ID carried the monitor's minute (`epoch`).
 */
export async function legacyLiquidationWorkflow(input: LiquidationInput): Promise<LiquidationResult> {
  const epoch = input.epoch ?? '';
  const progress = new ProgressTracker('liquidation', input.account, String(input.marketIndex));
  await progress.start();
  const result: LiquidationResult = {
    status: 'healthy',
    steps: 0,
    closedBase: '0',
    fees: '0',
    insurancePaid: '0',
    socializedLoss: '0',
  };
  const underWater = await progress.step('rechecked', () => chain.isLiquidatable(input.account));
  if (!underWater) {
    await progress.finish('completed', 'healthy');
    return result;
  }
  await progress.step('orders-cancelled', () => chain.cancelRestingOrders(input.account));
  let last: LiquidationStep | null = null;
  let closed = 0n;
  let fees = 0n;
  for (let i = 0; i < MAX_LIQUIDATION_STEPS; i++) {
    const step = await progress.step(`liquidated-${i}`, () =>
      chain.liquidateStep({ account: input.account, marketIndex: input.marketIndex }),
    );
    if (!step) break;
    last = step;
    result.steps++;
    closed += BigInt(step.closedBase);
    fees += BigInt(step.fee);
    if (step.baseAfter === '0') break;
    await sleep(LIQUIDATION_COOLDOWN);
  }
  const bankruptcy = await progress.step('bankruptcy-checked', () =>
    chain.resolveBankruptcyIfNeeded({ account: input.account, marketIndex: input.marketIndex }),
  );
  Object.assign(result, {
    status: 'liquidated',
    closedBase: closed.toString(),
    fees: fees.toString(),
    insurancePaid: bankruptcy?.insurancePaid ?? '0',
    socializedLoss: bankruptcy?.socializedLoss ?? '0',
  });
  if (last) {
    const final = last;
    await progress.step('recorded', () =>
      ledger.recordLiquidation({
        id: workflowIds.liquidation(input.account, input.marketIndex, epoch),
        account: input.account,
        wallet: input.wallet,
        marketIndex: input.marketIndex,
        closedBase: result.closedBase,
        price: final.price,
        fee: result.fees,
        insurancePaid: result.insurancePaid,
        socializedLoss: result.socializedLoss,
        signature: final.signature,
        at: new Date().toISOString(),
      }),
    );
  }
  await progress.finish('completed', 'liquidated');
  return result;
}
