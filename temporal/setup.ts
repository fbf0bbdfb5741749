import { type Connection } from '@temporalio/client';
import { enums } from './proto';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/definitions';

const RETENTION_DAYS = 30;

/** Registers the namespace (if missing) and our search attributes; safe to run on every start. */
export async function ensureNamespaceAndSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  await ensureNamespace(connection, namespace);
  await ensureSearchAttributes(connection, namespace);
}

async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return;
  } catch (err) {
    if (!isGrpcCode(err, 5 /* NOT_FOUND */)) throw err;
  }
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs(`${RETENTION_DAYS} days`),
  });
  await untilServed(connection, namespace);
}

/**
 * A registered namespace reaches the real server's caches on their next refresh (the dev server's at
 * once): wait until it serves requests before anything uses it.
 */
async function untilServed(connection: Connection, namespace: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return;
    } catch (err) {
      if (!isGrpcCode(err, 5 /* NOT_FOUND */) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const types = {
    KEYWORD: enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    KEYWORD_LIST: enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  } as const;
  const missing: Record<string, (typeof types)[keyof typeof types]> = {};
  for (const key of SEARCH_ATTRIBUTE_KEYS) {
    if (!existing.customAttributes?.[key.name]) missing[key.name] = types[key.type];
  }
  if (Object.keys(missing).length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
}

function isGrpcCode(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === code;
}
