import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowRuns } from '../../drizzle/schema';
import { operatorHeaders, startHarness, waitFor, type Harness } from '../support/harness';
import { Keypair } from '@solana/web3.js';
import { asWallet } from '../support/auth';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const postRaw = (body: string, headers: Record<string, string> = operatorHeaders()) =>
  fetch(`${h.apiUrl}/v1/probes`, { method: 'POST', headers, body });

async function workflowsOnQueue(): Promise<number> {
  let count = 0;
  for await (const _ of h.temporal.workflow.list({ query: `TaskQueue = "${h.config.temporal.taskQueue}"` })) count++;
  return count;
}

describe('the API gateway', () => {
  it('reports every dependency on GET /health', async () => {
    // The server lists a poller only once the freshly started worker's first poll has arrived.
    const res = await waitFor('the worker to be seen polling', async () => {
      const r = await fetch(`${h.apiUrl}/health`);
      return r.status === 200 ? r : undefined;
    });
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks).sort()).toEqual(['postgres', 'redis', 'temporal', 'worker']);
    expect(Object.values(body.checks).every((c) => c.ok)).toBe(true);
  });

  it.each([
    ['malformed JSON', '{"probeId":', 400, 'invalid_json'],
    ['a wrongly typed field', JSON.stringify({ probeId: 42 }), 400, 'invalid_request'],
    ['a missing field', JSON.stringify({}), 400, 'invalid_request'],
    ['an unknown field', JSON.stringify({ probeId: 'ok-id', extra: true }), 400, 'invalid_request'],
    ['a forbidden character', JSON.stringify({ probeId: 'a b' }), 400, 'invalid_request'],
    ['an oversized body', JSON.stringify({ probeId: 'x'.repeat(70_000) }), 413, 'payload_too_large'],
  ])('rejects %s with a JSON 4xx and starts nothing', async (_name, body, status, code) => {
    const res = await postRaw(body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(json.error.code).toBe(code);
    expect(json.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(await workflowsOnQueue()).toBe(0);
    expect(await h.db.select().from(workflowRuns)).toEqual([]);
  });

  it('answers unknown routes with the same JSON error shape', async () => {
    const res = await fetch(`${h.apiUrl}/v1/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('answers an unknown workflow with 404', async () => {
    const res = await asWallet(h.apiUrl, Keypair.generate(), `/v1/workflows/probe:does-not-exist-${h.id}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('workflow_not_found');
  });

  it('keeps a caller-supplied request ID and invents one otherwise', async () => {
    const given = await fetch(`${h.apiUrl}/health`, { headers: { 'x-request-id': 'trace-abc-123456' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123456');
    const invented = await fetch(`${h.apiUrl}/health`, { headers: { 'x-request-id': 'bad id!' } });
    expect(invented.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const res = await fetch(`${h.apiUrl}/health`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('GET /health when a dependency is down', () => {
  let degraded: Harness;
  afterAll(async () => {
    await degraded?.close();
  });

  it('answers 503 and names the missing worker', async () => {
    // A task queue nobody polls: the API's view of the worker must say so.
    degraded = await startHarness();
    const { createApp } = await import('../../api/app');
    const { createServer } = await import('node:http');
    const { createLogger } = await import('../../platform/logger');
    const app = createApp({
      config: { ...degraded.config, temporal: { ...degraded.config.temporal, taskQueue: `nobody-${degraded.id}` } },
      logger: createLogger({ level: 'silent', name: 'api-degraded' }),
      pool: degraded.pool,
      redis: degraded.redis,
      temporal: degraded.temporal,
    });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
      expect(res.status).toBe(503);
      expect(body.status).toBe('degraded');
      expect(body.checks.worker).toMatchObject({ ok: false });
      expect(body.checks.worker?.detail).toContain(`nobody-${degraded.id}`);
      expect(body.checks.postgres?.ok).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('serves Prometheus metrics to the machine itself and to the operator token, labelled by route template', async () => {
    await fetch(`${h.apiUrl}/v1/markets`);
    await fetch(`${h.apiUrl}/v1/workflows/${encodeURIComponent('probe:nope')}`); // an ID never becomes a label
    const res = await fetch(`${h.apiUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/qd_api_requests_total\{route="\/v1\/markets",method="GET",status="\d{3}"\} \d+/);
    expect(text).toContain('qd_api_request_duration_seconds_bucket');
    expect(text).toContain('qd_api_process_cpu_seconds_total');
    expect(text).not.toContain('probe:nope');
    // Through the trusted proxy from elsewhere: only with the operator token.
    const remote = { 'x-forwarded-for': '203.0.113.9' };
    expect((await fetch(`${h.apiUrl}/metrics`, { headers: remote })).status).toBe(401);
    const withToken = await fetch(`${h.apiUrl}/metrics`, { headers: { ...remote, ...operatorHeaders() } });
    expect(withToken.status).toBe(200);
  });

  it('reports the services by their heartbeats and the reconciliation, and never shows a provider URL', async () => {
    const { createApp: createApi } = await import('../../api/app');
    const { createServer } = await import('node:http');
    const { createLogger } = await import('../../platform/logger');
    const { RpcPool } = await import('../../solana/rpc-pool');
    const { startHeartbeat } = await import('../../platform/heartbeat');
    // Providers that refuse every request, with an API key in their URLs as hosted RPCs put it.
    const secret = 'sk-live-0123456789abcdef';
    const urls = [`http://127.0.0.1:9/rpc?api-key=${secret}`, `http://127.0.0.1:9/${secret}/`];
    const app = createApi({
      config: {
        ...h.config,
        api: { ...h.config.api, healthServices: ['risk-monitor', 'price-feed', 'reconciliation'] },
      },
      logger: createLogger({ level: 'silent', name: 'api-health' }),
      pool: h.pool,
      redis: h.redis,
      temporal: h.temporal,
      rpcPool: new RpcPool(urls, { now: () => Date.now(), rounds: 1, requestTimeoutMs: 300 }),
    });
    const stop = startHeartbeat(h.redis, h.config.streamPrefix, 'risk-monitor', () => Date.now());
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      const text = await res.text();
      const body = JSON.parse(text) as { checks: Record<string, { ok: boolean; detail?: string }> };
      expect(res.status).toBe(503);
      expect(body.checks['risk-monitor']).toMatchObject({ ok: true, detail: '1 instance(s) alive' });
      expect(body.checks['price-feed']).toMatchObject({ ok: false, detail: 'never heard from (not started?)' });
      expect(body.checks.reconciliation).toMatchObject({ ok: true });
      expect(body.checks.reconciliation?.detail).toContain('no reconciliation yet');
      expect(body.checks.solana).toMatchObject({ ok: false, detail: 'no Solana provider answered (2 tried)' });
      expect(text).not.toContain(secret);
      expect(text).not.toContain('127.0.0.1:9');
      // Nor do its metrics.
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('qd_service_instances_alive{service="risk-monitor"} 1');
      expect(metrics).not.toContain(secret);
    } finally {
      stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
