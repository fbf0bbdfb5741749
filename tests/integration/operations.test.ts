import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { auditMarkdown } from '../../temporal/audit-report';
import { listWorkflows, replayWorkflow, retryWorkflow, visibilityQuery } from '../../temporal/operations';
import { QdAccount, QdKind, QdStatus } from '../../workflows/definitions';
import { startHarness, waitFor, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('operator and auditor tools on the real Temporal server', () => {
  it('lists workflows by search attribute, and replays one deterministically into a readable report', async () => {
    const res = await fetch(`${h.apiUrl}/v1/probes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ probeId: `ops-${h.id}` }) });
    const { workflowId } = (await res.json()) as { workflowId: string };
    await h.temporal.workflow.getHandle(workflowId).result();
    const found = await waitFor('visibility to index the probe', async () => {
      const runs = await listWorkflows(h.temporal, { kind: 'probe', status: 'completed', from: new Date(Date.now() - 60_000).toISOString() });
      return runs.some((r) => r.workflowId === workflowId) ? runs : undefined;
    });
    expect(found.map((r) => r.workflowId)).toContain(workflowId);

    const { audit, error } = await replayWorkflow(h.temporal, workflowId);
    expect(error).toBeNull();
    expect(audit.status).toBe('completed');
    const md = auditMarkdown('probe', [audit], new Map([[workflowId, error]]));
    expect(md).toContain('deterministic');
    expect(md).toContain('checkDependencies');
  });

  it('retries a failed workflow under the same ID with the same input', async () => {
    const workflowId = `deposit:ops-failed-${h.id}`;
    const handle = await h.temporal.workflow.start('depositWorkflow', {
      workflowId, taskQueue: h.config.temporal.taskQueue, args: [{ signedTransaction: Buffer.from('garbage').toString('base64') }],
      typedSearchAttributes: [{ key: QdAccount, value: 'ops-test' }, { key: QdKind, value: 'deposit' }, { key: QdStatus, value: 'running' }],
    });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const { runId } = await retryWorkflow(h.temporal, workflowId);
    expect(runId).not.toBe(handle.firstExecutionRunId);
    const retried = h.temporal.workflow.getHandle(workflowId, runId);
    await expect(retried.result()).rejects.toBeInstanceOf(WorkflowFailedError); // same input, same verdict
    const history = await retried.fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input;
    expect(input?.payloads).toHaveLength(1);
    await expect(retryWorkflow(h.temporal, `probe:never-${h.id}`)).rejects.toThrow();
  });

  it('builds visibility queries that cannot be broken out of', () => {
    expect(visibilityQuery({ account: 'a" OR "1"="1', kind: 'deposit' })).toBe('QdAccount = "a OR 1=1" AND QdKind = "deposit"');
  });
});
