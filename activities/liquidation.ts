import { Wallet } from '@coral-xyz/anchor';
import BN from 'bn.js';
import type { Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { isBelowMaintenance } from '../domain/perp';
import { insuranceFundLedger, liquidations, workflowRuns } from '../drizzle/schema';
import type { Database } from '../platform/postgres';
import { cancelOrderUpdate, workflowIds } from '../workflows/definitions';
import { episodeEvents } from '../workflows/liquidation-events';
import type { WorkflowEvent } from '../domain/workflow-events';
import { loadMarginAccount } from '../solana/margin-account';
import {
  currentLiquidationSeq,
  EMPTY_MARKET_INDEX,
  nextLiquidationStep,
  type DecodedUser,
} from '../solana/perp-coders';
import {
  fetchBankruptcyReport,
  fetchLiquidationReport,
  fetchUser,
  oracleOf,
  otherMarketsOf,
  type BankruptcyReport,
} from '../solana/accounts';
import { createPerpProgram, marketMetas, perpAddresses } from '../solana/perp-program';
import { ProgramRejectedError, type RpcPool } from '../solana/rpc-pool';
import {
  finalIfRejected,
  journaledBeforeThisAttempt,
  postgresJournal,
  type SendJournal,
  requireKeeper,
  sendAsKeeperAndRead,
  type JournalPlace,
} from '../solana/keeper-send';
import { readUsers, writeAccountRows } from './account-rows';
import { heartbeatProgress } from './support/heartbeats';
import { Semaphore } from '../platform/semaphore';
import { insertByColumns } from '../platform/unnest';

/**
 * Steps continue until the program closes the episode (the account is healthy or flat). The first closes
 * at most the market's fraction (half) of the position, the next one all that is needed
 * (liquidationFractionBps), so an episode takes two steps; the bound guards against the unexpected.
 */
export const MAX_LIQUIDATION_STEPS = 100;
/** A short pause between steps, so each one sees the market after the last (100 ms: see the README's crash figures). */
export const LIQUIDATION_COOLDOWN_MS = 100;
/** Liquidation episodes one worker process runs at once (its keeper's transactions in flight). */
export const LIQUIDATION_EPISODES_IN_FLIGHT = 64;

export interface LiquidationStep {
  signature: string;
  closedBase: string;
  baseAfter: string;
  collateralAfter: string;
  /** The oracle price the program closed at (PRICE_PRECISION). */
  price: string;
  /** Exactly what the insurance fund received. */
  fee: string;
  /** When the step landed (ISO-8601, the keeper's clock). */
  at?: string;
}

/** A liquidation episode as the keeper ran it: every step the program executed, and the bankruptcy if any. */
export interface EpisodeOutcome {
  /** `stale`: the program refused the episode (a later one is open or this one ended before). */
  outcome: 'liquidated' | 'healthy' | 'stale';
  steps: LiquidationStep[];
  bankruptcy: (BankruptcyReport & { signature: string; at: string }) | null;
}

/** One account's episode in a batch; `failed` when the program rejected it with an unexpected error (named in `error`). */
export interface AccountEpisode extends Omit<EpisodeOutcome, 'outcome'> {
  account: string;
  seq: string;
  outcome: EpisodeOutcome['outcome'] | 'failed';
  error?: string;
}

export interface LiquidationRecord {
  id: string;
  account: string;
  wallet: string;
  marketIndex: number;
  liquidationSeq?: string;
  steps?: number;
  closedBase: string;
  price: string;
  fee: string;
  insurancePaid: string;
  socializedLoss: string;
  signature: string;
  at: string;
}

export interface LiquidationDeps {
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Publishes workflow events (idempotent by event key): a batch tells each account's steps as its
   * episode ends, so the trader and the risk monitor hear of it before the whole batch is done.
   */
  publish?: (events: WorkflowEvent[]) => Promise<unknown>;
  /** Where the keeper's transactions are journaled (default: Postgres only). */
  journal?: SendJournal;
}

const abs = (v: bigint) => (v < 0n ? -v : v);

/** A liquidation row's columns, as `recordLiquidations` writes them. */
const LIQUIDATION_COLUMNS = [
  'id',
  'account',
  'wallet',
  'marketIndex',
  'closedBase',
  'price',
  'fee',
  'insurancePaid',
  'socializedLoss',
  'signature',
  'createdAt',
  'steps',
  'liquidationSeq',
] as const;

/** The workflow of the running activity, or null outside one. */
function runningWorkflowId(): string | null {
  try {
    return Context.current().info.workflowExecution?.workflowId ?? null;
  } catch {
    return null;
  }
}

export function createLiquidationActivities(
  pool: RpcPool,
  db: Database,
  keeper: Keypair | null,
  temporal: Client | null,
  deps: LiquidationDeps = {},
) {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const keeperOrFail = () => requireKeeper(keeper, 'liquidate');
  const journal = deps.journal ?? postgresJournal(db);
  // Without the node's preflight: the program re-checks every step (a refused one lands failed, its refusal
  // read from the status), and the node executes each transaction once instead of simulating it first.
  const send = <R>(ixs: TransactionInstruction[], read: (signature: string) => Promise<R>, place?: JournalPlace) =>
    sendAsKeeperAndRead(pool, keeperOrFail(), ixs, read, journal, place, { skipPreflight: true });
  // Builds instructions only (sends go through the pool): one per process.
  let built: ReturnType<typeof createPerpProgram> | null = null;
  const program = () => (built ??= createPerpProgram(pool.primary, new Wallet(keeperOrFail())));

  /**
   * The liquidate instruction for step `step` of episode `seq`, with the (market, oracle) pairs of the
   * user's other positions. Naming the step makes each step its own transaction (a resent one executes once).
   */
  async function liquidateIx(
    user: DecodedUser,
    account: string,
    marketIndex: number,
    seq: bigint,
    step: number,
  ): Promise<TransactionInstruction> {
    return program()
      .methods.liquidate(new BN(seq.toString()), step)
      .accountsStrict({
        keeper: keeperOrFail().publicKey,
        global: perpAddresses.global(),
        user: new PublicKey(account),
        market: perpAddresses.market(marketIndex),
        oracle: await oracleOf(pool, marketIndex),
      })
      .remainingAccounts(marketMetas(await otherMarketsOf(pool, user, marketIndex)))
      .instruction();
  }

  /** Sends one step; null when the program refuses it as NotLiquidatable or StaleLiquidation (named in `refused`). */
  async function sendStep(ix: TransactionInstruction, place: JournalPlace | undefined, refused: { name?: string }) {
    try {
      const { signature, read: report } = await send([ix], (sig) => fetchLiquidationReport(pool, sig), place);
      return { signature, report };
    } catch (err) {
      if (
        err instanceof ProgramRejectedError &&
        (err.errorName === 'NotLiquidatable' || err.errorName === 'StaleLiquidation')
      ) {
        refused.name = err.errorName;
        return null;
      }
      throw finalIfRejected(err);
    }
  }

  /** Resolves a flat, negative account: the program's report says what insurance paid and what was socialized. */
  async function resolveBankruptcy(account: string, marketIndex: number, place?: JournalPlace) {
    const ix = await program()
      .methods.resolveBankruptcy()
      .accountsStrict({
        keeper: keeperOrFail().publicKey,
        global: perpAddresses.global(),
        user: new PublicKey(account),
        market: perpAddresses.market(marketIndex),
      })
      .instruction();
    try {
      const { signature, read: report } = await send([ix], (sig) => fetchBankruptcyReport(pool, sig), place);
      return { signature, ...report, at: now().toISOString() };
    } catch (err) {
      if (err instanceof ProgramRejectedError && err.errorName === 'NotBankrupt') return null;
      throw finalIfRejected(err);
    }
  }

  const isBankrupt = (user: DecodedUser) =>
    BigInt(user.collateral.toString()) < 0n && user.positions.every((p) => p.marketIndex === EMPTY_MARKET_INDEX);

  /**
   * One liquidation episode of an account in a market, all on chain: steps until the program closes the
   * episode, then the bankruptcy of a flat, negative account. The program is the re-check (a healthy
   * account is refused) and the dedupe (a step of any other episode is refused); every amount comes from
   * its return data. Each transaction is journaled at the liquidation's business key before it is sent
   * (`liq:<account>:<market>:<episode>:step-<i>`): a retried attempt, or a second workflow naming the same
   * episode, sends the same bytes in the same order, so every runner reports the very steps the chain
   * executed, once.
   */
  async function runEpisode(input: { account: string; marketIndex: number; seq: string }): Promise<EpisodeOutcome> {
    const seq = BigInt(input.seq);
    const business = workflowIds.liquidation(input.account, input.marketIndex, input.seq);
    const part = (name: string): JournalPlace => ({ key: `${business}:${name}` });
    let user = await fetchUser(pool, input.account);
    // Episodes only move forward: one that is not the account's current one has ended (a late or second
    // start). Nothing is sent for it: its steps would be the very transactions already executed, and the
    // run that executed them books them. A retried attempt replays its journaled steps instead (the
    // episode may have ended by them, and this run's books are still to be written).
    if (currentLiquidationSeq(user) !== seq && !(await journaledBeforeThisAttempt(journal, part('step-0'))))
      return { outcome: 'stale', steps: [], bankruptcy: null };
    // The episode may already be open (another market's liquidation, or this activity's earlier attempt).
    let next = nextLiquidationStep(user);
    const steps: LiquidationStep[] = [];
    const refused: { name?: string } = {};
    let ended = false;
    for (let i = 0, raced = 0; i < MAX_LIQUIDATION_STEPS && !ended; i++) {
      if (i > 0) await sleep(LIQUIDATION_COOLDOWN_MS);
      const sent = await sendStep(
        await liquidateIx(user, input.account, input.marketIndex, seq, next),
        part(`step-${i}`),
        refused,
      );
      if (!sent && refused.name === 'StaleLiquidation' && raced++ < MAX_LIQUIDATION_STEPS) {
        // Another market's liquidation of the same episode took this step index: continue after it.
        user = await fetchUser(pool, input.account);
        if (user.beingLiquidated && currentLiquidationSeq(user) === seq) {
          next = nextLiquidationStep(user);
          refused.name = undefined;
          continue;
        }
      }
      if (!sent) break;
      const { trade, beingLiquidated, episodeSteps } = sent.report;
      next = episodeSteps;
      if (trade.baseDelta !== '0') {
        steps.push({
          signature: sent.signature,
          closedBase: abs(BigInt(trade.baseDelta)).toString(),
          baseAfter: trade.baseAfter,
          collateralAfter: trade.collateralAfter,
          price: trade.price,
          fee: trade.fee,
          at: now().toISOString(),
        });
      }
      ended = !beingLiquidated || trade.baseAfter === '0';
    }
    const last = steps.at(-1);
    const mayBeBankrupt = last ? last.baseAfter === '0' && BigInt(last.collateralAfter) < 0n : isBankrupt(user);
    // Sent through the journal whatever the account looks like now: if an earlier attempt or another
    // runner of this episode resolved it already, the same transaction is sent again and reports what it
    // did (reading the account first would race with it); if something else resolved it, the program
    // refuses (NotBankrupt).
    const bankruptcy = mayBeBankrupt
      ? await resolveBankruptcy(input.account, input.marketIndex, part('bankruptcy'))
      : null;
    const outcome =
      steps.length || bankruptcy ? 'liquidated' : refused.name === 'StaleLiquidation' ? 'stale' : 'healthy';
    return { outcome, steps, bankruptcy };
  }

  async function cancelRestingOrdersOf(accounts: readonly string[]): Promise<number> {
    if (!temporal || !accounts.length) return 0;
    const running = await db
      .select({ workflowId: workflowRuns.workflowId })
      .from(workflowRuns)
      .where(
        and(
          inArray(workflowRuns.account, [...accounts]),
          eq(workflowRuns.kind, 'order'),
          eq(workflowRuns.status, 'running'),
        ),
      );
    const results = await Promise.allSettled(
      running.map((r) => temporal.workflow.getHandle(r.workflowId).executeUpdate(cancelOrderUpdate)),
    );
    // A refused update means the order already triggered or finished: nothing to cancel.
    return results.filter((r) => r.status === 'fulfilled').length;
  }

  async function recordLiquidations(records: readonly LiquidationRecord[]): Promise<void> {
    if (!records.length) return;
    const ledger: (typeof insuranceFundLedger.$inferInsert)[] = [];
    for (const r of records) {
      const at = new Date(r.at);
      if (BigInt(r.fee) > 0n)
        ledger.push({ entryKey: `liq-fee:${r.id}`, delta: BigInt(r.fee), reason: 'liquidation fee', createdAt: at });
      if (BigInt(r.insurancePaid) > 0n)
        ledger.push({
          entryKey: `bankruptcy:${r.id}`,
          delta: -BigInt(r.insurancePaid),
          reason: 'bankruptcy cover',
          createdAt: at,
        });
    }
    // The balances and positions the episodes left (smaller, closed, or gone with a bankruptcy), as the chain holds them.
    const users = await readUsers(
      pool,
      records.map((r) => r.account),
    );
    await db.transaction(async (tx) => {
      await writeAccountRows(tx, users, new Date(records[0]!.at));
      const rows = records.map((r) => ({
        id: r.id,
        account: r.account,
        wallet: r.wallet,
        marketIndex: r.marketIndex,
        closedBase: BigInt(r.closedBase),
        price: BigInt(r.price),
        fee: BigInt(r.fee),
        insurancePaid: BigInt(r.insurancePaid),
        socializedLoss: BigInt(r.socializedLoss),
        signature: r.signature,
        createdAt: new Date(r.at),
        steps: r.steps ?? 1,
        liquidationSeq: r.liquidationSeq === undefined ? null : BigInt(r.liquidationSeq),
      }));
      await tx.execute(sql`${insertByColumns(liquidations, LIQUIDATION_COLUMNS, rows)} on conflict do nothing`);
      if (ledger.length)
        await tx.execute(
          sql`${insertByColumns(insuranceFundLedger, ['entryKey', 'delta', 'reason', 'createdAt'], ledger)} on conflict do nothing`,
        );
    });
  }

  /**
   * The chain's steps of an ended episode, published at once and not awaited: bookkeeping never holds
   * back the chain, and the batch publishes the same events (same keys) when it is done.
   */
  function tellEarly(account: string, marketIndex: number, seq: string, episode: EpisodeOutcome): void {
    const workflowId = runningWorkflowId();
    if (!deps.publish || !workflowId || episode.outcome !== 'liquidated') return;
    const events = episodeEvents({
      workflowId,
      id: workflowIds.liquidation(account, marketIndex, seq),
      account,
      steps: episode.steps,
      bankruptcy: episode.bankruptcy,
      now: now().toISOString(),
    });
    deps.publish(events).catch(() => undefined);
  }

  // Episodes in flight at once in this process, over every batch it runs: the keeper's sends and the
  // RPC pool stay within what the providers take, however many batches a crash starts.
  const episodeSlots = new Semaphore(LIQUIDATION_EPISODES_IN_FLIGHT);

  return {
    /** One account's episode (liquidationWorkflow; the monitor starts batches). */
    async liquidateAccount(input: { account: string; marketIndex: number; seq: string }): Promise<EpisodeOutcome> {
      return runEpisode(input);
    },

    /**
     * The episodes of many accounts in one market (liquidationBatchWorkflow), LIQUIDATION_EPISODES_IN_FLIGHT
     * at once; a retried attempt replays what the first one sent and reports the same outcomes. A program rejection other than the refusals
     * an episode expects ends that account's episode `failed` with the program's error name; anything
     * else (RPC, journal) fails the attempt once every episode in flight has stopped, and it is retried.
     */
    async liquidateAccounts(input: {
      marketIndex: number;
      accounts: readonly { account: string; seq: string }[];
    }): Promise<AccountEpisode[]> {
      let done = 0;
      const settled = await Promise.allSettled(
        input.accounts.map(({ account, seq }) =>
          episodeSlots.run(async (): Promise<AccountEpisode> => {
            try {
              const episode = await runEpisode({ account, marketIndex: input.marketIndex, seq });
              tellEarly(account, input.marketIndex, seq, episode);
              return { account, seq, ...episode };
            } catch (err) {
              if (err instanceof ApplicationFailure && err.nonRetryable)
                return { account, seq, outcome: 'failed', steps: [], bankruptcy: null, error: err.type ?? err.message };
              throw err;
            } finally {
              heartbeatProgress({ done: ++done, of: input.accounts.length });
            }
          }),
        ),
      );
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.map((s) => (s as PromiseFulfilledResult<AccountEpisode>).value);
    },

    /** Cancels the account's resting orders (their workflows' cancel update); returns how many. */
    async cancelRestingOrders(account: string): Promise<number> {
      return cancelRestingOrdersOf([account]);
    },

    /**
     * Cancels the resting orders of every account named; returns how many. The running orders come from
     * the workflow_runs table, not a visibility query.
     */
    cancelRestingOrdersOf,

    /** The liquidation row and its insurance-fund entries, keyed by the liquidation's business key. */
    async recordLiquidation(r: LiquidationRecord): Promise<void> {
      await recordLiquidations([r]);
    },

    /** Liquidation rows and their insurance-fund entries, in one transaction; each keyed by its business key. */
    recordLiquidations,

    // --- runs started before liquidateAccount (patched('liquidation-one-chain-activity')) ------------------

    /** Re-checks with fresh chain state: is the account below maintenance now? (runs started before liquidateAccount) */
    async isLiquidatable(account: string): Promise<boolean> {
      return isBelowMaintenance(await loadMarginAccount(pool, account));
    },

    /** One partial liquidation step of the account's current episode (runs started before liquidateAccount). */
    async liquidateStep(input: { account: string; marketIndex: number }): Promise<LiquidationStep | null> {
      const user = await fetchUser(pool, input.account);
      const sent = await sendStep(
        await liquidateIx(
          user,
          input.account,
          input.marketIndex,
          currentLiquidationSeq(user),
          nextLiquidationStep(user),
        ),
        undefined,
        {},
      );
      if (!sent || sent.report.trade.baseDelta === '0') return null;
      const { trade } = sent.report;
      return {
        signature: sent.signature,
        closedBase: abs(BigInt(trade.baseDelta)).toString(),
        baseAfter: trade.baseAfter,
        collateralAfter: trade.collateralAfter,
        price: trade.price,
        fee: trade.fee,
      };
    },

    /** When no position is left and collateral is negative: insurance pays, the rest is socialized (runs started before liquidateAccount). */
    async resolveBankruptcyIfNeeded(input: {
      account: string;
      marketIndex: number;
    }): Promise<{ signature: string; deficit: string; insurancePaid: string; socializedLoss: string } | null> {
      if (!isBankrupt(await fetchUser(pool, input.account))) return null;
      const resolved = await resolveBankruptcy(input.account, input.marketIndex);
      return (
        resolved && {
          signature: resolved.signature,
          deficit: resolved.deficit,
          insurancePaid: resolved.insurancePaid,
          socializedLoss: resolved.socializedLoss,
        }
      );
    },
  };
}
