// Operators' CLI.
//   npm run ops -- list [--account a] [--market m] [--kind k] [--status s] [--limit n]
//   npm run ops -- progress <workflowId> | retry <workflowId> | cancel <workflowId>
//   npm run ops -- rotate-keys --new-admin <pubkey> --new-keeper <pubkey>   signed with QD_ADMIN_KEYPAIR_FILE
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config';
import { runMain } from '../platform/main';
import { createTemporalClient } from '../temporal/client';
import { listWorkflows, retryWorkflow } from '../temporal/operations';
import { getProgressQuery, QdStatus } from '../workflows/definitions';
import { PublicKey } from '@solana/web3.js';
import type { Config } from '../platform/config';
import { rotateAuthorities } from '../solana/admin';
import { loadAdminKeypair } from '../solana/keeper-key';
import { RpcPool } from '../solana/rpc-pool';

/** The on-chain rotation, signed with the current admin's key file (the operators', never the API's). */
async function rotateKeys(config: Config, admin: PublicKey, keeper: PublicKey) {
  if (!config.solana.adminKeypairFile) throw new Error('set QD_ADMIN_KEYPAIR_FILE to the current admin key file');
  const pool = new RpcPool(config.solana.rpcUrls, { now: () => Date.now() });
  const signature = await rotateAuthorities(pool, loadAdminKeypair(config.solana.adminKeypairFile), { admin, keeper });
  return { signature, admin: admin.toBase58(), keeper: keeper.toBase58() };
}

await runMain('ops', async () => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      market: { type: 'string' },
      kind: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string', default: '50' },
      'new-admin': { type: 'string' },
      'new-keeper': { type: 'string' },
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
    } else if (command === 'rotate-keys' && values['new-admin'] && values['new-keeper']) {
      print(await rotateKeys(config, new PublicKey(values['new-admin']), new PublicKey(values['new-keeper'])));
    } else {
      console.error(
        'usage: npm run ops -- list [--account a] [--market m] [--kind k] [--status s] | progress <id> | retry <id> | cancel <id> | rotate-keys --new-admin <pubkey> --new-keeper <pubkey>',
      );
      process.exitCode = 2;
    }
  } finally {
    await client.connection.close();
  }
});
