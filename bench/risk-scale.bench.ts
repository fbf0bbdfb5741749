// Risk at scale (JSON on stdout), on the real stack (localnet, Temporal, Postgres, Redis):
// - liquidation reaction time: N sub-accounts hold SOL-PERP positions, 1% of them leveraged so that one
//   price tick puts exactly those under maintenance; from the tick to every liquidation done (the batch
//   workflows the monitor starts).
// - funding settlement: the funding workflow for the market with all N positions recorded.
// Every sub-account goes through the real program (the localnet's /seed-traders sends each trader's
// deposit and a keeper fill of their signed order); positions rows are written as the order workflow
// writes them, in bulk, since the benchmark measures settlement, not 100,000 order workflows.
import { inArray, eq, count } from 'drizzle-orm';
import { fundingPayments, positions } from '../drizzle/schema';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../domain/perp';
import { RpcPool } from '../solana/rpc-pool';
import { RiskMonitor } from '../services/risk-monitor/risk-monitor';
import type { FundingResult } from '../workflows/funding-workflow';
import { startHarness } from '../tests/support/harness';
import { startLocalnet } from '../tests/support/localnet';
import { keeperOf } from '../tests/support/perp-fixtures';
import { liquidationsOf } from '../tests/support/liquidations';
import { summarize } from './stats';

const SIZES = (process.env.QD_BENCH_ACCOUNTS ?? '10000,100000').split(',').map(Number);
const SOL = 0;
const START = 150n * PRICE_PRECISION;
const TICK = 145n * PRICE_PRECISION; // -3.3%
const SIZE = BASE_PRECISION / 10n; // 0.1 SOL each (15 USDC notional)
const HEALTHY_COLLATERAL = 5n * QUOTE_PRECISION; // 3x
// 0.90 USDC on 15 notional (16.7x): passes the 5% initial margin, falls below 3% maintenance at 145.
const RISKY_COLLATERAL = 900_000n;
const SEED_CHUNK = 1_000;

interface Seeded {
  wallet: string;
  user: string;
}

const elapsed = (t0: number) => Math.round(performance.now() - t0);

async function run(n: number, withFunding: boolean) {
  const ln = await startLocalnet(1);
  const h = await startHarness({ QD_SOLANA_RPC_URLS: ln.rpcUrls.join(',') }, { worker: true, keeper: keeperOf(ln) });
  const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
  const seed = (count: number, collateral: bigint, base: bigint) =>
    ln
      .control<{ traders: Seeded[] }>('/seed-traders', {
        marketIndex: SOL,
        count,
        collateral: collateral.toString(),
        baseAmount: base.toString(),
        limitPrice: (base > 0n ? 2n * START : 1n).toString(),
        oraclePrice: START.toString(),
      })
      .then((r) => r.traders);
  let fresh: NodeJS.Timeout | undefined;
  try {
    // 1% risky longs; the healthy rest alternates long and short so the market's skew stays flat.
    const t0 = performance.now();
    const risky: Seeded[] = [];
    const all: { trader: Seeded; base: bigint }[] = [];
    for (let done = 0; done < n; done += SEED_CHUNK) {
      const chunk = Math.min(SEED_CHUNK, n - done);
      const r = Math.round(chunk / 100);
      const longs = Math.floor((chunk - r) / 2);
      for (const t of await seed(r, RISKY_COLLATERAL, SIZE)) {
        risky.push(t);
        all.push({ trader: t, base: SIZE });
      }
      for (const t of await seed(longs, HEALTHY_COLLATERAL, SIZE)) all.push({ trader: t, base: SIZE });
      for (const t of await seed(chunk - r - longs, HEALTHY_COLLATERAL, -SIZE)) all.push({ trader: t, base: -SIZE });
    }
    const seedMs = elapsed(t0);

    const monitor = new RiskMonitor({ pool, temporal: h.temporal, taskQueue: h.config.temporal.taskQueue });
    const t1 = performance.now();
    await monitor.load();
    const loadMs = elapsed(t1);
    if (monitor.book.size !== n) throw new Error(`the risk book holds ${monitor.book.size} accounts, expected ${n}`);

    // The price feed's tick: Pyth moves, the monitor hears it. Pyth stays fresh, as under the feed.
    const publish = () => ln.control('/pyth', { marketIndex: SOL, price: TICK.toString() });
    await publish();
    fresh = setInterval(() => void publish().catch(() => undefined), 2_000);
    const tick = performance.now();
    const outcome = await monitor.onTick(SOL, TICK, Date.now());
    const startedMs = elapsed(tick);
    if (outcome.underwater !== risky.length)
      throw new Error(`the tick found ${outcome.underwater} accounts under water, expected ${risky.length}`);
    const done: number[] = [];
    const results = (
      await Promise.all(
        outcome.liquidations.map(async (batch) => {
          const result = await liquidationsOf(h.temporal, [batch]);
          done.push(...result.map(() => performance.now() - tick));
          return result;
        }),
      )
    ).flat();
    const reactionMs = elapsed(tick);
    const liquidated = results.filter((r) => r.status === 'liquidated').length;
    // The book again, valued on the chain after the wave: nobody is left under water.
    const after = new RiskMonitor({ pool, temporal: h.temporal, taskQueue: h.config.temporal.taskQueue });
    await after.load();
    after.book.setPrice(SOL, TICK);
    const stillUnderwater = after.book.underwater(SOL).length;

    // A single tick's detection without starting anything: the indexed scan over N accounts.
    const t2 = performance.now();
    after.book.underwater(SOL);
    const scanMs = Number((performance.now() - t2).toFixed(2));

    const liquidation = {
      accounts: n,
      underwater: risky.length,
      batchesStarted: outcome.liquidations.length,
      liquidationsStarted: results.length,
      liquidated,
      stillUnderwater,
      seedSeconds: Number((seedMs / 1000).toFixed(1)),
      bookLoadMs: loadMs,
      indexedScanMs: scanMs,
      tickToAllStartedMs: startedMs,
      reactionMs,
      perLiquidationMs: summarize(done),
    };

    process.stderr.write(`${JSON.stringify({ liquidation })}\n`);
    let funding = null;
    if (withFunding) {
      // The positions as the order workflow records them (one row per sub-account and market).
      const at = new Date();
      const rows = [...new Map(all.map(({ trader, base }) => [trader.user, { trader, base }])).values()];
      for (let i = 0; i < rows.length; i += 5_000) {
        await h.db
          .insert(positions)
          .values(
            rows.slice(i, i + 5_000).map(({ trader, base }) => ({
              account: trader.user,
              marketIndex: SOL,
              wallet: trader.wallet,
              baseAmount: base,
              quoteEntry: (base * START) / BASE_PRECISION,
              lastFundingIndex: '0',
              updatedAt: at,
            })),
          )
          .onConflictDoNothing();
      }
      // Liquidated accounts hold less now; their rows follow the chain, as the liquidation workflow's would.
      await h.db.delete(positions).where(
        inArray(
          positions.account,
          risky.map((t) => t.user),
        ),
      );
      const recorded = Number(
        (await h.db.select({ n: count() }).from(positions).where(eq(positions.marketIndex, SOL)))[0]!.n,
      );
      await ln.control('/advance', { slots: 10, secs: 3_600 });
      await publish();
      const epoch = String(Math.floor(Date.now() / 3_600_000)); // this hour (a fresh database: settled once)
      const t3 = performance.now();
      const result = (await h.temporal.workflow.execute('fundingSettlementWorkflow', {
        workflowId: `funding:${SOL}:${epoch}`,
        taskQueue: h.config.temporal.taskQueue,
        args: [{ marketIndex: SOL, epoch }],
      })) as FundingResult;
      const settleMs = elapsed(t3);
      const written = Number(
        (await h.db.select({ n: count() }).from(fundingPayments).where(eq(fundingPayments.marketIndex, SOL)))[0]!.n,
      );
      if (written !== recorded || result.payments !== recorded)
        throw new Error(`funding wrote ${written} payments (reported ${result.payments}) for ${recorded} positions`);
      funding = {
        positions: recorded,
        payments: written,
        settleMs,
        positionsPerSecond: Math.round(recorded / (settleMs / 1000)),
      };
    }
    return { liquidation, funding };
  } finally {
    clearInterval(fresh);
    await h.close();
    await ln.stop();
  }
}

const runs = [];
for (const [i, n] of SIZES.entries()) runs.push(await run(n, i === SIZES.length - 1));
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'risk-scale',
      note: 'reactionMs: from the price tick to every liquidation workflow finished; funding: one settlement workflow over every recorded position',
      liquidation: runs.map((r) => r.liquidation),
      funding: runs.at(-1)!.funding,
    },
    null,
    2,
  )}\n`,
);
