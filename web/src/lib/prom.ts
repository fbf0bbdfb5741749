/** One series of a Prometheus range answer (resultType "matrix"). */
export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** A panel's query: its PromQL, how a series is named in the legend, and a factor applied for display. */
export interface PanelQuery {
  expr: string;
  /** The label whose value names each series (otherwise `name`). */
  legendLabel?: string;
  name: string;
  /** Display factor (e.g. 1e-6 for QUOTE units to USDC): metrics are drawn, never used for money. */
  scale?: number;
}

export interface AlignedSeries {
  label: string;
  values: (number | null)[];
}

/**
 * Prometheus range answers on one time axis for uPlot: every step from `start` to `end` (seconds), each
 * series with null where Prometheus had no sample (a gap, not a zero).
 */
export function alignSeries(
  answers: { query: PanelQuery; result: PromSeries[] }[],
  start: number,
  end: number,
  step: number,
): { times: number[]; series: AlignedSeries[] } {
  const times: number[] = [];
  for (let t = start; t <= end; t += step) times.push(t);
  const index = new Map(times.map((t, i) => [t, i]));
  const series: AlignedSeries[] = [];
  for (const { query, result } of answers) {
    for (const s of result) {
      const values: (number | null)[] = times.map(() => null);
      for (const [t, v] of s.values) {
        const i = index.get(t);
        const n = Number(v);
        if (i !== undefined && Number.isFinite(n)) values[i] = n * (query.scale ?? 1);
      }
      const label = query.legendLabel ? (s.metric[query.legendLabel] ?? query.name) : query.name;
      series.push({ label: query.legendLabel ? [query.name, label].filter(Boolean).join(' ') : label, values });
    }
  }
  return { times, series };
}

/** The range a panel shows: the last `minutes`, on whole steps (so that every query shares the timestamps). */
export function rangeEndingAt(nowMs: number, minutes: number, step: number): { start: number; end: number } {
  const end = Math.floor(nowMs / 1000 / step) * step;
  return { start: end - minutes * 60, end };
}
