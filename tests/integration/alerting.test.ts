// Alerting end to end (issue 13): Prometheus and Alertmanager (Debian's, on the repository's rules and
// configuration) watch this test's worker process, risk monitor process and API; real faults (the worker
// killed, the oracles left behind by the chain) raise alerts that reach Alertmanager, the API's webhook,
// Postgres and an operator's socket, and resolve when the fault ends. Then the operators' dashboard in
// Chromium: its panels drawn from Prometheus, an alert arriving live, acknowledged, resolved
// (screenshots in test-results/operations/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTerminal, type Terminal } from '../support/terminal';
import { Keypair } from '@solana/web3.js';
import { eq } from 'drizzle-orm';
import { io as connect, type Socket } from 'socket.io-client';
import { opsAlerts } from '../../drizzle/schema';
import { DEFAULT_MARKETS, INITIAL_PRICES } from '../../domain/perp';
import { startChainHarness } from '../support/perp-fixtures';
import { HARNESS_ALERT_WEBHOOK_TOKEN, waitFor, type Harness } from '../support/harness';
import { freePort } from '../support/localnet';
import { startMonitoring, type Monitoring } from '../support/monitoring';
import { startServiceProcess, type WorkerProcess } from '../support/worker-process';
import { asWallet, tokenOf } from '../support/auth';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const operator = Keypair.generate();
let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let monitoring: Monitoring;
let worker: WorkerProcess | null = null;
let monitor: WorkerProcess;
let socket: Socket;
let workerEnv: NodeJS.ProcessEnv;
const pushed: { name: string; status: string; labels: Record<string, string> }[] = [];
let terminal: Terminal | undefined;
const root = fileURLToPath(new URL('../..', import.meta.url));
const shots = join(root, 'test-results', 'operations');

beforeAll(async () => {
  const prometheusPort = await freePort();
  env = await startChainHarness(0n, {
    worker: false,
    env: {
      QD_OPERATOR_WALLETS: operator.publicKey.toBase58(),
      QD_PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}`,
    },
  });
  h = env.h;
  await publishAllPrices();
  const [workerMetricsPort, riskMonitorMetricsPort] = [await freePort(), await freePort()];
  // The worker and the risk monitor as npm start runs them, each serving /metrics on its own port.
  workerEnv = { ...h.env, QD_WORKER_METRICS_PORT: String(workerMetricsPort), QD_WORKER_SDK_METRICS_PORT: '0' };
  worker = await startServiceProcess('temporal/worker.ts', workerEnv, 'worker polling');
  monitor = await startServiceProcess(
    'services/risk-monitor/main.ts',
    { ...h.env, QD_RISK_MONITOR_METRICS_PORT: String(riskMonitorMetricsPort) },
    'risk monitor following prices',
  );
  monitoring = await startMonitoring({
    apiPort: Number(new URL(h.apiUrl).port),
    workerMetricsPort,
    riskMonitorMetricsPort,
    webhookUrl: `${h.apiUrl}/v1/admin/alerts/webhook`,
    webhookToken: HARNESS_ALERT_WEBHOOK_TOKEN,
    prometheusPort,
  });
  socket = connect(h.apiUrl, {
    auth: { token: await tokenOf(h.apiUrl, operator) },
    transports: ['websocket'],
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.on('alert', (a: { name: string; status: string; labels: Record<string, string> }) => pushed.push(a));
}, 240_000);

afterAll(async () => {
  await terminal?.close();
  socket?.disconnect();
  await monitoring?.stop();
  await worker?.stop();
  await monitor?.stop();
  await env?.stop();
});

/** Every market's oracle published at the current slot (fresh), as the price feed does. */
async function publishAllPrices() {
  for (const m of DEFAULT_MARKETS)
    await env.ln.control('/pyth', { marketIndex: m.marketIndex, price: INITIAL_PRICES.get(m.marketIndex)!.toString() });
}

const pushedAs = (name: string, status: string) => pushed.filter((a) => a.name === name && a.status === status);

describe('alerts from real faults', () => {
  it('scrapes every process of ours', async () => {
    const up = await waitFor('Prometheus to scrape the api, worker and risk monitor', async () => {
      const result = await monitoring.query('up{job=~"api|worker|risk-monitor"} == 1');
      return result.length === 3 ? result : undefined;
    });
    expect(up.map((r) => r.metric.job).sort()).toEqual(['api', 'risk-monitor', 'worker']);
    // The chain as the risk monitor reads it: the oracles, the protocol, the RPC providers.
    const age = await waitFor('oracle ages', async () => {
      const r = await monitoring.query('qd_oracle_age_slots');
      return r.length === DEFAULT_MARKETS.length ? r : undefined;
    });
    expect(age.every((r) => Number(r.value[1]) <= 25)).toBe(true);
    expect((await monitoring.query('qd_protocol_read_ok'))[0]?.value[1]).toBe('1');
    expect((await monitoring.query('qd_rpc_provider_circuit{state="closed"} == 1')).length).toBeGreaterThan(0);
    expect(
      (await monitoring.query(`qd_temporal_task_queue_pollers{queue="${h.config.temporal.taskQueue}"} > 0`)).length,
    ).toBeGreaterThan(0);
  });

  it('a killed worker raises WorkerDown in Alertmanager, on the webhook, in Postgres and on the operator socket; a new worker resolves it', async () => {
    await worker!.kill();
    worker = null;
    const firing = await waitFor(
      'WorkerDown in Alertmanager',
      async () => {
        const alerts = await monitoring.alerts('WorkerDown');
        return alerts.find((a) => a.status.state === 'active');
      },
      60_000,
    );
    expect(firing.labels).toMatchObject({ job: 'worker', severity: 'critical' });
    await waitFor('WorkerDown on the operator socket', async () => pushedAs('WorkerDown', 'firing')[0], 30_000);
    const [row] = await h.db.select().from(opsAlerts).where(eq(opsAlerts.name, 'WorkerDown'));
    expect(row).toMatchObject({ status: 'firing', severity: 'critical' });
    // Operators list it and acknowledge it; the acknowledgement reaches the socket too.
    const listed = (await (await asWallet(h.apiUrl, operator, '/v1/admin/alerts?status=firing')).json()) as {
      alerts: { fingerprint: string; name: string; startsAt: string }[];
    };
    const mine = listed.alerts.find((a) => a.name === 'WorkerDown')!;
    const ack = await asWallet(h.apiUrl, operator, `/v1/admin/alerts/${mine.fingerprint}/ack`, {
      body: { startsAt: mine.startsAt },
    });
    expect(ack.status).toBe(200);
    expect(((await ack.json()) as { acknowledgedBy: string }).acknowledgedBy).toBe(operator.publicKey.toBase58());

    worker = await startServiceProcess('temporal/worker.ts', workerEnv, 'worker polling');
    await waitFor(
      'WorkerDown resolved on the operator socket',
      async () => pushedAs('WorkerDown', 'resolved')[0],
      60_000,
    );
    const [resolved] = await h.db.select().from(opsAlerts).where(eq(opsAlerts.name, 'WorkerDown'));
    expect(resolved).toMatchObject({ status: 'resolved', acknowledgedBy: operator.publicKey.toBase58() });
    expect(resolved!.endsAt).not.toBeNull();
  });

  it('oracles left behind by the chain raise OracleStale per market; fresh prices resolve it', async () => {
    await env.ln.control('/advance', { slots: 100 }); // the chain moves on; no publisher follows
    const stale = await waitFor(
      'OracleStale for every market',
      async () => {
        const alerts = (await monitoring.alerts('OracleStale')).filter((a) => a.status.state === 'active');
        return alerts.length === DEFAULT_MARKETS.length ? alerts : undefined;
      },
      60_000,
    );
    expect(stale.map((a) => a.labels.market).sort()).toEqual(DEFAULT_MARKETS.map((m) => m.symbol).sort());
    await waitFor('OracleStale on the operator socket', async () =>
      pushedAs('OracleStale', 'firing').length >= DEFAULT_MARKETS.length ? true : undefined,
    );
    await publishAllPrices();
    await waitFor(
      'OracleStale resolved for every market',
      async () => (pushedAs('OracleStale', 'resolved').length >= DEFAULT_MARKETS.length ? true : undefined),
      60_000,
    );
    const rows = await h.db.select().from(opsAlerts).where(eq(opsAlerts.name, 'OracleStale'));
    expect(rows.map((r) => r.status)).toEqual(DEFAULT_MARKETS.map(() => 'resolved'));
  });

  it("refuses a webhook post without Alertmanager's token and writes nothing", async () => {
    const before = (await h.db.select().from(opsAlerts)).length;
    const body = JSON.stringify({ version: '4', status: 'firing', alerts: [] });
    const res = await fetch(`${h.apiUrl}/v1/admin/alerts/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenOf(h.apiUrl, operator)}` },
      body,
    });
    expect(res.status).toBe(401);
    expect((await h.db.select().from(opsAlerts)).length).toBe(before);
  });
});

describe("the operators' dashboard in Chromium", () => {
  it('draws its panels from Prometheus and shows an alert live: firing, acknowledged, resolved', async () => {
    // The terminal's dev server, proxying /v1 and /socket.io to this API, and Chromium.
    terminal = await openTerminal(h.apiUrl, { width: 1600, height: 1000 });
    const { webUrl, page } = terminal;
    mkdirSync(shots, { recursive: true });
    const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
    // The dev wallet holds the operator's key: signing in gives an operator session.
    const secret = JSON.stringify(Array.from(operator.secretKey));
    await page.addInitScript({ content: `localStorage.setItem('qd.devWallet', ${JSON.stringify(secret)});` });
    await page.goto(webUrl);
    await page.getByTestId('connect-dev').click();
    await page.getByTestId('wallet').waitFor();
    await page.locator('[data-testid=live].up').waitFor();
    await page.evaluate('location.hash = "panel=ops"');
    const dashboard = page.getByTestId('ops-dashboard');
    await dashboard.waitFor();

    // Six panels, each a uPlot canvas; the oracle panel's legend names every market.
    await page.locator('figure.metric canvas').nth(5).waitFor({ timeout: 30_000 });
    expect(await page.locator('figure.metric').count()).toBe(6);
    const oracle = page.locator('figure.metric[data-panel="Oracle age (slots)"] .u-legend');
    for (const m of DEFAULT_MARKETS) await oracle.getByText(m.symbol).waitFor({ timeout: 30_000 });
    // The earlier alerts, from Postgres, resolved.
    await dashboard.locator('tr[data-alert=OracleStale][data-status=resolved]').first().waitFor();
    await shot('01-dashboard');

    // A fault while the operator watches: the alert arrives over the socket, no reload.
    await worker!.kill();
    worker = null;
    const firing = dashboard.locator('tr[data-alert=WorkerDown][data-status=firing]');
    await firing.waitFor({ timeout: 60_000 });
    await shot('02-alert-firing');
    await firing.getByRole('button', { name: 'Acknowledge' }).click();
    await firing.getByText(operator.publicKey.toBase58().slice(0, 8)).waitFor({ timeout: 15_000 });
    worker = await startServiceProcess('temporal/worker.ts', workerEnv, 'worker polling');
    await firing.waitFor({ state: 'detached', timeout: 60_000 });
    await dashboard.locator('tr[data-alert=WorkerDown][data-status=resolved]').first().waitFor();
    await shot('03-alert-resolved');
  });
});
