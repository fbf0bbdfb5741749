// Where a workflow's time goes, read from its real history: how long its first workflow task waited, each
// activity's schedule-to-start and run time, each workflow task's queue and run time, and timers.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { summarize, type Summary } from './stats';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const ms = (t: HistoryEvent['eventTime']): number => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

export interface WorkflowTimes {
  totalMs: number;
  firstTaskWaitMs: number;
  /** Per activity type: [schedule-to-start, run]. */
  activities: { name: string; scheduleToStartMs: number; runMs: number; startedAtMs: number }[];
  workflowTasks: { queueMs: number; runMs: number }[];
  timers: number[];
  /** Events in the history, and of them markers (each local activity's result is one). */
  events: number;
  markers: number;
}

/** The times of one workflow, from its history. */
export function timesOf(events: HistoryEvent[]): WorkflowTimes {
  const at = new Map<number, number>();
  const names = new Map<number, string>();
  const out: WorkflowTimes = {
    totalMs: 0,
    firstTaskWaitMs: -1,
    activities: [],
    workflowTasks: [],
    timers: [],
    events: events.length,
    markers: 0,
  };
  const start = ms(events[0]?.eventTime);
  for (const e of events) {
    const id = Number(e.eventId);
    const t = ms(e.eventTime);
    at.set(id, t);
    if (e.activityTaskScheduledEventAttributes)
      names.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    if (e.workflowTaskStartedEventAttributes) {
      const scheduled = Number(e.workflowTaskStartedEventAttributes.scheduledEventId);
      if (out.firstTaskWaitMs < 0) out.firstTaskWaitMs = t - start;
      out.workflowTasks.push({ queueMs: t - (at.get(scheduled) ?? t), runMs: 0 });
    }
    if (e.workflowTaskCompletedEventAttributes) {
      const started = Number(e.workflowTaskCompletedEventAttributes.startedEventId);
      const last = out.workflowTasks.at(-1);
      if (last) last.runMs = t - (at.get(started) ?? t);
    }
    if (e.activityTaskCompletedEventAttributes) {
      const { scheduledEventId, startedEventId } = e.activityTaskCompletedEventAttributes;
      const scheduled = at.get(Number(scheduledEventId)) ?? t;
      const started = at.get(Number(startedEventId)) ?? t;
      out.activities.push({
        name: names.get(Number(scheduledEventId)) ?? '?',
        scheduleToStartMs: started - scheduled,
        runMs: t - started,
        startedAtMs: started - start,
      });
    }
    if (e.markerRecordedEventAttributes) out.markers += 1;
    if (e.timerFiredEventAttributes)
      out.timers.push(t - (at.get(Number(e.timerFiredEventAttributes.startedEventId)) ?? t));
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes)
      out.totalMs = t - start;
  }
  return out;
}

export interface Breakdown {
  workflows: number;
  totalMs: Summary;
  firstTaskWaitMs: Summary;
  /** The first workflow task (the one that schedules the chain work). */
  firstTaskRunMs: Summary;
  /** From the start to the first activity's start: what the durable layer adds before the chain work. */
  startToFirstActivityMs: Summary;
  workflowTaskQueueMs: Summary;
  workflowTaskRunMs: Summary;
  workflowTasksPerRun: Summary;
  timerMs: Summary;
  eventsPerRun: Summary;
  markersPerRun: Summary;
  activities: Record<string, { scheduleToStartMs: Summary; runMs: Summary }>;
}

/** Per-step times over a sample of workflows, each read from its history. */
export async function historyBreakdown(client: Client, workflowIds: readonly string[]): Promise<Breakdown> {
  const all: WorkflowTimes[] = [];
  for (const id of workflowIds) all.push(timesOf((await client.workflow.getHandle(id).fetchHistory()).events ?? []));
  const byActivity = new Map<string, { s: number[]; r: number[] }>();
  for (const w of all) {
    for (const a of w.activities) {
      const entry = byActivity.get(a.name) ?? { s: [], r: [] };
      entry.s.push(a.scheduleToStartMs);
      entry.r.push(a.runMs);
      byActivity.set(a.name, entry);
    }
  }
  return {
    workflows: all.length,
    totalMs: summarize(all.map((w) => w.totalMs)),
    firstTaskWaitMs: summarize(all.map((w) => w.firstTaskWaitMs)),
    firstTaskRunMs: summarize(all.map((w) => w.workflowTasks[0]?.runMs ?? 0)),
    startToFirstActivityMs: summarize(all.map((w) => w.activities[0]?.startedAtMs ?? 0)),
    workflowTaskQueueMs: summarize(all.flatMap((w) => w.workflowTasks.map((t) => t.queueMs))),
    workflowTaskRunMs: summarize(all.flatMap((w) => w.workflowTasks.map((t) => t.runMs))),
    workflowTasksPerRun: summarize(all.map((w) => w.workflowTasks.length)),
    timerMs: summarize(all.flatMap((w) => w.timers)),
    eventsPerRun: summarize(all.map((w) => w.events)),
    markersPerRun: summarize(all.map((w) => w.markers)),
    activities: Object.fromEntries(
      [...byActivity].map(([name, { s, r }]) => [name, { scheduleToStartMs: summarize(s), runMs: summarize(r) }]),
    ),
  };
}
