import { patched } from '@temporalio/workflow';
import type { EpisodeOutcome } from '../activities/liquidation';
import { bookkeepingLocalActivities as bookkeeping, liquidationActivities as liquidation } from './activity-proxies';
import { legacyLiquidationWorkflow } from './liquidation-legacy';
import { ProgressTracker } from './progress';
import { workflowIds } from './definitions';

export interface LiquidationInput {
  account: string;
  wallet: string;
  marketIndex: number;
  /** The program's liquidation episode (User::liquidation_seq) this run executes; part of the dedupe ID. */
  seq?: string;
  /** Runs started before episodes: the monitor's minute that saw the account under water. */
  epoch?: string;
}

export interface LiquidationResult {
  status: 'healthy' | 'liquidated' | 'stale';
  steps: number;
  closedBase: string;
  fees: string;
  insurancePaid: string;
  socializedLoss: string;
}

/**
 * One account's liquidation. The risk monitor starts liquidationBatchWorkflow since; this workflow stays
 * for the runs started before it (and replays their histories). Built for a crash: the whole on-chain episode is one activity that runs first
 * (the program re-checks the account with a fresh oracle, closes at most a fraction per step, refuses any
 * other episode, then resolves a bankruptcy), and only then the bookkeeping: the run record, one event per
 * step, the liquidation row with its insurance-fund entries, and cancelling the account's resting orders,
 * all local activities. A slow or failing bookkeeping write therefore never holds back the chain.
 */
export async function liquidationWorkflow(input: LiquidationInput): Promise<LiquidationResult> {
  if (!patched('liquidation-one-chain-activity')) return legacyLiquidationWorkflow(input);
  const progress = new ProgressTracker('liquidation', input.account, String(input.marketIndex));
  const seq = input.seq ?? '0';
  let episode: EpisodeOutcome;
  try {
    episode = await liquidation.liquidateAccount({ account: input.account, marketIndex: input.marketIndex, seq });
  } catch (err) {
    await progress.failed('liquidated', err);
    throw err;
  }
  const result = resultOf(episode);
  const last = episode.steps.at(-1);
  const signature = episode.bankruptcy?.signature ?? last?.signature;
  const liquidated = result.status === 'liquidated' && signature !== undefined;
  // After the chain: the row and the cancels at once, then every step's event in order, then the run
  // record (with its final status: the run was running only while the chain work went on).
  await Promise.all([
    liquidated &&
      bookkeeping.recordLiquidation({
        id: workflowIds.liquidation(input.account, input.marketIndex, seq),
        account: input.account,
        wallet: input.wallet,
        marketIndex: input.marketIndex,
        liquidationSeq: seq,
        steps: result.steps,
        closedBase: result.closedBase,
        price: last?.price ?? '0',
        fee: result.fees,
        insurancePaid: result.insurancePaid,
        socializedLoss: result.socializedLoss,
        signature,
        at: last?.at ?? episode.bankruptcy?.at ?? new Date().toISOString(),
      }),
    liquidated && bookkeeping.cancelRestingOrders(input.account),
  ]);
  await progress.completed([
    ...episode.steps.map((s, i) => ({ name: `liquidated-${i}`, at: s.at })),
    ...(episode.bankruptcy ? [{ name: 'bankruptcy-resolved', at: episode.bankruptcy.at }] : []),
    ...(liquidated ? [{ name: 'recorded' }, { name: 'orders-cancelled' }] : []),
  ]);
  await progress.finish('completed', result.status);
  return result;
}

/** Totals of an episode, as the program reported each step. */
export function resultOf<S extends string = EpisodeOutcome['outcome']>(
  episode: Omit<EpisodeOutcome, 'outcome'> & { outcome: S },
): Omit<LiquidationResult, 'status'> & { status: S } {
  let closed = 0n;
  let fees = 0n;
  for (const s of episode.steps) {
    closed += BigInt(s.closedBase);
    fees += BigInt(s.fee);
  }
  return {
    status: episode.outcome,
    steps: episode.steps.length,
    closedBase: closed.toString(),
    fees: fees.toString(),
    insurancePaid: episode.bankruptcy?.insurancePaid ?? '0',
    socializedLoss: episode.bankruptcy?.socializedLoss ?? '0',
  };
}
