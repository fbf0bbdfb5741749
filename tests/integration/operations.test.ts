import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { auditMarkdown } from '../../temporal/audit-report';
import { listWorkflows, replayWorkflow, retryWorkflow, visibilityQuery } from '../../temporal/operations';
import { QdAccount, QdKind, QdStatus } from '../../workflows/definitions';
import { Keypair } from '@solana/web3.js';
import { operatorHeaders, startHarness, waitFor, type Harness } from '../support/harness';
import { asWallet } from '../support/auth';

let h: Harness;
const OPERATOR = 'operator-token-for-tests-0123456789';
beforeAll(async () => {
  h = await startHarness({ QD_OPERATOR_TOKEN: OPERATOR });
});
afterAll(async () => {
  await h?.close();
});

describe('operator and auditor tools on the real Temporal server', () => {
  it('lists workflows by search attribute, and replays one deterministically into a readable report', async () => {
    const res = await fetch(`${h.apiUrl}/v1/probes`, {
      method: 'POST',
      headers: operatorHeaders(OPERATOR),
      body: JSON.stringify({ probeId: `ops-${h.id}` }),
    });
    const { workflowId } = (await res.json()) as { workflowId: string };
    await h.temporal.workflow.getHandle(workflowId).result();
    const found = await waitFor('visibility to index the probe', async () => {
      const runs = await listWorkflows(h.temporal, {
        kind: 'probe',
        status: 'completed',
        from: new Date(Date.now() - 60_000).toISOString(),
      });
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
      workflowId,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ signedTransaction: Buffer.from('garbage').toString('base64') }],
      typedSearchAttributes: [
        { key: QdAccount, value: 'ops-test' },
        { key: QdKind, value: 'deposit' },
        { key: QdStatus, value: 'running' },
      ],
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

  it('serves the same tools to operators over the API, behind their token', async () => {
    const res = await fetch(`${h.apiUrl}/v1/probes`, {
      method: 'POST',
      headers: operatorHeaders(OPERATOR),
      body: JSON.stringify({ probeId: `adm-${h.id}` }),
    });
    const { workflowId } = (await res.json()) as { workflowId: string };
    await h.temporal.workflow.getHandle(workflowId).result();
    const admin = (path: string, init: RequestInit = {}, token = OPERATOR) =>
      fetch(`${h.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });
    expect((await admin('/v1/admin/workflows', {}, 'wrong-token')).status).toBe(401);
    expect((await fetch(`${h.apiUrl}/v1/admin/workflows`)).status).toBe(401);
    expect((await admin('/v1/admin/workflows?kind=nonsense')).status).toBe(400);
    const listed = await waitFor('the probe in the admin list', async () => {
      const body = (await (await admin('/v1/admin/workflows?kind=probe&status=completed')).json()) as {
        workflows: { workflowId: string; temporalUi: string }[];
      };
      return body.workflows.find((w) => w.workflowId === workflowId);
    });
    expect(listed.temporalUi).toContain(encodeURIComponent(workflowId));
    expect(
      (
        (await (await admin(`/v1/admin/workflows/${encodeURIComponent(workflowId)}/progress`)).json()) as {
          status: string;
        }
      ).status,
    ).toBe('completed');
    expect(
      (await admin(`/v1/admin/workflows/${encodeURIComponent(workflowId)}/retry`, { method: 'POST' })).status,
    ).toBe(409); // completed runs are not retried
    // Every principal is checked for what it does: the service token never changes a market, and a probe
    // (it starts a workflow) needs an operator.
    const pause = await fetch(`${h.apiUrl}/v1/admin/markets/SOL-PERP/pause`, {
      method: 'POST',
      headers: operatorHeaders(OPERATOR),
      body: JSON.stringify({ paused: true }),
    });
    expect(pause.status).toBe(403);
    const anonymous = await fetch(`${h.apiUrl}/v1/probes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ probeId: `anon-${h.id}` }),
    });
    expect(anonymous.status).toBe(401);
    expect(
      (await asWallet(h.apiUrl, Keypair.generate(), '/v1/probes', { body: { probeId: `t-${h.id}` } })).status,
    ).toBe(403);
    await expect(h.temporal.workflow.getHandle(`probe:anon-${h.id}`).describe()).rejects.toThrow();
  });

  it('builds visibility queries that cannot be broken out of', () => {
    expect(visibilityQuery({ account: 'a" OR "1"="1', kind: 'deposit' })).toBe(
      '(QdAccount = "a OR 1=1" OR QdAccounts = "a OR 1=1") AND QdKind = "deposit"',
    );
  });
});
