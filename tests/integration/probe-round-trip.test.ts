import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { workflowRuns } from '../../drizzle/schema';
import { accountStreamKey, SYSTEM_ACCOUNT, type WorkflowEvent } from '../../domain/workflow-events';
import { QdKind, QdStatus, type Progress } from '../../workflows/definitions';
import { operatorHeaders, startHarness, waitFor, type Harness } from '../support/harness';
import { recordHistory } from '../support/histories';
import { Keypair } from '@solana/web3.js';
import { asWallet } from '../support/auth';

/** Probes act for the platform (account "system"): an operator reads their progress. */
const operator = Keypair.generate();

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ QD_OPERATOR_WALLETS: operator.publicKey.toBase58() });
});
afterAll(async () => {
  await h?.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${h.apiUrl}${path}`, {
    method: 'POST',
    headers: operatorHeaders(),
    body: JSON.stringify(body),
  });

async function completedProgress(workflowId: string): Promise<Progress> {
  return waitFor(`${workflowId} to complete`, async () => {
    const res = await asWallet(h.apiUrl, operator, `/v1/workflows/${encodeURIComponent(workflowId)}`);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { progress: Progress };
    return body.progress.status === 'completed' ? body.progress : undefined;
  });
}

describe('a probe travels API -> Temporal -> worker -> Postgres/Redis and back', () => {
  it('runs the workflow on the real server and reports every step', async () => {
    const probeId = `rt-${h.id}`;
    const res = await post('/v1/probes', { probeId });
    expect(res.status).toBe(202);
    const started = (await res.json()) as { workflowId: string; runId: string; existing: boolean };
    expect(started).toMatchObject({ workflowId: `probe:${probeId}`, existing: false });

    const progress = await completedProgress(started.workflowId);
    expect(progress.steps.map((s) => [s.step, s.status])).toEqual([['dependencies-checked', 'completed']]);

    const result = await h.temporal.workflow.getHandle(started.workflowId).result();
    expect(result).toMatchObject({ probeId, dependencies: { postgres: 'ok', redis: 'ok' } });

    const description = await h.temporal.workflow.getHandle(started.workflowId).describe();
    expect(description.typedSearchAttributes.get(QdKind)).toBe('probe');
    expect(description.typedSearchAttributes.get(QdStatus)).toBe('completed');
    expect(description.taskQueue).toBe(h.config.temporal.taskQueue);

    const rows = await h.db.select().from(workflowRuns).where(eq(workflowRuns.businessKey, started.workflowId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      workflowId: started.workflowId,
      runId: started.runId,
      kind: 'probe',
      status: 'completed',
    });

    const entries = await h.redis.xrange(accountStreamKey(h.config.streamPrefix, SYSTEM_ACCOUNT), '-', '+');
    const events = entries.map(([, fields]) => JSON.parse(fields[1]!) as WorkflowEvent);
    expect(events.filter((e) => e.workflowId === started.workflowId).map((e) => e.step)).toEqual([
      'dependencies-checked',
    ]);
    await recordHistory(h.temporal, started.workflowId, 'probe');
  });

  it('finds the existing workflow when the same request is repeated, and starts nothing new', async () => {
    const probeId = `dup-${h.id}`;
    const first = (await (await post('/v1/probes', { probeId })).json()) as { workflowId: string; runId: string };
    await completedProgress(first.workflowId);

    const again = await post('/v1/probes', { probeId });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ workflowId: first.workflowId, runId: first.runId, existing: true });

    const runs: string[] = [];
    for await (const wf of h.temporal.workflow.list({ query: `WorkflowId = "${first.workflowId}"` }))
      runs.push(wf.runId);
    expect(runs).toEqual([first.runId]);
    const rows = await h.db.select().from(workflowRuns).where(eq(workflowRuns.businessKey, first.workflowId));
    expect(rows).toHaveLength(1);
  });

  it('lets operators find workflows by search attribute', async () => {
    const probeId = `sa-${h.id}`;
    const { workflowId } = (await (await post('/v1/probes', { probeId })).json()) as { workflowId: string };
    await h.temporal.workflow.getHandle(workflowId).result();
    const query = `QdKind = "probe" AND QdStatus = "completed" AND TaskQueue = "${h.config.temporal.taskQueue}"`;
    const found = await waitFor('visibility to index the probe', async () => {
      const ids: string[] = [];
      for await (const wf of h.temporal.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.includes(workflowId) ? ids : undefined;
    });
    expect(found).toContain(workflowId);
  });
});
