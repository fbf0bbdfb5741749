import type { Client } from '@temporalio/client';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HistoryProto } from '../../temporal/proto';

export const HISTORIES_DIR = fileURLToPath(new URL('../histories/', import.meta.url));

/**
 * With QD_RECORD_HISTORIES=1, saves a finished workflow's history as tests/histories/<name>.history
 * (the binary protobuf the server sends; `temporal workflow show` renders the same events readably).
 * The committed files are replayed against the current workflow code by tests/static/replay.test.ts.
 */
export async function recordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.QD_RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(`${HISTORIES_DIR}${name}.history`, HistoryProto.encode(history).finish());
}
