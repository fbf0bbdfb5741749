import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BN from 'bn.js';
import { TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { type Connection, Keypair } from '@solana/web3.js';
import { eq } from 'drizzle-orm';
import { deposits } from '../../drizzle/schema';
import { perpAddresses } from '../../solana/perp-program';
import { accountStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { QUOTE_PRECISION } from '../../domain/perp';
import type { Progress } from '../../workflows/definitions';
import type { Harness } from '../support/harness';
import { startChainHarness, type Trader } from '../support/perp-fixtures';
import { recordHistory } from '../support/histories';
import { asWallet } from '../support/auth';

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let trader: Trader;
let connection: Connection;

beforeAll(async () => {
  env = await startChainHarness(0n);
  ({ h, trader, connection } = env);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

async function signedDeposit(signer: Keypair, amount: bigint): Promise<string> {
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
  tx.feePayer = signer.publicKey;
  tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash;
  tx.sign(signer);
  return tx.serialize({ requireAllSignatures: false }).toString('base64');
}

const postDeposit = (signedTransaction: string) =>
  asWallet(h.apiUrl, trader.wallet, '/v1/deposits', { body: { signedTransaction } });

/** The run's progress through the API, once the workflow has finished (however long a loaded machine takes). */
async function completed(workflowId: string): Promise<Progress> {
  await h.temporal.workflow.getHandle(workflowId).result();
  const res = await asWallet(h.apiUrl, trader.wallet, `/v1/workflows/${encodeURIComponent(workflowId)}`);
  const body = (await res.json()) as { progress?: Progress };
  expect(body.progress?.status).toBe('completed');
  return body.progress!;
}

describe('depositWorkflow on the real stack (Temporal, Postgres, Redis, localnet)', () => {
  it('submits a wallet-signed deposit once, records it once and reports every step', async () => {
    const amount = 250n * QUOTE_PRECISION;
    const signedTransaction = await signedDeposit(trader.wallet, amount);
    const res = await postDeposit(signedTransaction);
    expect(res.status).toBe(202);
    const { workflowId } = (await res.json()) as { workflowId: string };
    expect(workflowId).toMatch(/^deposit:/);

    const progress = await completed(workflowId);
    expect(progress.steps.map((s) => s.step)).toEqual(['validated', 'submitted', 'confirmed', 'recorded']);
    const result = await h.temporal.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({
      account: trader.user.toBase58(),
      amount: amount.toString(),
      collateralAfter: amount.toString(),
    });

    const again = await postDeposit(signedTransaction);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { existing: boolean }).existing).toBe(true);

    const user = await trader.program.account.user.fetch(trader.user);
    expect(user.collateral.toString()).toBe(amount.toString()); // executed once on chain
    const rows = await h.db.select().from(deposits).where(eq(deposits.account, trader.user.toBase58()));
    expect(rows.map((r) => r.amount)).toEqual([amount]);

    const entries = await h.redis.xrange(accountStreamKey(h.config.streamPrefix, trader.user.toBase58()), '-', '+');
    const steps = entries
      .map(([, f]) => JSON.parse(f[1]!) as WorkflowEvent)
      .filter((e) => e.workflowId === workflowId)
      .map((e) => e.step);
    expect(steps).toEqual(['validated', 'submitted', 'confirmed', 'recorded']);
    await recordHistory(h.temporal, workflowId, 'deposit');
  }, 180_000);

  it('rejects a transaction that is not a validly signed deposit with a 400 and starts nothing', async () => {
    const stranger = Keypair.generate();
    const unsignedByAuthority = await signedDeposit(stranger, 1n * QUOTE_PRECISION);
    for (const body of [unsignedByAuthority, Buffer.from('not a transaction').toString('base64')]) {
      const res = await postDeposit(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_deposit');
    }
    const res = await asWallet(h.apiUrl, trader.wallet, '/v1/deposits', { body: '{"signedTransaction": 5}' });
    expect(res.status).toBe(400);
  });
});
