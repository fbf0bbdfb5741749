// `npm run chaos`: the chaos suite on a private stack (its own Postgres, Redis, Temporal dev server and
// localnet on free loopback ports; nothing else on the machine is touched), one JSON report on stdout and
// in chaos-results/. Exits 1 when any scenario breaks a money check. Sizes: QD_CHAOS_TRADERS (40),
// QD_CHAOS_ORDERS_PER_TRADER (10), QD_CHAOS_PROBES (1500), QD_CHAOS_LIQUIDATIONS (20), QD_CHAOS_SCENARIOS
// (comma-separated; all by default).
import { mkdirSync, writeFileSync } from 'node:fs';
import { runChaos, SCENARIOS, type ScenarioName } from './chaos';

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const started = Date.now();
const result = await runChaos({
  traders: int('QD_CHAOS_TRADERS', 40),
  ordersPerTrader: int('QD_CHAOS_ORDERS_PER_TRADER', 10),
  probes: int('QD_CHAOS_PROBES', 1_500),
  liquidations: int('QD_CHAOS_LIQUIDATIONS', 20),
  postgresDownMs: 10_000,
  redisDownMs: 30_000,
  rpcFlapMs: 15_000,
  inFlightAtKill: 1_000,
  recoverWithinMs: 300_000,
  scenarios: (process.env.QD_CHAOS_SCENARIOS?.split(',') as ScenarioName[] | undefined) ?? SCENARIOS,
  log: (message) => console.error(message),
  logsDir: 'chaos-results/logs',
});
const report = { ...result, seconds: Math.round((Date.now() - started) / 1000) };
const text = `${JSON.stringify(report, null, 2)}\n`;
mkdirSync('chaos-results', { recursive: true });
writeFileSync('chaos-results/chaos.json', text);
process.stdout.write(text);
process.exit(result.ok ? 0 : 1);
