// MIKEY's insights (services/mikey/), as MIKEY writes them and as the API serves them to the terminal.

export type InsightKind =
  | 'volatility-regime'
  | 'return-anomaly'
  | 'liquidation-cascade'
  | 'funding-extreme'
  | 'basis'
  | 'oi-quadrant'
  | 'crowding'
  | 'liquidation-cluster'
  | 'volume-anomaly'
  | 'spread-anomaly'
  | 'outside-basis'
  | 'oracle-health';

/** What made an insight fire, enough to check it by hand. */
export interface InsightWorkings {
  formula: string;
  window: string;
  threshold: string;
  inputs: Record<string, string | number>;
}

/**
 * One insight as MIKEY writes it (the `insights` table and `<prefix>:insights:<market>`): what fired, with
 * its workings. `id` is deterministic (market, kind, time), so a replay writes the same rows.
 */
export interface Insight extends InsightWorkings {
  id: string;
  market: string;
  kind: InsightKind;
  at: string;
  summary: string;
  value: number;
}

/** An insight as the API serves it and the terminal shows it: its workings grouped. */
export interface InsightView {
  id: string;
  kind: string;
  at: string;
  summary: string;
  value: number;
  workings: InsightWorkings;
}

export function workingsOf({ formula, window, threshold, inputs }: InsightWorkings): InsightWorkings {
  return { formula, window, threshold, inputs };
}

export function insightView(i: Insight): InsightView {
  return { id: i.id, kind: i.kind, at: i.at, summary: i.summary, value: i.value, workings: workingsOf(i) };
}
