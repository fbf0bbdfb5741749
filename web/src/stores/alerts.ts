import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AlertKind, TraderAlert, TraderAlertView } from '@domain/alerts';
import { workingsOf } from '@domain/insights';
import { api } from '../lib/api';
import { useRealtime } from '../composables/realtime';
import { useWorkflowStore } from './workflows';

export interface Subscription {
  id: string;
  account: string;
  kind: AlertKind;
  market: string | null;
  thresholdBps: number | null;
  /** Markets where it fired and is not clear yet. */
  firing: string[];
  createdAt: string;
}

const KEPT = 50;

/**
 * The selected sub-account's alert subscriptions and the alerts MIKEY fired for them (GET /v1/alerts), with
 * new ones at once from the account's socket room (`trader-alert`, also replayed from its stream on resume).
 */
export const useAlertStore = defineStore('alerts', () => {
  const account = ref<string | null>(null);
  const subscriptions = ref<Subscription[]>([]);
  const alerts = ref<TraderAlertView[]>([]);
  const workflows = useWorkflowStore();

  async function load(address: string | null): Promise<void> {
    account.value = address;
    if (!address) {
      subscriptions.value = [];
      alerts.value = [];
      return;
    }
    const [subs, fired] = await Promise.all([
      api<{ subscriptions: Subscription[] }>(`/v1/alerts/subscriptions?account=${address}`),
      api<{ alerts: TraderAlertView[] }>(`/v1/alerts?account=${address}&limit=${KEPT}`),
    ]);
    subscriptions.value = subs.subscriptions;
    alerts.value = fired.alerts;
  }

  async function subscribe(body: { kind: AlertKind; market: string | null; thresholdBps: number | null }) {
    if (!account.value) throw new Error('deposit first: alerts watch a sub-account');
    await api('/v1/alerts/subscriptions', {
      body: {
        account: account.value,
        kind: body.kind,
        ...(body.market ? { market: body.market } : {}),
        ...(body.thresholdBps !== null ? { thresholdBps: body.thresholdBps } : {}),
      },
    });
    await load(account.value);
  }

  async function unsubscribe(id: string) {
    await api(`/v1/alerts/subscriptions/${encodeURIComponent(id)}`, { method: 'DELETE' });
    await load(account.value);
  }

  useRealtime().on('trader-alert', (e: { account: string; id: string; alert: TraderAlert }) => {
    workflows.seen(e.account, e.id);
    if (e.account !== account.value || alerts.value.some((a) => a.id === e.alert.id)) return;
    const a = e.alert;
    const view: TraderAlertView = {
      id: a.id,
      subscriptionId: a.subscriptionId,
      account: a.account,
      kind: a.kind,
      market: a.market,
      at: a.at,
      summary: a.summary,
      workings: workingsOf(a),
    };
    alerts.value = [view, ...alerts.value].slice(0, KEPT);
    // A fired subscription's state changed: read it again.
    void load(account.value).catch(() => undefined);
  });

  return { account, subscriptions, alerts, load, subscribe, unsubscribe };
});
