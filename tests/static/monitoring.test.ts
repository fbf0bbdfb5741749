// The monitoring configuration against the code: every alert rule has a promtool test, Prometheus
// scrapes every process on the port that process serves by default, and the webhook is the API's route.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../platform/config';
import { API_ROUTES } from '../../api/app';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${root}/${path}`, 'utf8');

describe('monitoring/', () => {
  it('tests every alert rule with promtool, firing', () => {
    const rules = parse(read('monitoring/rules/quantdesk.yml')) as { groups: { rules: { alert: string }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    const tests = parse(read('monitoring/tests/quantdesk.test.yml')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length).map((a) => a.alertname)),
    );
    expect(alerts.length).toBeGreaterThanOrEqual(18);
    expect(alerts.filter((a) => !fired.has(a))).toEqual([]);
  });

  it("scrapes each process on the port it serves by default (lib.sh's defaults are the config's)", () => {
    const prometheus = read('monitoring/prometheus.yml');
    const lib = read('scripts/lib.sh');
    const defaults = loadConfig({}).metrics;
    const expected: Record<string, [string, number]> = {
      worker: ['QD_WORKER_METRICS_PORT', defaults.workerPort],
      'worker-sdk': ['QD_WORKER_SDK_METRICS_PORT', defaults.workerSdkPort],
      'risk-monitor': ['QD_RISK_MONITOR_METRICS_PORT', defaults.riskMonitorPort],
      'price-feed': ['QD_PRICE_FEED_METRICS_PORT', defaults.priceFeedPort],
      mikey: ['QD_MIKEY_METRICS_PORT', defaults.mikeyPort],
      api: ['QD_API_PORT', loadConfig({}).api.port],
    };
    const jobs = (
      parse(prometheus) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }
    ).scrape_configs;
    for (const [job, [variable, port]] of Object.entries(expected)) {
      const target = jobs.find((j) => j.job_name === job)?.static_configs[0]?.targets[0];
      expect(target, job).toBe(`127.0.0.1:\${${variable}}`);
      expect(lib, variable).toContain(`export ${variable}="\${${variable}:-${port}}"`);
    }
  });

  it("delivers alerts to the API's webhook route", () => {
    const route = API_ROUTES.find((r) => r.auth === 'alertmanager');
    expect(route?.path).toBe('/v1/admin/alerts/webhook');
    expect(read('scripts/lib.sh')).toContain(`/v1/admin/alerts/webhook`);
    expect(read('monitoring/alertmanager.yml')).toContain('send_resolved: true');
  });
});
