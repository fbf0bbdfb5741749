import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { ReconciliationReport } from '../activities/reconciliation';

type History = temporal.api.history.v1.IHistory;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

export interface TimelineEntry {
  at: string;
  event: string;
  activity?: string;
  input?: unknown;
  output?: unknown;
  failure?: string;
}

export interface WorkflowAudit {
  workflowId: string;
  workflowType: string;
  status: 'completed' | 'failed' | 'running' | 'cancelled' | 'terminated' | 'timed-out';
  input: unknown;
  result?: unknown;
  /** Every Solana signature that appears in an activity's output. */
  chainSignatures: string[];
  /** Activities that wrote rows (db activities), with what they were given. */
  rowsWritten: { activity: string; input: unknown; output: unknown }[];
  timeline: TimelineEntry[];
}

/** The activities that write Postgres rows (the ledger), as the audit lists them. */
const DB_ACTIVITIES = new Set([
  'recordWorkflowRun',
  'recordWorkflowRuns',
  'recordDeposit',
  'recordOrderFill',
  'recordOrderClosed',
  'recordOrderRejected',
  'recordOrderResting',
  'recordOrderTrigger',
  'acceptOrder',
  'settleOrderFill',
  'recordFundingRate',
  'recordFundingPayments',
  'recordLiquidation',
  'recordLiquidations',
  'reserveWithdrawal',
  'settleWithdrawal',
  'releaseWithdrawal',
]);
const decode = (payloads: Payloads): unknown => {
  const list = payloads?.payloads ?? [];
  const values = list.map((p) => defaultPayloadConverter.fromPayload(p as never));
  return values.length <= 1 ? values[0] : values;
};
const timeOf = (t: temporal.api.history.v1.IHistoryEvent['eventTime']): string =>
  new Date(Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6)).toISOString();

/** A readable account of one workflow run, built from its history alone (no server, no code). */
export function auditFromHistory(workflowId: string, history: History): WorkflowAudit {
  const scheduled = new Map<string, { activity: string; input: unknown }>();
  const audit: WorkflowAudit = {
    workflowId,
    workflowType: '',
    status: 'running',
    input: undefined,
    chainSignatures: [],
    rowsWritten: [],
    timeline: [],
  };
  for (const e of history.events ?? []) {
    const at = timeOf(e.eventTime);
    const id = String(e.eventId);
    if (e.workflowExecutionStartedEventAttributes) {
      const a = e.workflowExecutionStartedEventAttributes;
      audit.workflowType = a.workflowType?.name ?? '';
      audit.input = decode(a.input);
      audit.timeline.push({ at, event: 'started', input: audit.input });
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      scheduled.set(id, { activity: a.activityType?.name ?? '', input: decode(a.input) });
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      const s = scheduled.get(String(a.scheduledEventId)) ?? { activity: '?', input: undefined };
      const output = decode(a.result);
      audit.timeline.push({ at, event: 'activity completed', activity: s.activity, input: s.input, output });
      collectSignatures(output, audit.chainSignatures);
      if (DB_ACTIVITIES.has(s.activity)) audit.rowsWritten.push({ activity: s.activity, input: s.input, output });
    } else if (e.activityTaskFailedEventAttributes) {
      const a = e.activityTaskFailedEventAttributes;
      const s = scheduled.get(String(a.scheduledEventId)) ?? { activity: '?', input: undefined };
      audit.timeline.push({
        at,
        event: 'activity failed',
        activity: s.activity,
        input: s.input,
        failure: a.failure?.message ?? '',
      });
    } else if (e.markerRecordedEventAttributes) {
      const m = e.markerRecordedEventAttributes;
      const detail = (key: string) => decode(m.details?.[key]);
      if (m.markerName === 'core_local_activity') {
        // Local activities (bookkeeping, an order's steps and its fill) record their type and result in a
        // marker; their input is not kept.
        const activity = (detail('data') as { activity_type?: string } | undefined)?.activity_type ?? '?';
        const output = detail('result');
        if (m.failure) {
          audit.timeline.push({ at, event: 'local activity failed', activity, failure: m.failure.message ?? '' });
        } else {
          audit.timeline.push({ at, event: 'local activity completed', activity, output });
          collectSignatures(output, audit.chainSignatures);
          if (DB_ACTIVITIES.has(activity)) audit.rowsWritten.push({ activity, input: undefined, output });
        }
      } else if (m.markerName === 'core_patch') {
        audit.timeline.push({ at, event: 'code version (patch)', output: detail('patch-data') });
      }
    } else if (e.upsertWorkflowSearchAttributesEventAttributes) {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {};
      const values = Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [k, defaultPayloadConverter.fromPayload(v as never)]),
      );
      audit.timeline.push({ at, event: 'search attributes', output: values });
    } else if (e.workflowExecutionCompletedEventAttributes) {
      audit.status = 'completed';
      audit.result = decode(e.workflowExecutionCompletedEventAttributes.result);
      audit.timeline.push({ at, event: 'completed', output: audit.result });
    } else if (e.workflowExecutionFailedEventAttributes) {
      audit.status = 'failed';
      audit.timeline.push({
        at,
        event: 'failed',
        failure: e.workflowExecutionFailedEventAttributes.failure?.message ?? '',
      });
    } else if (e.workflowExecutionCanceledEventAttributes) {
      audit.status = 'cancelled';
      audit.timeline.push({ at, event: 'cancelled' });
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      audit.status = 'terminated';
      audit.timeline.push({
        at,
        event: 'terminated',
        failure: e.workflowExecutionTerminatedEventAttributes.reason ?? '',
      });
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      audit.status = 'timed-out';
      audit.timeline.push({ at, event: 'timed out' });
    }
  }
  return audit;
}

function collectSignatures(value: unknown, out: string[]): void {
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'signature' && typeof v === 'string' && !out.includes(v)) out.push(v);
    else collectSignatures(v, out);
  }
}

const brief = (v: unknown): string => {
  if (v === undefined) return '';
  const text = JSON.stringify(v);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

/** Markdown for auditors: one section per workflow, a timeline table, signatures and rows written. */
export function auditMarkdown(title: string, audits: WorkflowAudit[], replay?: Map<string, string | null>): string {
  const lines = [`# ${title}`, ''];
  for (const a of audits) {
    lines.push(`## ${a.workflowType} \`${a.workflowId}\` — ${a.status}`, '');
    if (replay?.has(a.workflowId)) {
      const error = replay.get(a.workflowId);
      lines.push(
        error
          ? `Replay against the current code: **NOT deterministic** — ${error}`
          : 'Replay against the current code: deterministic.',
        '',
      );
    }
    lines.push(
      `Chain signatures: ${a.chainSignatures.length ? a.chainSignatures.map((s) => `\`${s}\``).join(', ') : 'none'}`,
      '',
    );
    lines.push(
      `Rows written: ${a.rowsWritten.length ? a.rowsWritten.map((r) => `${r.activity} ${brief(r.input)}`).join('; ') : 'none'}`,
      '',
    );
    lines.push('| time | event | activity | input | output / failure |', '|---|---|---|---|---|');
    for (const t of a.timeline) {
      lines.push(
        `| ${t.at} | ${t.event} | ${t.activity ?? ''} | ${brief(t.input).replace(/\|/g, '\\|')} | ${(t.failure ?? brief(t.output)).replace(/\|/g, '\\|')} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** A reconciliation report for auditors: the totals side by side, then every difference found. */
export function reconciliationMarkdown(r: ReconciliationReport): string {
  const lines = [
    `# Reconciliation \`${r.reportId}\` at ${r.at}`,
    '',
    `Chain slot ${r.slot}; ${r.accountsChecked} sub-accounts compared; **${r.differenceCount === 0 ? 'no differences' : `${r.differenceCount} difference(s)`}**.`,
    '',
    '| total | chain | books |',
    '|---|---|---|',
    `| vault | ${r.totals.chain.vault} | ${BigInt(r.totals.books.deposited) - BigInt(r.totals.books.withdrawn)} (deposited ${r.totals.books.deposited} - withdrawn ${r.totals.books.withdrawn}) |`,
    `| insurance fund | ${r.totals.chain.insuranceFund} | ${r.totals.books.insuranceFund} |`,
    `| PnL pool | ${r.totals.chain.pnlPool} | (vault - collateral - insurance fund in the books) |`,
    `| collateral | ${r.totals.chain.collateral} | ${r.totals.books.collateral} |`,
    '',
  ];
  if (r.differences.length) {
    lines.push('| account | field | chain | books |', '|---|---|---|---|');
    for (const d of r.differences) lines.push(`| \`${d.account}\` | ${d.field} | ${d.chain} | ${d.books} |`);
    if (r.differenceCount > r.differences.length)
      lines.push(
        '',
        `(${r.differenceCount - r.differences.length} more in the report row \`reconciliation_reports.id = '${r.reportId}'\`)`,
      );
    lines.push('');
  }
  return lines.join('\n');
}
