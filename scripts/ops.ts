// Operators' CLI.
//   npm run ops -- list [--account a] [--market m] [--kind k] [--status s] [--limit n]
//   npm run ops -- progress <workflowId> | retry <workflowId> | cancel <workflowId>
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config';
import { runMain } from '../platform/main';
import { createTemporalClient } from '../temporal/client';
import { listWorkflows, retryWorkflow } from '../temporal/operations';
import { getProgressQuery, QdStatus } from '../workflows/definitions';

await runMain('ops', async () => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      market: { type: 'string' },
      kind: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string', default: '50' },
    },
  });
  const [command, workflowId] = positionals;
  const config = loadConfig();
  const client = await createTemporalClient(config.temporal);
  const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  try {
    if (command === 'list') {
      const runs = await listWorkflows(client, values, Number(values.limit));
      print(
        runs.map((r) => ({
          workflowId: r.workflowId,
          type: r.type,
          temporalStatus: r.status.name,
          qdStatus: r.typedSearchAttributes.get(QdStatus),
          started: r.startTime,
        })),
      );
    } else if (command === 'progress' && workflowId) {
      print(await client.workflow.getHandle(workflowId).query(getProgressQuery));
    } else if (command === 'retry' && workflowId) {
      print({ workflowId, ...(await retryWorkflow(client, workflowId)) });
    } else if (command === 'cancel' && workflowId) {
      await client.workflow.getHandle(workflowId).cancel();
      print({ workflowId, cancelRequested: true });
    } else {
      console.error(
        'usage: npm run ops -- list [--account a] [--market m] [--kind k] [--status s] | progress <id> | retry <id> | cancel <id>',
      );
      process.exitCode = 2;
    }
  } finally {
    await client.connection.close();
  }
});
