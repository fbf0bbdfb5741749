// Pure: imported by the liquidation batch workflow and by the activity that runs the episodes.
import { eventKeyOf, type WorkflowEvent } from '../domain/workflow-events';

export interface EpisodeEventsInput {
  /** The workflow that ran the episode. */
  workflowId: string;
  /** The liquidation's business key (liq:<account>:<market>:<episode>): events are unique per key and step. */
  id: string;
  account: string;
  steps: readonly { at?: string }[];
  bankruptcy: { at: string } | null;
  /** When a step carries no time of its own. */
  now: string;
}

/** One event per liquidation step the chain executed, then the bankruptcy if one was resolved. */
export function episodeEvents(e: EpisodeEventsInput): WorkflowEvent[] {
  const events = e.steps.map((s, n) => liquidationEvent(e, `liquidated-${n}`, 'completed', s.at ?? e.now));
  if (e.bankruptcy) events.push(liquidationEvent(e, 'bankruptcy-resolved', 'completed', e.bankruptcy.at));
  return events;
}

export function liquidationEvent(
  e: Pick<EpisodeEventsInput, 'workflowId' | 'id' | 'account'>,
  step: string,
  status: 'completed' | 'failed',
  at: string,
  detail?: Record<string, string>,
): WorkflowEvent {
  return {
    eventKey: eventKeyOf(e.id, step, status),
    workflowId: e.workflowId,
    kind: 'liquidation',
    account: e.account,
    step,
    status,
    at,
    detail: { liquidation: e.id, ...detail },
  };
}
