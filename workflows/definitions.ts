import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';
import type { RunStatus, WorkflowKind } from '../domain/workflow-events';

/** Search attributes registered at start (temporal/setup.ts); operators filter on them in the UI. */
export const QdAccount = defineSearchAttributeKey('QdAccount', SearchAttributeType.KEYWORD);
export const QdMarket = defineSearchAttributeKey('QdMarket', SearchAttributeType.KEYWORD);
export const QdKind = defineSearchAttributeKey('QdKind', SearchAttributeType.KEYWORD);
export const QdStatus = defineSearchAttributeKey('QdStatus', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_KEYS = [QdAccount, QdMarket, QdKind, QdStatus] as const;

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

/** Business-key workflow IDs: a retried request resolves to the same workflow, never a second one. */
export const workflowIds = {
  probe: (probeId: string) => `probe:${probeId}`,
  deposit: (signature: string) => `deposit:${signature}`,
  withdraw: (account: string, requestId: string) => `withdraw:${account}:${requestId}`,
} as const;
