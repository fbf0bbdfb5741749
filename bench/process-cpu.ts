import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of this machine's processes by the part of the platform each one is (Linux /proc): where a
 * benchmark's time went, as CPU-seconds, which a busy shared machine disturbs far less than it disturbs
 * latencies. A process that exits between two snapshots loses what it used since the first.
 */
export type CpuSnapshot = Map<number, { part: string; ticks: number }>;

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The platform's part a process is, from its command line (the bench itself by its pid). */
function partOf(pid: number, cmdline: string, comm: string): string {
  if (pid === process.pid) return 'bench';
  if (cmdline.includes('services/risk-monitor/main.ts')) return 'riskMonitor';
  if (cmdline.includes('temporal/worker.ts')) return 'worker';
  if (cmdline.includes('quantdesk-localnet')) return 'localnet';
  if (/temporal-server|temporal server|bin\/temporal /.test(cmdline)) return 'temporal';
  if (comm === 'postgres') return 'postgres';
  if (comm.startsWith('redis-server')) return 'redis';
  return 'other';
}

export function snapshotCpu(): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // After "(comm) ": state is field 3; utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      snapshot.set(pid, { part: partOf(pid, cmdline, comm), ticks });
    } catch {
      // The process ended while the snapshot was taken.
    }
  }
  return snapshot;
}

/** CPU-seconds each part used between two snapshots, largest first (processes started since count whole). */
export function cpuSecondsBetween(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const parts = new Map<string, number>();
  for (const [pid, { part, ticks }] of after) {
    const used = ticks - (before.get(pid)?.ticks ?? 0);
    if (used > 0) parts.set(part, (parts.get(part) ?? 0) + used / TICKS_PER_SECOND);
  }
  return Object.fromEntries(
    [...parts].sort(([, a], [, b]) => b - a).map(([part, seconds]) => [part, Math.round(seconds * 100) / 100]),
  );
}

/** CPU milliseconds per unit of work (an order, a liquidation, a workflow), by part and in all, to 0.1 ms. */
export function cpuMsPer(cpuSeconds: Record<string, number>, units: number): Record<string, number> {
  const ms = (seconds: number) => Math.round((seconds * 10_000) / Math.max(1, units)) / 10;
  const total = Object.values(cpuSeconds).reduce((a, b) => a + b, 0);
  return { total: ms(total), ...Object.fromEntries(Object.entries(cpuSeconds).map(([part, s]) => [part, ms(s)])) };
}
