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
}

async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const keyword = enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  const missing: Record<string, typeof keyword> = {};
  for (const key of SEARCH_ATTRIBUTE_KEYS) {
    if (!existing.customAttributes?.[key.name]) missing[key.name] = keyword;
  }
  if (Object.keys(missing).length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
}

function isGrpcCode(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === code;
}
