import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

export interface TimelineEvent {
  id: string;
  account: string;
  event: {
    workflowId: string;
    kind: string;
    step: string;
    status: 'completed' | 'failed';
    at: string;
    detail?: Record<string, string>;
  };
}

export interface TimelineEntry {
  workflowId: string;
  kind: string;
  account: string;
  steps: { step: string; status: string; at: string; detail?: Record<string, string> }[];
  lastId: string;
}

/** Stream IDs compare as (milliseconds, sequence). */
export function afterId(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am > bm || (am === bm && as > bs);
}

/**
 * Every workflow's steps as they happen, from the socket's account events. Events carry their account
 * stream ID: a step already shown is not shown twice, and the last ID seen per account is where a
 * reconnecting socket resumes.
 */
export const useWorkflowStore = defineStore('workflows', () => {
  const byId = ref<Record<string, TimelineEntry>>({});
  const lastSeen = ref<Record<string, string>>({});
  const ordered = computed(() => Object.values(byId.value).sort((a, b) => (afterId(a.lastId, b.lastId) ? -1 : 1)));
  const listeners = new Set<(e: TimelineEvent) => void>();

  /** An entry of the account's stream was shown (a workflow event or an alert): resume after it. */
  function seen(account: string, id: string): void {
    const last = lastSeen.value[account];
    if (!last || afterId(id, last)) lastSeen.value[account] = id;
  }

  function receive(e: TimelineEvent): void {
    seen(e.account, e.id);
    const entry =
      byId.value[e.event.workflowId] ??
      (byId.value[e.event.workflowId] = {
        workflowId: e.event.workflowId,
        kind: e.event.kind,
        account: e.account,
        steps: [],
        lastId: e.id,
      });
    if (entry.steps.some((s) => s.step === e.event.step && s.status === e.event.status)) return;
    entry.steps.push({
      step: e.event.step,
      status: e.event.status,
      at: e.event.at,
      ...(e.event.detail ? { detail: e.event.detail } : {}),
    });
    if (afterId(e.id, entry.lastId)) entry.lastId = e.id;
    listeners.forEach((l) => l(e));
  }

  /** The subscription for an account: resume after the last event seen, or the latest few for a fresh view. */
  const subscription = (account: string) =>
    lastSeen.value[account] ? { account, since: lastSeen.value[account] } : { account, recent: 50 };

  return {
    byId,
    ordered,
    lastSeen,
    receive,
    seen,
    subscription,
    onEvent: (l: (e: TimelineEvent) => void) => listeners.add(l),
  };
});
