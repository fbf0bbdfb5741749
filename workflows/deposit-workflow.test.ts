// depositWorkflow's branches in seconds (dev server, stub activities): sent once, booked once, a refusal final.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { CallLog, startWorkflowTestEnv, type WorkflowTestEnv } from '../tests/support/workflow-env';
import type { UserTransactionCheck } from '../activities/deposits-withdrawals';

const log = new CallLog();
const stubs = { submit: 'ok' as 'ok' | 'refused' | 'flaky', flakyLeft: 0 };

const activities = {
  ...log.bookkeeping(),
  validateDepositTransaction: log.stub<UserTransactionCheck>('validateDepositTransaction', (tx: string) => {
    if (tx === 'garbage')
      throw ApplicationFailure.create({ type: 'InvalidUserTransaction', message: 'not a deposit', nonRetryable: true });
    return { signature: `sig-${tx}`, wallet: 'Wallet1', account: 'Account1', subAccountId: 0, amount: '250' };
  }),
  submitTransaction: log.stub('submitTransaction', (tx: string) => {
    if (stubs.submit === 'refused')
      throw ApplicationFailure.create({ type: 'AccountFrozen', message: 'the program refused', nonRetryable: true });
    if (stubs.submit === 'flaky' && stubs.flakyLeft-- > 0) throw new Error('RPC unavailable');
    return { signature: `sig-${tx}` };
  }),
  readCollateral: log.stub('readCollateral', () => ({ collateral: '1250', unsettledPnl: '3', slot: '9' })),
  recordDeposit: log.stub('recordDeposit', () => ({ inserted: true })),
};

let t: WorkflowTestEnv;
beforeAll(async () => {
  t = await startWorkflowTestEnv('deposit-branches', activities);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

let n = 0;
function deposit(tx: string, setup: Partial<typeof stubs> = {}) {
  Object.assign(stubs, { submit: 'ok', flakyLeft: 0 }, setup);
  log.clear();
  n += 1;
  const workflowId = `deposit:test-${n}`;
  return { workflowId, handle: t.start('depositWorkflow', workflowId, [{ signedTransaction: tx }]) };
}

describe('depositWorkflow branches (dev server, stub activities)', () => {
  it('submits, confirms and books the deposit with the balance it read', async () => {
    const { workflowId, handle } = deposit('tx1');
    expect(await (await handle).result()).toEqual({
      signature: 'sig-tx1',
      account: 'Account1',
      amount: '250',
      collateralAfter: '1250',
    });
    expect(await t.stepsOf(workflowId)).toEqual(
      ['validated', 'submitted', 'confirmed', 'recorded'].map((s) => `${s}:completed`),
    );
    expect(log.of('recordDeposit')).toEqual([
      expect.objectContaining({
        signature: 'sig-tx1',
        amount: '250',
        collateralAfter: '1250',
        balance: { collateral: '1250', unsettledPnl: '3', slot: '9' },
      }),
    ]);
  });

  it('retries the chain through an outage and sends it again (idempotent by signature)', async () => {
    const { handle } = deposit('tx2', { submit: 'flaky', flakyLeft: 2 });
    expect(await (await handle).result()).toMatchObject({ signature: 'sig-tx2' });
    expect(log.of('submitTransaction')).toHaveLength(3);
    expect(log.of('recordDeposit')).toHaveLength(1);
  }, 30_000);

  it("ends on the program's refusal with its name, booking nothing", async () => {
    const { workflowId, handle } = deposit('tx3', { submit: 'refused' });
    const err = await (await handle).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause?.cause as ApplicationFailure).type).toBe('AccountFrozen');
    expect(log.of('recordDeposit')).toEqual([]);
    expect(await t.stepsOf(workflowId)).toContain('submitted:failed');
  });

  it('refuses a transaction that is not a deposit before anything is sent', async () => {
    const { handle } = deposit('garbage');
    const err = await (await handle).result().catch((e: unknown) => e);
    expect(((err as WorkflowFailedError).cause?.cause as ApplicationFailure).type).toBe('InvalidUserTransaction');
    expect(log.names()).not.toContain('submitTransaction');
  });
});
