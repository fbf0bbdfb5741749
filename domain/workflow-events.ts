/**
 * The progress events every workflow publishes, one per step, to the Redis Stream of the account it
 * acts for. Shared by activities (which write them), the API (which relays them) and the terminal.
 */
export const WORKFLOW_KINDS = [
  'probe',
  'deposit',
  'withdraw',
  'order',
  'funding',
  'liquidation',
  'reconciliation',
] as const;
export type WorkflowKind = (typeof WORKFLOW_KINDS)[number];

export type StepStatus = 'completed' | 'failed';
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface WorkflowEvent {
  /** Unique per (workflow, step, status): publishing the same key twice adds one stream entry. */
  eventKey: string;
  workflowId: string;
  kind: WorkflowKind;
  account: string;
  step: string;
  status: StepStatus;
  /** ISO-8601 time from the workflow's deterministic clock. */
  at: string;
  detail?: Record<string, string>;
}

/** The account stream used for platform-level workflows that act for no trader. */
export const SYSTEM_ACCOUNT = 'system';

export function accountStreamKey(prefix: string, account: string): string {
  return `${prefix}:events:${account}`;
}

/**
 * Every workflow event of every account, in one stream: what services that follow the whole platform
 * read (the risk monitor refreshes the accounts it names; later, alerting and market intelligence).
 */
export function firehoseStreamKey(prefix: string): string {
  return `${prefix}:firehose`;
}

/** Operators' alerts raised by the platform itself (a reconciliation that found a difference). */
export function alertStreamKey(prefix: string): string {
  return `${prefix}:alerts`;
}

/** The account of platform-level funding events for a market (ProgressTracker's account for funding). */
export const marketAccountOf = (marketIndex: number | string): string => `market-${marketIndex}`;

export function eventKeyOf(workflowId: string, step: string, status: StepStatus): string {
  return `${workflowId}|${step}|${status}`;
}

/** Whose events a run publishes: its workflow, its kind and the account whose stream they go to. */
export interface EventSource {
  workflowId: string;
  kind: WorkflowKind;
  account: string;
}

/** The event of one step of a run (an error's text, when the step failed, is its detail). */
export function stepEvent(
  source: EventSource,
  step: string,
  status: StepStatus,
  at: string,
  error?: string,
): WorkflowEvent {
  const { workflowId, kind, account } = source;
  return {
    eventKey: eventKeyOf(workflowId, step, status),
    workflowId,
    kind,
    account,
    step,
    status,
    at,
    ...(error ? { detail: { error } } : {}),
  };
}
