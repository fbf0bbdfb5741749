import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RunStatus, WorkflowKind } from '../domain/workflow-events';

/** Search attributes registered at start (temporal/setup.ts); operators filter on them in the UI. */
export const QdAccount = defineSearchAttributeKey('QdAccount', SearchAttributeType.KEYWORD);
export const QdMarket = defineSearchAttributeKey('QdMarket', SearchAttributeType.KEYWORD);
export const QdKind = defineSearchAttributeKey('QdKind', SearchAttributeType.KEYWORD);
export const QdStatus = defineSearchAttributeKey('QdStatus', SearchAttributeType.KEYWORD);
/** Every account a liquidation batch acts for (`QdAccounts = "<account>"` finds the batch that liquidated it). */
export const QdAccounts = defineSearchAttributeKey('QdAccounts', SearchAttributeType.KEYWORD_LIST);
export const SEARCH_ATTRIBUTE_KEYS = [QdAccount, QdMarket, QdKind, QdStatus, QdAccounts] as const;

/** The search attributes a run starts with: its kind, its account and market when it has them, status running. */
export function startAttributes(
  kind: WorkflowKind,
  account: string | null,
  marketIndex: number | null,
): SearchAttributePair[] {
  return [
    ...(account ? [{ key: QdAccount, value: account }] : []),
    ...(marketIndex !== null ? [{ key: QdMarket, value: String(marketIndex) }] : []),
    { key: QdKind, value: kind },
    { key: QdStatus, value: 'running' },
  ];
}

export interface StepRecord {
  step: string;
  status: 'completed' | 'failed';
  at: string;
  error?: string;
}

export interface Progress {
  workflowId: string;
  kind: WorkflowKind;
  status: RunStatus;
  steps: StepRecord[];
}

export const getProgressQuery = defineQuery<Progress>('getProgress');

/** A resting order as it stands: what was signed, its kind and current trigger, and whether it still waits. */
export interface OrderView {
  kind: string;
  clientOrderId: string;
  marketIndex: number;
  baseAmount: string;
  limitPrice: string;
  reduceOnly: boolean;
  expiryTs: string;
  /** The signed order's nonce: the wallet cancels it on chain with cancel_order_nonces. */
  nonce: string;
  triggerPrice: string | null;
  state: 'waiting' | 'triggered' | 'cancelled' | 'market';
}
export const getOrderQuery = defineQuery<OrderView>('getOrder');

/** A price tick for a waiting order (sent by the price monitor): PRICE_PRECISION as a decimal string. */
export const priceTickSignal = defineSignal<[{ marketIndex: number; price: string }]>('priceTick');
/** Cancels a waiting order; refused once the order has triggered. */
export const cancelOrderUpdate = defineUpdate<{ status: string }>('cancelOrder');
/** Moves a waiting order's trigger (a limit price is part of the signed order and cannot change). */
export const amendOrderUpdate = defineUpdate<{ triggerPrice: string }, [{ triggerPrice: string }]>('amendOrder');

/** Marks an activity's ApplicationFailure as the program's refusal (its type is the program's error name). */
export const PROGRAM_REJECTION = 'program-rejection';

/** Business-key workflow IDs: a retried request resolves to the same workflow, never a second one. */
export const workflowIds = {
  probe: (probeId: string) => `probe:${probeId}`,
  deposit: (signature: string) => `deposit:${signature}`,
  withdraw: (account: string, requestId: string) => `withdraw:${account}:${requestId}`,
  order: (account: string, clientOrderId: string) => `order:${account}:${clientOrderId}`,
  funding: (marketIndex: number, epoch: string) => `funding:${marketIndex}:${epoch}`,
  /** One account's liquidation episode: the business key of its row, run record and events, whichever workflow ran it. */
  liquidation: (account: string, marketIndex: number, epoch: string) => `liq:${account}:${marketIndex}:${epoch}`,
  /** The episodes one tick found in a market; `digest` names the set of (account, episode) pairs (liquidationBatchDigest). */
  liquidationBatch: (marketIndex: number, digest: string) => `liqs:${marketIndex}:${digest}`,
  /** A reconciliation asked for at this UTC minute (`2026-11-27T16:05`): asking again within it finds the same run. */
  reconciliation: (minute: string) => `reconcile:${minute}`,
} as const;

// Accounts are base58 and market indexes digits (no ':'); the last part of an ID may hold anything.
const part = '([^:]+)';
const rest = '(.+)';
const index = '(\\d+)';
const decoder =
  <T>(pattern: string, build: (m: string[]) => T) =>
  (workflowId: string): T | null => {
    const m = new RegExp(`^${pattern}$`).exec(workflowId);
    return m ? build(m.slice(1)) : null;
  };

/** The inverse of each `workflowIds` encoder: the business key's parts, or null for another kind of ID. */
export const parseWorkflowId = {
  probe: decoder(`probe:${rest}`, ([probeId]) => ({ probeId: probeId! })),
  deposit: decoder(`deposit:${rest}`, ([signature]) => ({ signature: signature! })),
  withdraw: decoder(`withdraw:${part}:${rest}`, ([account, requestId]) => ({
    account: account!,
    requestId: requestId!,
  })),
  order: decoder(`order:${part}:${rest}`, ([account, clientOrderId]) => ({
    account: account!,
    clientOrderId: clientOrderId!,
  })),
  funding: decoder(`funding:${index}:${rest}`, ([m, epoch]) => ({ marketIndex: Number(m), epoch: epoch! })),
  liquidation: decoder(`liq:${part}:${index}:${rest}`, ([account, m, epoch]) => ({
    account: account!,
    marketIndex: Number(m),
    epoch: epoch!,
  })),
  liquidationBatch: decoder(`liqs:${index}:${rest}`, ([m, digest]) => ({ marketIndex: Number(m), digest: digest! })),
  reconciliation: decoder(`reconcile:${rest}`, ([minute]) => ({ minute: minute! })),
} as const;

/** The visibility query of running order workflows (all, or one sub-account's): the one place it is written. */
export const runningOrdersQuery = (account?: string): string =>
  `${account ? `${QdAccount.name} = "${account.replace(/["\\]/g, '')}" AND ` : ''}${QdKind.name} = "order" AND ExecutionStatus = "Running"`;
