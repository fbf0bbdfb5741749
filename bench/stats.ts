/** Runs `op` n times in sequence and returns each duration in milliseconds. */
export async function timeEach(n: number, op: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await op();
    out.push(performance.now() - started);
  }
  return out;
}

/** Fires `run(i)` n times at `perSecond` (open loop, not waiting for one to end): each latency, the errors, the wall time. */
export async function offered(n: number, perSecond: number, run: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = started + (i * 1000) / perSecond;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const t0 = performance.now();
    all.push(
      run(i).then(
        () => void latencies.push(performance.now() - t0),
        (err: unknown) => void errors.push(String(err).slice(0, 200)),
      ),
    );
  }
  await Promise.all(all);
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    mean: round(mean),
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? 0),
  };
}
