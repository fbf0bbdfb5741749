import { describe, expect, it } from 'vitest';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WORKFLOWS_PATH } from '../../temporal/worker-factory';
import { HISTORIES_DIR } from '../support/histories';
import { HistoryProto } from '../../temporal/proto';

Runtime.install({ logger: new DefaultLogger('WARN') });

// Recorded by the integration tests (QD_RECORD_HISTORIES=1) and committed: every workflow type, as the
// current code runs it (<kind>.history) and as the first release ran it (<kind>.v1.history, before
// progress bookkeeping became local activities and funding read its index first: patched() keeps them);
// liquidation.v2.history is a run of the step-per-activity liquidation, before the one-activity episode;
// liquidation-batch.history is the batch the risk monitor starts since; order.v2.history is an order
// before program rejections became final (patched('order-rejections-final')); order-resting and
// order-amended are a limit order filled on its tick and an amended stop refused by the program; the .v3
// twins ran before waiting orders had rows (told of every tick; patched('resting-order-index') and
// 'resting-order-trigger-row'); the .v4 twins and order.v3 before an order's checks and rows became
// local activities (patched('order-local-activities')); the .v5 ones before a refusal of the pre-trade
// rule ended the order rejected (patched('pre-trade-rejections')); the .v6 ones (order, order-resting,
// order-amended) before an order's steps around its fill ran as one local activity each
// (patched('order-steps-combined'), workflows/place-order-legacy.ts); withdraw.v2 is a withdrawal before the
// saga asked the chain before compensating (patched('withdrawal-settles-what-the-chain-did')), and
// withdraw-cancelled-after-transfer one cancelled by an operator after its transfer executed (settled);
// reconciliation is a run that found differences (it has no v1: it was added later); funding.v2 a
// settlement before it continued as new when Temporal suggested (patched('funding-continue-as-new-suggested')).
const histories = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.history'))
  .map((file) => ({
    workflowId: file.replace(/\.history$/, ''),
    history: HistoryProto.decode(readFileSync(`${HISTORIES_DIR}${file}`)),
  }));

describe('recorded workflow histories replay against the current code', () => {
  it('has a history for every workflow type', () => {
    const kinds = ['deposit', 'funding', 'liquidation', 'order', 'probe', 'withdraw'];
    expect(histories.map((h) => h.workflowId).sort()).toEqual(
      [
        ...kinds.flatMap((k) => [k, `${k}.v1`]),
        'liquidation.v2',
        'funding.v2',
        'liquidation-batch',
        'order.v2',
        'order.v3',
        'order.v5',
        'order.v6',
        'order-resting.v6',
        'order-amended.v6',
        'order-resting',
        'order-resting.v3',
        'order-resting.v4',
        'order-resting.v5',
        'order-amended',
        'order-amended.v3',
        'order-amended.v4',
        'order-amended.v5',
        'withdraw.v2',
        'withdraw-cancelled-after-transfer',
        'reconciliation',
      ].sort(),
    );
  });

  it('replays every history deterministically', async () => {
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      expect(result.error, `${result.workflowId}: ${String(result.error)}`).toBeUndefined();
    }
  }, 60_000);

  it('catches a change that is not deterministic', async () => {
    const changed = fileURLToPath(new URL('../fixtures/changed-workflows.ts', import.meta.url));
    const deposit = histories.find((h) => h.workflowId === 'deposit')!;
    await expect(Worker.runReplayHistory({ workflowsPath: changed }, deposit.history)).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  }, 60_000);
});
