// withdrawWorkflow's saga branches in seconds (dev server, stub activities): settle, refuse before
// reserving, compensate only what the chain did not execute, survive a cancel, keep the original error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { CallLog, startWorkflowTestEnv, type WorkflowTestEnv } from '../tests/support/workflow-env';
import type { UserTransactionCheck } from '../activities/deposits-withdrawals';

const log = new CallLog();
const stubs = {
  reserve: 'ok' as 'ok' | 'insufficient',
  submit: 'ok' as 'ok' | 'refused' | 'lost' | 'hang',
  /** What resolveUserTransaction answers, after `unknownFor` retryable "providers did not answer". */
  executed: false,
  unknownFor: 0,
  release: 'ok' as 'ok' | 'broken',
};
let resolutionAttempts = 0;

const activities = {
  ...log.bookkeeping(),
  validateWithdrawTransaction: log.stub<UserTransactionCheck>('validateWithdrawTransaction', (tx: string) => ({
    signature: `sig-${tx}`,
    wallet: 'Wallet1',
    account: 'Account1',
    subAccountId: 0,
    amount: '100',
  })),
  freeCollateralOf: log.stub('freeCollateralOf', () => '1000'),
  reserveWithdrawal: log.stub('reserveWithdrawal', () => {
    if (stubs.reserve === 'insufficient')
      throw ApplicationFailure.create({ type: 'InsufficientFreeCollateral', message: 'too much', nonRetryable: true });
  }),
  submitTransaction: log.stub('submitTransaction', async (tx: string) => {
    if (stubs.submit === 'refused')
      throw ApplicationFailure.create({
        type: 'InsufficientCollateral',
        message: 'the program refused',
        nonRetryable: true,
      });
    if (stubs.submit === 'lost')
      throw ApplicationFailure.create({ type: 'TransactionExpired', message: 'never landed', nonRetryable: true });
    if (stubs.submit === 'hang') await new Promise((r) => setTimeout(r, 2_000));
    return { signature: `sig-${tx}` };
  }),
  readCollateral: log.stub('readCollateral', () => ({ collateral: '900', unsettledPnl: '0', slot: '7' })),
  settleWithdrawal: log.stub('settleWithdrawal'),
  releaseWithdrawal: log.stub('releaseWithdrawal', () => {
    if (stubs.release === 'broken')
      throw ApplicationFailure.create({ type: 'ReleaseBroken', message: 'the release failed', nonRetryable: true });
  }),
  resolveUserTransaction: log.stub('resolveUserTransaction', (tx: string) => {
    resolutionAttempts += 1;
    if (resolutionAttempts <= stubs.unknownFor)
      throw ApplicationFailure.retryable('a provider did not answer', 'OutcomeUnknown');
    return { executed: stubs.executed, signature: `sig-${tx}` };
  }),
};

let t: WorkflowTestEnv;
beforeAll(async () => {
  t = await startWorkflowTestEnv('withdraw-branches', activities);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

let n = 0;
function withdrawal(setup: Partial<typeof stubs> = {}) {
  Object.assign(stubs, { reserve: 'ok', submit: 'ok', executed: false, unknownFor: 0, release: 'ok' }, setup);
  log.clear();
  resolutionAttempts = 0;
  n += 1;
  const workflowId = `withdraw:Account1:req-${n}`;
  return {
    workflowId,
    handle: t.start('withdrawWorkflow', workflowId, [{ signedTransaction: `tx${n}`, requestId: `req-${n}` }]),
  };
}
const failureOf = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause;
};

describe('withdrawWorkflow branches (dev server, stub activities)', () => {
  it('reserves, relays, confirms and settles, booking the balance it read', async () => {
    const { workflowId, handle } = withdrawal();
    expect(await (await handle).result()).toEqual({ signature: `sig-tx${n}`, amount: '100', collateralAfter: '900' });
    expect(await t.stepsOf(workflowId)).toEqual(
      ['validated', 'risk-checked', 'reserved', 'submitted', 'confirmed', 'settled'].map((s) => `${s}:completed`),
    );
    expect(log.of('reserveWithdrawal')).toEqual([
      expect.objectContaining({ id: workflowId, signature: `sig-tx${n}`, freeCollateral: '1000' }),
    ]);
    expect(log.of('settleWithdrawal')).toEqual([
      expect.objectContaining({
        id: workflowId,
        account: 'Account1',
        balance: { collateral: '900', unsettledPnl: '0', slot: '7' },
      }),
    ]);
    expect(log.of('releaseWithdrawal')).toEqual([]);
  });

  it('refuses more than the free collateral before anything is sent or compensated', async () => {
    const { handle } = withdrawal({ reserve: 'insufficient' });
    const cause = await failureOf((await handle).result());
    expect((cause?.cause as ApplicationFailure).type).toBe('InsufficientFreeCollateral');
    expect(log.names()).not.toContain('submitTransaction');
    expect(log.names()).not.toContain('resolveUserTransaction');
  });

  it('releases what the chain refused, after asking it, and fails with the refusal', async () => {
    const { workflowId, handle } = withdrawal({ submit: 'refused', executed: false });
    const cause = await failureOf((await handle).result());
    expect((cause?.cause as ApplicationFailure).type).toBe('InsufficientCollateral');
    expect(log.of('releaseWithdrawal')).toEqual([expect.objectContaining({ id: workflowId })]);
    expect(log.of('settleWithdrawal')).toEqual([]);
    expect(await t.stepsOf(workflowId)).toContain('resolved:completed');
  });

  it('settles what executed even though its sender heard a failure', async () => {
    const { handle } = withdrawal({ submit: 'lost', executed: true });
    expect(await (await handle).result()).toMatchObject({ signature: `sig-tx${n}`, collateralAfter: '900' });
    expect(log.of('settleWithdrawal')).toHaveLength(1);
    expect(log.of('releaseWithdrawal')).toEqual([]);
  });

  it('asks again while the outcome is unknown, and only then compensates', async () => {
    const { handle } = withdrawal({ submit: 'lost', executed: false, unknownFor: 2 });
    await failureOf((await handle).result());
    expect(resolutionAttempts).toBe(3);
    expect(log.names().slice(-4)).toContain('releaseWithdrawal');
  }, 30_000);

  // Timing-sensitive (a cancel while the submit is in flight): under a fully loaded machine it has failed
  // once in about ten full unit runs without a readable cause; one retry keeps CI honest about real failures.
  it("compensates an operator's cancel in a scope the cancel does not interrupt", { retry: 1 }, async () => {
    const { workflowId, handle } = withdrawal({ submit: 'hang', executed: false });
    const h = await handle;
    await t.waitForStep(workflowId, 'reserved');
    await h.cancel();
    const cause = await failureOf(h.result());
    expect(cause).toBeInstanceOf(CancelledFailure);
    expect(log.of('releaseWithdrawal')).toEqual([expect.objectContaining({ id: workflowId })]);
    expect(await t.stepsOf(workflowId)).toEqual(expect.arrayContaining(['resolved:completed', 'released:completed']));
  });

  it('keeps the original error when the compensation itself fails', async () => {
    const { workflowId, handle } = withdrawal({ submit: 'refused', executed: false, release: 'broken' });
    const cause = await failureOf((await handle).result());
    expect((cause?.cause as ApplicationFailure).type).toBe('InsufficientCollateral');
    expect(await t.stepsOf(workflowId)).toContain('released:failed');
  });
});
