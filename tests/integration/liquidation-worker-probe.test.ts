import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, waitFor, type Harness } from '../support/harness';
import { startLocalnet, type Localnet } from '../support/localnet';
import { startServiceProcess, type WorkerProcess } from '../support/worker-process';
import type { ProbeResult } from '../../workflows/probe-workflow';

// The risk monitor with a keeper hosts the liquidation worker; as it starts, a probe on the liquidation
// queue pays the worker's one-time first-task costs before any crash, and tells operators it answers.
let ln: Localnet;
let h: Harness;
let monitor: WorkerProcess | undefined;

beforeAll(async () => {
  ln = await startLocalnet(1);
  const keeperFile = join(mkdtempSync(join(tmpdir(), 'qd-keeper-')), 'keeper.json');
  writeFileSync(keeperFile, JSON.stringify(ln.bootstrap.keeperKeypair), { mode: 0o600 });
  h = await startHarness(
    { QD_SOLANA_RPC_URLS: ln.rpcUrls.join(','), QD_KEEPER_KEYPAIR_FILE: keeperFile },
    { worker: false },
  );
  monitor = await startServiceProcess('services/risk-monitor/main.ts', h.env, 'risk monitor following prices');
}, 180_000);

afterAll(async () => {
  await monitor?.stop();
  await h?.close();
  await ln?.stop();
});

describe("the risk monitor's liquidation worker", () => {
  it('answers a probe on the liquidation queue as it starts', async () => {
    const queue = `${h.env.QD_TASK_QUEUE}-liquidations`;
    const probe = await waitFor('the liquidation worker to complete its start probe', async () => {
      for await (const w of h.temporal.workflow.list({
        query: `TaskQueue = '${queue}' AND WorkflowType = 'probeWorkflow' AND ExecutionStatus = 'Completed'`,
      }))
        return w;
      return undefined;
    });
    expect(probe.workflowId).toMatch(/^probe:liquidation-worker-/);
    const result = (await h.temporal.workflow.getHandle(probe.workflowId).result()) as ProbeResult;
    expect(result.dependencies).toEqual({ postgres: 'ok', redis: 'ok' });
    expect(monitor!.output()).toContain('liquidation worker answered its start probe');
  });
});
