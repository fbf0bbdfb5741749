import { Wallet } from '@coral-xyz/anchor';
import BN from 'bn.js';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { and, eq } from 'drizzle-orm';
import { isBelowMaintenance } from '../../domain/perp';
import { insuranceFundLedger, liquidations, workflowRuns } from '../../drizzle/schema';
import type { Database } from '../../platform/postgres';
import { cancelOrderUpdate } from '../../workflows/definitions';
import { loadMarginAccount } from '../risk/free-collateral';
import { currentLiquidationSeq, EMPTY_MARKET_INDEX, nextLiquidationStep, type DecodedUser } from './perp-coders';
import { fetchBankruptcyReport, fetchLiquidationReport, fetchMarket, fetchUser, type BankruptcyReport } from './chain-reads';
import { createPerpProgram, marketMetas, perpAddresses } from './perp-program';
import { ProgramRejectedError, type RpcPool } from './rpc-pool';
import { journaled, postgresJournal, sendAsKeeper } from './keeper-send';
import { heartbeatProgress } from '../support/heartbeats';

/**
 * Steps continue until the program closes the episode (the account is healthy or flat). Each closes at
 * most the market's fraction (25 %) of what is left, so even a deep shortfall ends within this bound.
 */
export const MAX_LIQUIDATION_STEPS = 100;
/** A short pause between steps, so each one sees the market after the last. */
export const LIQUIDATION_COOLDOWN_MS = 200;

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
}

const abs = (v: bigint) => (v < 0n ? -v : v);

export function createLiquidationActivities(pool: RpcPool, db: Database, keeper: Keypair | null, temporal: Client | null, deps: LiquidationDeps = {}) {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const keeperOrFail = () => {
    if (!keeper) throw ApplicationFailure.create({ type: 'KeeperNotConfigured', message: 'no keeper key', nonRetryable: true });
    return keeper;
  };
  const journal = postgresJournal(db);
  const send = (ixs: TransactionInstruction[], part?: string) => sendAsKeeper(pool, keeperOrFail(), ixs, journal, part);
  // Builds instructions only (sends go through the pool): one per process.
  let built: ReturnType<typeof createPerpProgram> | null = null;
  const program = () => (built ??= createPerpProgram(pool.primary, new Wallet(keeperOrFail())));
  // A market's oracle is fixed when the market is created: read once per process.
  const oracles = new Map<number, PublicKey>();
  const oracleOf = async (marketIndex: number) => {
    let oracle = oracles.get(marketIndex);
    if (!oracle) {
      oracle = new PublicKey((await fetchMarket(pool, marketIndex)).oracle.toBase58());
      oracles.set(marketIndex, oracle);
    }
    return oracle;
  };

  /**
   * The liquidate instruction for step `step` of episode `seq`, with the (market, oracle) pairs of the
   * user's other positions. Naming the step makes each step its own transaction (a resent one executes once).
   */
  async function liquidateIx(user: DecodedUser, account: string, marketIndex: number, seq: bigint, step: number): Promise<TransactionInstruction> {
    const others = [];
    for (const p of user.positions) {
      if (p.marketIndex === EMPTY_MARKET_INDEX || p.marketIndex === marketIndex) continue;
      others.push({ market: perpAddresses.market(p.marketIndex), oracle: await oracleOf(p.marketIndex) });
    }
    return program().methods.liquidate(new BN(seq.toString()), step).accountsStrict({
      keeper: keeperOrFail().publicKey, global: perpAddresses.global(), user: new PublicKey(account),
      market: perpAddresses.market(marketIndex), oracle: await oracleOf(marketIndex),
    }).remainingAccounts(marketMetas(others)).instruction();
  }

  /** Sends one step; null when the program refuses it as NotLiquidatable or StaleLiquidation (named in `refused`). */
  async function sendStep(ix: TransactionInstruction, part: string | undefined, refused: { name?: string }) {
    try {
      const signature = await send([ix], part);
      return { signature, report: await fetchLiquidationReport(pool, signature) };
    } catch (err) {
      if (err instanceof ProgramRejectedError && (err.errorName === 'NotLiquidatable' || err.errorName === 'StaleLiquidation')) {
        refused.name = err.errorName;
        return null;
      }
      if (err instanceof ProgramRejectedError) throw ApplicationFailure.create({ type: err.errorName, message: err.message, nonRetryable: true });
      throw err;
    }
  }

  /** Resolves a flat, negative account: the program's report says what insurance paid and what was socialized. */
  async function resolveBankruptcy(account: string, marketIndex: number, part?: string) {
    const ix = await program().methods.resolveBankruptcy().accountsStrict({
      keeper: keeperOrFail().publicKey, global: perpAddresses.global(), user: new PublicKey(account), market: perpAddresses.market(marketIndex),
    }).instruction();
    try {
      const signature = await send([ix], part);
      return { signature, ...(await fetchBankruptcyReport(pool, signature)), at: now().toISOString() };
    } catch (err) {
      if (err instanceof ProgramRejectedError && err.errorName === 'NotBankrupt') return null;
      if (err instanceof ProgramRejectedError) throw ApplicationFailure.create({ type: err.errorName, message: err.message, nonRetryable: true });
      throw err;
    }
  }

  const isBankrupt = (user: DecodedUser) => BigInt(user.collateral.toString()) < 0n && user.positions.every((p) => p.marketIndex === EMPTY_MARKET_INDEX);

  return {
    /**
     * One liquidation episode of an account in a market, all on chain: steps (each journaled before it is
     * sent, so a retried attempt re-sends the same bytes) until the program closes the episode, then the
     * bankruptcy of a flat, negative account. The program is the re-check (a healthy account is refused)
     * and the dedupe (a step of any other episode is refused); every amount comes from its return data.
     */
    async liquidateAccount(input: { account: string; marketIndex: number; seq: string }): Promise<EpisodeOutcome> {
      const seq = BigInt(input.seq);
      let user = await fetchUser(pool, input.account);
      // Episodes only move forward: one that is not the account's current one has ended (a late or second
      // start of its ID). Nothing is sent for it: its steps would be the very transactions already executed.
      // An attempt resuming its own journaled steps replays them instead (the episode may have ended by them).
      if (currentLiquidationSeq(user) !== seq && !(await journaled(journal, 'step-0'))) return { outcome: 'stale', steps: [], bankruptcy: null };
      // The episode may already be open (another market's liquidation, or this activity's earlier attempt).
      let next = nextLiquidationStep(user);
      const steps: LiquidationStep[] = [];
      const refused: { name?: string } = {};
      let ended = false;
      for (let i = 0, raced = 0; i < MAX_LIQUIDATION_STEPS && !ended; i++) {
        if (i > 0) await sleep(LIQUIDATION_COOLDOWN_MS);
        const sent = await sendStep(await liquidateIx(user, input.account, input.marketIndex, seq, next), `step-${i}`, refused);
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
            signature: sent.signature, closedBase: abs(BigInt(trade.baseDelta)).toString(), baseAfter: trade.baseAfter,
            collateralAfter: trade.collateralAfter, price: trade.price, fee: trade.fee, at: now().toISOString(),
          });
        }
        ended = !beingLiquidated || trade.baseAfter === '0';
        if (!ended) heartbeatProgress({ steps: steps.length });
      }
      const last = steps.at(-1);
      const mayBeBankrupt = last ? last.baseAfter === '0' && BigInt(last.collateralAfter) < 0n : isBankrupt(user);
      // An earlier attempt of this activity may have resolved it already (the account is no longer
      // bankrupt then): its journaled transaction is sent again and reports what it did.
      const resolvedBefore = mayBeBankrupt && (await journaled(journal, 'bankruptcy'));
      const bankruptcy = resolvedBefore || (mayBeBankrupt && isBankrupt(await fetchUser(pool, input.account)))
        ? await resolveBankruptcy(input.account, input.marketIndex, 'bankruptcy')
        : null;
      const outcome = steps.length || bankruptcy ? 'liquidated' : refused.name === 'StaleLiquidation' ? 'stale' : 'healthy';
      return { outcome, steps, bankruptcy };
    },

    /**
     * Cancels the account's resting orders (their workflows' cancel update); returns how many. The running
     * orders come from the workflow_runs table, not a visibility query.
     */
    async cancelRestingOrders(account: string): Promise<number> {
      if (!temporal) return 0;
      const running = await db.select({ workflowId: workflowRuns.workflowId }).from(workflowRuns)
        .where(and(eq(workflowRuns.account, account), eq(workflowRuns.kind, 'order'), eq(workflowRuns.status, 'running')));
      const results = await Promise.allSettled(running.map((r) => temporal.workflow.getHandle(r.workflowId).executeUpdate(cancelOrderUpdate)));
      // A refused update means the order already triggered or finished: nothing to cancel.
      return results.filter((r) => r.status === 'fulfilled').length;
    },

    /** The liquidation row and its insurance-fund entries, keyed by the workflow's business key. */
    async recordLiquidation(r: LiquidationRecord): Promise<void> {
      const at = new Date(r.at);
      await db.transaction(async (tx) => {
        await tx.insert(liquidations).values({
          id: r.id, account: r.account, wallet: r.wallet, marketIndex: r.marketIndex, closedBase: BigInt(r.closedBase), price: BigInt(r.price),
          fee: BigInt(r.fee), insurancePaid: BigInt(r.insurancePaid), socializedLoss: BigInt(r.socializedLoss), signature: r.signature, createdAt: at,
          steps: r.steps ?? 1, liquidationSeq: r.liquidationSeq === undefined ? null : BigInt(r.liquidationSeq),
        }).onConflictDoNothing();
        if (BigInt(r.fee) > 0n) await tx.insert(insuranceFundLedger).values({ entryKey: `liq-fee:${r.id}`, delta: BigInt(r.fee), reason: 'liquidation fee', createdAt: at }).onConflictDoNothing();
        if (BigInt(r.insurancePaid) > 0n) await tx.insert(insuranceFundLedger).values({ entryKey: `bankruptcy:${r.id}`, delta: -BigInt(r.insurancePaid), reason: 'bankruptcy cover', createdAt: at }).onConflictDoNothing();
      });
    },

    // --- runs started before liquidateAccount (patched('liquidation-one-chain-activity')) ------------------

    /** Re-checks with fresh chain state: is the account below maintenance now? (runs started before liquidateAccount) */
    async isLiquidatable(account: string): Promise<boolean> {
      return isBelowMaintenance(await loadMarginAccount(pool, account));
    },

    /** One partial liquidation step of the account's current episode (runs started before liquidateAccount). */
    async liquidateStep(input: { account: string; marketIndex: number }): Promise<LiquidationStep | null> {
      const user = await fetchUser(pool, input.account);
      const sent = await sendStep(await liquidateIx(user, input.account, input.marketIndex, currentLiquidationSeq(user), nextLiquidationStep(user)), undefined, {});
      if (!sent || sent.report.trade.baseDelta === '0') return null;
      const { trade } = sent.report;
      return { signature: sent.signature, closedBase: abs(BigInt(trade.baseDelta)).toString(), baseAfter: trade.baseAfter, collateralAfter: trade.collateralAfter, price: trade.price, fee: trade.fee };
    },

    /** When no position is left and collateral is negative: insurance pays, the rest is socialized (runs started before liquidateAccount). */
    async resolveBankruptcyIfNeeded(input: { account: string; marketIndex: number }): Promise<{ signature: string; deficit: string; insurancePaid: string; socializedLoss: string } | null> {
      if (!isBankrupt(await fetchUser(pool, input.account))) return null;
      const resolved = await resolveBankruptcy(input.account, input.marketIndex);
      return resolved && { signature: resolved.signature, deficit: resolved.deficit, insurancePaid: resolved.insurancePaid, socializedLoss: resolved.socializedLoss };
    },
  };
}
