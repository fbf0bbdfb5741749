import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './localnet';
import { waitFor } from './harness';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Monitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Prometheus' instant query: the result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Alertmanager's active alerts named `alertname`. */
  alerts(alertname: string): Promise<{ labels: Record<string, string>; status: { state: string } }[]>;
  stop(): Promise<void>;
}

/**
 * Prometheus and Alertmanager (Debian's binaries) for one test, on the repository's own configuration
 * (monitoring/*.yml rendered with envsubst as `npm start` renders it) pointed at the test's processes,
 * scraping and evaluating every second; Alertmanager posts to the test API's webhook.
 */
export async function startMonitoring(targets: {
  apiPort: number;
  workerMetricsPort: number;
  riskMonitorMetricsPort: number;
  webhookUrl: string;
  webhookToken: string;
  /** Prometheus' port, when the API must know it beforehand (QD_PROMETHEUS_URL); otherwise a free one. */
  prometheusPort?: number;
}): Promise<Monitoring> {
  const dir = mkdtempSync(join(tmpdir(), 'qd-monitoring-'));
  const [prometheusPort, alertmanagerPort] = [targets.prometheusPort ?? (await freePort()), await freePort()];
  const tokenFile = join(dir, 'webhook-token');
  writeFileSync(tokenFile, targets.webhookToken, { mode: 0o600 });
  const env = {
    ...process.env,
    QD_ROOT: root,
    QD_SCRAPE_INTERVAL: '1s',
    QD_API_PORT: String(targets.apiPort),
    QD_WORKER_METRICS_PORT: String(targets.workerMetricsPort),
    QD_WORKER_SDK_METRICS_PORT: '1',
    QD_RISK_MONITOR_METRICS_PORT: String(targets.riskMonitorMetricsPort),
    QD_PRICE_FEED_METRICS_PORT: '1',
    QD_MIKEY_METRICS_PORT: '1',
    QD_TEMPORAL_METRICS_PORT: '1',
    QD_PROMETHEUS_PORT: String(prometheusPort),
    QD_ALERTMANAGER_PORT: String(alertmanagerPort),
    QD_ALERT_WEBHOOK_URL: targets.webhookUrl,
    QD_ALERT_WEBHOOK_TOKEN_FILE: tokenFile,
  };
  for (const name of ['prometheus.yml', 'alertmanager.yml']) {
    const rendered = spawnSync('envsubst', { input: readRepo(name), env, encoding: 'utf8' });
    if (rendered.status !== 0) throw new Error(`envsubst ${name}: ${rendered.stderr}`);
    // The test's Alertmanager groups and repeats faster than the stack's (2 s / 10 s).
    const text =
      name === 'alertmanager.yml'
        ? rendered.stdout.replace('group_interval: 10s', 'group_interval: 1s')
        : rendered.stdout;
    writeFileSync(join(dir, name), text);
  }
  const children: ChildProcess[] = [
    spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'prometheus')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ],
      { stdio: 'ignore' },
    ),
    spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'alertmanager')}`,
        `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
        '--cluster.listen-address=',
      ],
      { stdio: 'ignore' },
    ),
  ];
  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  const alertmanagerUrl = `http://127.0.0.1:${alertmanagerPort}`;
  await ready(`${prometheusUrl}/-/ready`);
  await ready(`${alertmanagerUrl}/-/ready`);
  return {
    prometheusUrl,
    alertmanagerUrl,
    async query(promql) {
      const res = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`);
      const body = (await res.json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data.result;
    },
    async alerts(alertname) {
      const res = await fetch(
        `${alertmanagerUrl}/api/v2/alerts?${new URLSearchParams({ filter: `alertname="${alertname}"` })}`,
      );
      return (await res.json()) as { labels: Record<string, string>; status: { state: string } }[];
    },
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

function readRepo(name: string): string {
  return readFileSync(join(root, 'monitoring', name), 'utf8');
}

/** Waits until `url` answers 2xx (Prometheus' and Alertmanager's /-/ready). */
async function ready(url: string): Promise<void> {
  await waitFor(
    url,
    () =>
      fetch(url).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    30_000,
  );
}
