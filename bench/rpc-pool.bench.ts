// RPC pool benchmark on a three-provider localnet (JSON on stdout):
//  - overhead: the same reads through the pool and through a raw web3.js Connection, as a ratio;
//  - failover: the latency of a read when the primary is down, added over a healthy read (p50/p99).
import { Connection, PublicKey } from '@solana/web3.js';
import { RpcPool } from '../solana/rpc-pool';
import { startLocalnet } from '../tests/support/localnet';
import { summarize, timeEach } from './stats';

const READS = Number(process.env.QD_BENCH_READS ?? 400);
const ln = await startLocalnet(3);
try {
  const oracle = new PublicKey(ln.bootstrap.markets[0]!.oracle);
  const raw = new Connection(ln.rpcUrls[0]!, 'confirmed');
  const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now(), requestTimeoutMs: 1_000 });
  await timeEach(50, () => raw.getAccountInfo(oracle)); // warm both paths
  await timeEach(50, () => pool.call('read', (c) => c.getAccountInfo(oracle)));

  const rawTimes = await timeEach(READS, () => raw.getAccountInfo(oracle));
  const poolTimes = await timeEach(READS, () => pool.call('read', (c) => c.getAccountInfo(oracle)));

  // Failover: a fresh pool whose primary (first, best-ranked) provider is down; each read pays the
  // failed attempt until the circuit opens, so measure first reads after each outage.
  const failoverTimes: number[] = [];
  const healthyTimes: number[] = [];
  const setDown = (down: boolean) => ln.control('/faults', { port: ln.rpcPorts[0], down });
  for (let i = 0; i < 50; i++) {
    const fresh = new RpcPool(ln.rpcUrls, { now: () => Date.now(), requestTimeoutMs: 1_000 });
    healthyTimes.push(...(await timeEach(1, () => fresh.call('read', (c) => c.getAccountInfo(oracle)))));
    await setDown(true);
    const failing = new RpcPool(ln.rpcUrls, { now: () => Date.now(), requestTimeoutMs: 1_000 });
    failoverTimes.push(...(await timeEach(1, () => failing.call('read', (c) => c.getAccountInfo(oracle)))));
    await setDown(false);
  }
  const rawSummary = summarize(rawTimes);
  const poolSummary = summarize(poolTimes);
  const healthy = summarize(healthyTimes);
  const failover = summarize(failoverTimes);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'rpc-pool',
        reads: READS,
        rawConnectionMs: rawSummary,
        poolMs: poolSummary,
        overheadRatioP50: Number((poolSummary.p50 / rawSummary.p50).toFixed(3)),
        overheadRatioMean: Number((poolSummary.mean / rawSummary.mean).toFixed(3)),
        primaryDown: {
          healthyFirstReadMs: healthy,
          failoverFirstReadMs: failover,
          addedP50Ms: Number((failover.p50 - healthy.p50).toFixed(3)),
          addedP99Ms: Number((failover.p99 - healthy.p99).toFixed(3)),
        },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await ln.stop();
}
