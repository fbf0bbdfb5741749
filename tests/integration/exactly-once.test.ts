import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BN from 'bn.js';
import { TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { Connection } from '@solana/web3.js';
import { eq } from 'drizzle-orm';
import { deposits } from '../../drizzle/schema';
import { perpAddresses } from '../../solana/perp-program';
import { accountStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { QUOTE_PRECISION } from '../../domain/perp';
import { startHarness, waitFor, type Harness } from '../support/harness';
import {
  sendsSoFar as localnetSends,
  setFaults as setLocalnetFaults,
  startLocalnet,
  type Localnet,
} from '../support/localnet';
import { fundedTrader, type Trader } from '../support/perp-fixtures';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { asWallet } from '../support/auth';

let ln: Localnet;
let h: Harness;
let trader: Trader;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  ln = await startLocalnet(2);
  h = await startHarness({ QD_SOLANA_RPC_URLS: ln.rpcUrls.join(',') }, { worker: false });
  trader = await fundedTrader(ln, new Connection(ln.rpcUrls[0]!, 'confirmed'), 0n);
}, 180_000);

afterAll(async () => {
  await worker?.kill();
  await h?.close();
  await ln?.stop();
});

const setFaults = (config: Record<string, number>) => setLocalnetFaults(ln, config);
const sendsSoFar = () => localnetSends(ln);

async function stepsSeen(workflowId: string): Promise<string[]> {
  const entries = await h.redis.xrange(accountStreamKey(h.config.streamPrefix, trader.user.toBase58()), '-', '+');
  return entries
    .map(([, f]) => JSON.parse(f[1]!) as WorkflowEvent)
    .filter((e) => e.workflowId === workflowId)
    .map((e) => e.step);
}

describe('a worker killed in the middle of a deposit', () => {
  it('completes after restarts with one on-chain execution and one ledger row', async () => {
    const connection = new Connection(ln.rpcUrls[0]!, 'confirmed');
    const amount = 123n * QUOTE_PRECISION;
    worker = await startWorkerProcess(h.env);
    // Providers that execute at once but answer late: the worker can die after the chain did the work.
    await setFaults({ latencyAfterMs: 5_000 });
    // Signed just before it is sent: the bank behind the localnet keeps a blockhash for about 2 s.
    const tx = await trader.program.methods
      .deposit(new BN(amount.toString()))
      .accountsStrict({
        authority: trader.wallet.publicKey,
        global: perpAddresses.global(),
        user: trader.user,
        userToken: trader.usdc,
        vault: perpAddresses.vault(),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .transaction();
    tx.feePayer = trader.wallet.publicKey;
    tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash;
    tx.sign(trader.wallet);

    const res = await asWallet(h.apiUrl, trader.wallet, '/v1/deposits', {
      body: { signedTransaction: tx.serialize().toString('base64') },
    });
    const { workflowId } = (await res.json()) as { workflowId: string };

    // Kill 1: the chain has executed the deposit, the worker has not heard back.
    await waitFor('the transaction to reach a provider', async () => ((await sendsSoFar()) >= 1 ? true : undefined));
    await worker.kill();
    await setFaults({ latencyMs: 300 }); // slow enough that the next kill lands inside a chain read
    worker = await startWorkerProcess(h.env);

    // Kill 2: submitted, the confirmation read is in flight.
    await waitFor(
      'the submitted step',
      async () => ((await stepsSeen(workflowId)).includes('submitted') ? true : undefined),
      90_000,
    );
    await new Promise((r) => setTimeout(r, 50));
    await worker.kill();
    await setFaults({});
    worker = await startWorkerProcess(h.env);

    const result = (await h.temporal.workflow.getHandle(workflowId).result()) as { collateralAfter: string };
    expect(result.collateralAfter).toBe(amount.toString());
    const user = await trader.program.account.user.fetch(trader.user);
    expect(user.collateral.toString()).toBe(amount.toString()); // one execution, not two
    expect(await h.db.select().from(deposits).where(eq(deposits.account, trader.user.toBase58()))).toHaveLength(1);
    const steps = await stepsSeen(workflowId);
    expect(steps.filter((s) => s === 'submitted')).toHaveLength(1); // events deduplicated across retries
  }, 240_000);
});
