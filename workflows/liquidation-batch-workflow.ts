import { setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AccountEpisode, LiquidationRecord } from '../activities/liquidation';
import type { WorkflowRunRecord } from '../activities/bookkeeping/workflow-runs';
import type { WorkflowEvent } from '../domain/workflow-events';
import { episodeEvents, liquidationEvent } from './liquidation-events';
import { bookkeepingLocalActivities as bookkeeping, liquidationActivities as liquidation } from './activity-proxies';
import { getProgressQuery, QdStatus, workflowIds, type Progress } from './definitions';
import { resultOf, type LiquidationResult } from './liquidation-workflow';

export interface LiquidationBatchInput {
  marketIndex: number;
  /** Each account with its wallet and the program's episode (User::liquidation_seq) to execute. */
  accounts: { account: string; wallet: string; seq: string }[];
}

/** One account's liquidation in a batch; `id` is its business key (liq:<account>:<market>:<episode>). */
export interface AccountLiquidation extends Omit<LiquidationResult, 'status'> {
  id: string;
  account: string;
  seq: string;
  status: LiquidationResult['status'] | 'failed';
  /** The program's error name when the status is `failed`. */
  error?: string;
}

export interface LiquidationBatchResult {
  marketIndex: number;
  liquidations: AccountLiquidation[];
}

/**
 * The liquidations one price tick found in a market, in one workflow: in a crash the durable layer's cost
 * per workflow (its start, its tasks, its history) is paid once per batch, not once per account, and the
 * chain work runs as fast as the keeper can send. Every account keeps its own business key
 * (`liq:<account>:<market>:<episode>`) for its row, its run record and its events, so a trader, an
 * operator and an auditor find each liquidation as before; the batch is `QdAccounts`-searchable.
 *
 * First the chain, in one activity (every account's episode: steps, then a bankruptcy; the program is the
 * re-check and the dedupe, and a retried attempt replays each account's journaled transactions). Then the
 * books, as local activities: the rows with their insurance-fund entries and the liquidated accounts'
 * resting orders cancelled, then each account's events, then the run records. A slow or failing
 * bookkeeping write never holds back the chain.
 */
export async function liquidationBatchWorkflow(input: LiquidationBatchInput): Promise<LiquidationBatchResult> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const progress: Progress = { workflowId, kind: 'liquidation', status: 'running', steps: [] };
  setHandler(getProgressQuery, () => progress);
  const market = String(input.marketIndex);
  const wallets = new Map(input.accounts.map((a) => [a.account, a.wallet]));
  const keyOf = (account: string, seq: string) => workflowIds.liquidation(account, input.marketIndex, seq);

  let episodes: AccountEpisode[];
  try {
    episodes = await liquidation.liquidateAccounts({
      marketIndex: input.marketIndex,
      accounts: input.accounts.map(({ account, seq }) => ({ account, seq })),
    });
  } catch (err) {
    // The chain work gave up (its retries spent): every account's run says so, the monitor asks again.
    const at = new Date().toISOString();
    const error = err instanceof Error ? err.message : String(err);
    const failed = input.accounts.map(({ account, seq }) =>
      liquidationEvent({ workflowId, id: keyOf(account, seq), account }, 'liquidated', 'failed', at, { error }),
    );
    report(failed);
    await bookkeeping.publishWorkflowEvents(failed);
    await bookkeeping.recordWorkflowRuns(
      input.accounts.map(({ account, seq }) => run(keyOf(account, seq), account, 'failed', 'liquidated', at)),
    );
    finish('failed');
    throw err;
  }

  const liquidations = episodes.map((e): AccountLiquidation => ({
    ...resultOf(e),
    id: keyOf(e.account, e.seq),
    account: e.account,
    seq: e.seq,
    ...(e.error ? { error: e.error } : {}),
  }));
  const records: LiquidationRecord[] = [];
  for (const [i, e] of episodes.entries()) {
    const l = liquidations[i]!;
    const last = e.steps.at(-1);
    const signature = e.bankruptcy?.signature ?? last?.signature;
    if (l.status !== 'liquidated' || signature === undefined) continue;
    records.push({
      id: l.id,
      account: e.account,
      wallet: wallets.get(e.account)!,
      marketIndex: input.marketIndex,
      liquidationSeq: e.seq,
      steps: l.steps,
      closedBase: l.closedBase,
      price: last?.price ?? '0',
      fee: l.fees,
      insurancePaid: l.insurancePaid,
      socializedLoss: l.socializedLoss,
      signature,
      at: last?.at ?? e.bankruptcy?.at ?? new Date().toISOString(),
    });
  }
  const liquidated = records.map((r) => r.account);
  if (records.length)
    await Promise.all([bookkeeping.recordLiquidations(records), bookkeeping.cancelRestingOrdersOf(liquidated)]);

  // Each account's steps, in order, to its own stream (the activity published the chain's steps as each
  // episode ended; the same keys add nothing); a stale episode was another run's: nothing to say.
  const now = new Date().toISOString();
  const events: WorkflowEvent[] = [];
  for (const [i, e] of episodes.entries()) {
    const l = liquidations[i]!;
    const at = { workflowId, id: l.id, account: e.account };
    if (l.status === 'failed')
      events.push(liquidationEvent(at, 'liquidated', 'failed', now, { error: l.error ?? 'rejected' }));
    events.push(...episodeEvents({ ...at, steps: e.steps, bankruptcy: e.bankruptcy, now }));
    if (l.status === 'liquidated')
      events.push(
        liquidationEvent(at, 'recorded', 'completed', now),
        liquidationEvent(at, 'orders-cancelled', 'completed', now),
      );
  }
  report(events);
  if (events.length) await bookkeeping.publishWorkflowEvents(events);
  const runs = liquidations
    .filter((l) => l.status !== 'stale')
    .map((l) => run(l.id, l.account, l.status === 'failed' ? 'failed' : 'completed', l.status, now));
  if (runs.length) await bookkeeping.recordWorkflowRuns(runs);
  finish('completed');
  return { marketIndex: input.marketIndex, liquidations };

  /** The progress query shows every account's steps, named with the account. */
  function report(events: readonly WorkflowEvent[]): void {
    for (const e of events)
      progress.steps.push({
        step: `${e.step} ${e.account}`,
        status: e.status,
        at: e.at,
        ...(e.detail?.error ? { error: e.detail.error } : {}),
      });
  }

  function run(
    businessKey: string,
    account: string,
    status: WorkflowRunRecord['status'],
    step: string,
    at: string,
  ): WorkflowRunRecord {
    return {
      businessKey,
      workflowId,
      runId: firstExecutionRunId,
      kind: 'liquidation',
      account,
      market,
      status,
      step,
      at,
    };
  }

  function finish(status: 'completed' | 'failed'): void {
    upsertSearchAttributes([{ key: QdStatus, value: status }]);
    progress.status = status;
  }
}
