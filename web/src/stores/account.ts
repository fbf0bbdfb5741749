import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { PublicKey, Transaction } from '@solana/web3.js';
import { encodeOrderMessage } from '@solana-client/order-message';
import { api } from '../lib/api';
import { useSessionStore } from './session';
import { useWorkflowStore, type TimelineEvent } from './workflows';
import { useRealtime } from '../composables/realtime';

export interface RiskPosition {
  marketIndex: number;
  base: string;
  quoteEntry: string;
  markPrice: string;
  unrealizedPnl: string;
  liquidationPrice: string | null;
}
export interface SubAccount {
  subAccountId: number;
  address: string;
  collateral: string;
  equity: string;
  initialRequirement: string;
  maintenanceRequirement: string;
  freeCollateral: string;
  /** What the PnL pool owes the account and could not pay yet (absent from older APIs). */
  unsettledPnl?: string;
  leverageBps: string | null;
  marginRatioBps: string | null;
  positions: RiskPosition[];
}
export interface OpenOrder {
  workflowId: string;
  kind: string;
  clientOrderId: string;
  marketIndex: number;
  baseAmount: string;
  limitPrice: string;
  reduceOnly: boolean;
  triggerPrice: string | null;
  state: string;
}
type Row = Record<string, string | number | boolean | null>;

export const HISTORIES = ['fills', 'orders', 'funding', 'deposits', 'withdrawals', 'liquidations'] as const;
export type History = (typeof HISTORIES)[number];

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/**
 * The signed-in wallet's sub-accounts (risk from the chain), the selected one's open orders and
 * histories, and the actions that start workflows (deposit, withdraw, orders). Every workflow event for
 * the wallet's accounts refreshes what it may have changed.
 */
export const useAccountStore = defineStore('account', () => {
  const subAccounts = ref<SubAccount[]>([]);
  const nextSubAccountId = ref(0);
  const selectedId = ref(Number(localStorage.getItem('qd.subAccount') ?? 0));
  const openOrders = ref<OpenOrder[]>([]);
  const histories = ref<Record<History, Row[]>>({
    fills: [],
    orders: [],
    funding: [],
    deposits: [],
    withdrawals: [],
    liquidations: [],
  });
  /** Why the last refresh failed (each action keeps its own error: composables/action.ts). */
  const error = ref<string | null>(null);
  const selected = computed(() => subAccounts.value.find((s) => s.subAccountId === selectedId.value) ?? null);

  async function refresh(): Promise<void> {
    const session = useSessionStore();
    if (!session.session) return;
    const r = await api<{ subAccounts: SubAccount[]; nextSubAccountId: number }>('/v1/accounts');
    subAccounts.value = r.subAccounts;
    nextSubAccountId.value = r.nextSubAccountId;
    follow();
    const account = selected.value?.address;
    if (!account) return;
    const [open, ...rows] = await Promise.all([
      api<{ openOrders: OpenOrder[] }>(`/v1/accounts/${account}/open-orders`),
      ...HISTORIES.map((h) => api<Record<History, Row[]>>(`/v1/accounts/${account}/${h}?limit=50`)),
    ]);
    openOrders.value = open.openOrders;
    HISTORIES.forEach((h, i) => (histories.value[h] = rows[i]![h]));
  }

  let pending: ReturnType<typeof setTimeout> | undefined;
  /** Bursts of events (a liquidation's steps, a funding run) refresh once, not once each. */
  function refreshSoon(): void {
    clearTimeout(pending);
    pending = setTimeout(() => void refresh().catch((err: Error) => (error.value = err.message)), 250);
  }

  function select(id: number): void {
    selectedId.value = id;
    localStorage.setItem('qd.subAccount', String(id));
    void refresh();
  }

  const realtime = useRealtime();
  const workflows = useWorkflowStore();
  // Funding settles every position of a market: the histories and risk change.
  const onFunding = (e: { event: { step: string } }) => {
    if (e.event.step.startsWith('payments')) refreshSoon();
  };
  const onWorkflow = (e: TimelineEvent) => workflows.receive(e);
  workflows.onEvent((e) => {
    if (
      e.event.status === 'failed' ||
      ['recorded', 'filled', 'cancelled', 'expired', 'confirmed', 'released', 'settled'].includes(e.event.step)
    )
      refreshSoon();
  });

  /** Follows each sub-account's room (resuming after the last event seen) and refreshes on its events. */
  function follow(): void {
    realtime.on('workflow', onWorkflow);
    realtime.on('funding', onFunding);
    for (const s of subAccounts.value) followAccount(s.address);
  }

  /** Joins one account's room (also one a first deposit is opening, before it exists on chain). */
  function followAccount(address: string): void {
    realtime.join(`account:${address}`, () => workflows.subscription(address));
  }

  async function signAndSubmit(built: { transaction: string }, path: string, extra: Record<string, string> = {}) {
    const session = useSessionStore();
    if (!session.wallet) throw new Error('connect your wallet to sign');
    const tx = await session.wallet.signTransaction(
      Transaction.from(Uint8Array.from(atob(built.transaction), (c) => c.charCodeAt(0))),
    );
    return api<{ workflowId: string }>(path, { body: { signedTransaction: b64(tx.serialize()), ...extra } });
  }

  // The actions start workflows and throw on failure; components run them through useAction
  // (composables/action.ts), each with its own pending flag and error.
  async function deposit(subAccountId: number, amount: bigint) {
    const built = await api<{ transaction: string; account: string }>('/v1/deposits/build', {
      body: { subAccountId, amount: amount.toString() },
    });
    follow();
    followAccount(built.account);
    const started = await signAndSubmit(built, '/v1/deposits');
    if (!subAccounts.value.some((s) => s.subAccountId === subAccountId)) select(subAccountId);
    return started;
  }

  async function withdraw(amount: bigint) {
    const built = await api<{ transaction: string }>('/v1/withdrawals/build', {
      body: { subAccountId: selectedId.value, amount: amount.toString() },
    });
    return signAndSubmit(built, '/v1/withdrawals', { requestId: crypto.randomUUID() });
  }

  async function placeOrder(o: {
    marketIndex: number;
    baseAmount: bigint;
    limitPrice: bigint;
    kind: string;
    triggerPrice: bigint | null;
    reduceOnly: boolean;
  }) {
    const session = useSessionStore();
    const account = selected.value;
    if (!session.wallet || !account) throw new Error('deposit first: the order needs a funded sub-account');
    const order = {
      user: account.address,
      marketIndex: o.marketIndex,
      baseAmount: o.baseAmount.toString(),
      limitPrice: o.limitPrice.toString(),
      reduceOnly: o.reduceOnly,
      // Nonces only need to grow: microseconds since the epoch.
      nonce: (BigInt(Date.now()) * 1000n + BigInt(Math.floor(performance.now() * 1000) % 1000)).toString(),
      expiryTs: String(Math.floor(Date.now() / 1000) + 7 * 86_400),
    };
    const message = encodeOrderMessage({
      user: new PublicKey(order.user),
      marketIndex: o.marketIndex,
      baseAmount: o.baseAmount,
      limitPrice: o.limitPrice,
      reduceOnly: o.reduceOnly,
      nonce: BigInt(order.nonce),
      expiryTs: BigInt(order.expiryTs),
    });
    const signature = await session.wallet.signMessage(new Uint8Array(message));
    return api<{ workflowId: string }>('/v1/orders', {
      body: {
        order,
        authority: session.wallet.publicKey,
        signature: b64(signature),
        kind: o.kind,
        clientOrderId: `t-${crypto.randomUUID().slice(0, 18)}`,
        ...(o.triggerPrice ? { triggerPrice: o.triggerPrice.toString() } : {}),
      },
    });
  }

  /** Cancels on chain with the wallet's own signature (no keeper can fill it after), then its workflow. */
  async function cancelOrder(workflowId: string) {
    const path = `/v1/orders/${encodeURIComponent(workflowId)}/cancel`;
    await signAndSubmit(await api<{ transaction: string }>(`${path}/build`, { body: {} }), path);
    await refresh();
  }

  async function amendOrder(workflowId: string, triggerPrice: bigint) {
    await api(`/v1/orders/${encodeURIComponent(workflowId)}/amend`, {
      body: { triggerPrice: triggerPrice.toString() },
    });
    await refresh();
  }

  const faucet = () => api('/v1/dev/faucet', { body: {} });

  return {
    subAccounts,
    nextSubAccountId,
    selectedId,
    selected,
    openOrders,
    histories,
    error,
    refresh,
    select,
    deposit,
    withdraw,
    placeOrder,
    cancelOrder,
    amendOrder,
    faucet,
    signAndSubmit,
    reset: () => realtime.leaveAll(),
  };
});
