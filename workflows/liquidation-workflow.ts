import { sleep } from '@temporalio/workflow';
import type { LiquidationStep } from '../activities/chain/liquidation-activities';
import { chainActivities as chain, ledgerActivities as ledger } from './activity-proxies';
import { ProgressTracker } from './progress';
import { workflowIds } from './definitions';

/**
 * Steps continue until the program finds the account healthy or the position is closed. Each closes at
 * most the market's fraction (25 %) of what is left, so even a deep shortfall ends within this bound.
 */
export const MAX_LIQUIDATION_STEPS = 100;
/** A short durable pause between steps, so each one sees the market after the last. */
export const LIQUIDATION_COOLDOWN = '200 milliseconds';

export interface LiquidationInput {
  account: string;
  wallet: string;
  marketIndex: number;
  /** The risk monitor's period (unix minute) that saw the account under water; part of the dedupe ID. */
  epoch: string;
}

export interface LiquidationResult {
  status: 'healthy' | 'liquidated';
  steps: number;
  closedBase: string;
  fees: string;
  insurancePaid: string;
  socializedLoss: string;
}

/**
 * Liquidation (DESIGN §3): re-check with fresh chain state -> cancel the account's resting orders ->
 * partial liquidation steps on chain until the program finds the account healthy -> bankruptcy (insurance,
 * then socialized loss) -> the liquidation row and insurance-fund entries -> events.
 */
export async function liquidationWorkflow(input: LiquidationInput): Promise<LiquidationResult> {
  const progress = new ProgressTracker('liquidation', input.account, String(input.marketIndex));
  await progress.start();
  const result: LiquidationResult = { status: 'healthy', steps: 0, closedBase: '0', fees: '0', insurancePaid: '0', socializedLoss: '0' };
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
    const step = await progress.step(`liquidated-${i}`, () => chain.liquidateStep({ account: input.account, marketIndex: input.marketIndex }));
    if (!step) break;
    last = step;
    result.steps++;
    closed += BigInt(step.closedBase);
    fees += BigInt(step.fee);
    if (step.baseAfter === '0') break;
    await sleep(LIQUIDATION_COOLDOWN);
  }
  const bankruptcy = await progress.step('bankruptcy-checked', () => chain.resolveBankruptcyIfNeeded({ account: input.account, marketIndex: input.marketIndex }));
  Object.assign(result, {
    status: 'liquidated', closedBase: closed.toString(), fees: fees.toString(),
    insurancePaid: bankruptcy?.insurancePaid ?? '0', socializedLoss: bankruptcy?.socializedLoss ?? '0',
  });
  if (last) {
    const final = last;
    await progress.step('recorded', () => ledger.recordLiquidation({
      id: workflowIds.liquidation(input.account, input.marketIndex, input.epoch), account: input.account, wallet: input.wallet, marketIndex: input.marketIndex,
      closedBase: result.closedBase, price: final.price, fee: result.fees, insurancePaid: result.insurancePaid, socializedLoss: result.socializedLoss,
      signature: final.signature, at: new Date().toISOString(),
    }));
  }
  await progress.finish('completed', 'liquidated');
  return result;
}
