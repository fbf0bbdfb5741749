import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { continueAsNew, executeChild, patched, workflowInfo } from '@temporalio/workflow';
import type { FundingUpdate } from '../activities/funding';
import { chainActivities as chain, ledgerActivities as ledger } from './activity-proxies';
import { workflowIds } from './definitions';
import { ProgressTracker } from './progress';
import { marketAccountOf } from '../domain/workflow-events';

/** Positions per funding-payment batch. */
export const FUNDING_BATCH = 500;
/**
 * Batches per run: a run continues as new when Temporal suggests it (its history grows long), and after
 * MAX_BATCHES_PER_RUN at the latest; runs started before it followed the suggestion stop at BATCHES_PER_RUN.
 */
export const MAX_BATCHES_PER_RUN = 200;
export const BATCHES_PER_RUN = 20;

export interface FundingInput {
  marketIndex: number;
  /** Funding period number: the unix hour it settles. */
  epoch: string;
  /** Set when continuing as new: the crank already happened. */
  update?: FundingUpdate;
  afterAccount?: string | null;
  /** Payments recorded by earlier runs of this settlement (continue-as-new). */
  paymentsSoFar?: number;
}

export interface FundingResult {
  rate: string;
  cumulativeIndex: string;
  payments: number;
}

/**
 * FundingSettlement (ARCHITECTURE §3): crank the program's funding index once for the period, record the
 * rate, then record every open position's payment in batches, continuing as new for large books.
 */
export async function fundingSettlementWorkflow(input: FundingInput): Promise<FundingResult> {
  if (!/^\d+$/.test(input.epoch))
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: `the funding period must be a unix hour, got "${input.epoch}"`,
      nonRetryable: true,
    });
  const progress = new ProgressTracker('funding', marketAccountOf(input.marketIndex), String(input.marketIndex));
  let update = input.update;
  if (!update) {
    await progress.start();
    // The index before the crank, recorded in history first: when a worker dies after its crank landed,
    // the retried crank finds the period done and still settles from the right starting index.
    const previousIndex = patched('funding-index-read-first') ? await chain.readFundingIndex(input.marketIndex) : null;
    update = await progress.step('cranked', () =>
      chain.crankFunding({ marketIndex: input.marketIndex, previousIndex, epoch: input.epoch }),
    );
    const settled = update;
    await progress.step('rate-recorded', () =>
      ledger.recordFundingRate({
        marketIndex: input.marketIndex,
        epoch: input.epoch,
        update: settled,
        at: new Date().toISOString(),
      }),
    );
  }
  let after = input.afterAccount ?? null;
  let payments = input.paymentsSoFar ?? 0;
  const followsSuggestion = patched('funding-continue-as-new-suggested');
  for (let batch = 0; batch < (followsSuggestion ? MAX_BATCHES_PER_RUN : BATCHES_PER_RUN); batch++) {
    if (followsSuggestion && batch > 0 && workflowInfo().continueAsNewSuggested) break;
    const page = await progress.step(`payments-${batch}`, () =>
      ledger.recordFundingPayments({
        marketIndex: input.marketIndex,
        epoch: input.epoch,
        previousIndex: update.previousIndex,
        cumulativeIndex: update.cumulativeIndex,
        afterAccount: after,
        limit: FUNDING_BATCH,
      }),
    );
    payments += page.written;
    if (page.written < FUNDING_BATCH) {
      await progress.finish('completed');
      return { rate: update.rate, cumulativeIndex: update.cumulativeIndex, payments };
    }
    after = page.lastAccount;
  }
  return continueAsNew<typeof fundingSettlementWorkflow>({
    ...input,
    update,
    afterAccount: after,
    paymentsSoFar: payments,
  });
}

/**
 * What the per-market Temporal Schedule starts every hour: it names the period from its own start time
 * and runs `funding:<market>:<epoch>` as a child, so a repeated trigger finds the same settlement.
 */
export async function fundingScheduleWorkflow(input: {
  marketIndex: number;
}): Promise<FundingResult | { alreadySettled: string }> {
  const epoch = String(Math.floor(workflowInfo().startTime.getTime() / 3_600_000));
  const workflowId = workflowIds.funding(input.marketIndex, epoch);
  try {
    return await executeChild(fundingSettlementWorkflow, {
      workflowId,
      args: [{ marketIndex: input.marketIndex, epoch }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { alreadySettled: workflowId };
    throw err;
  }
}
