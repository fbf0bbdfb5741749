import { startLocalnet } from '../tests/support/localnet';
import { startHarness } from '../tests/support/harness';
import { keeperOf } from '../tests/support/perp-fixtures';
import { RpcPool } from '../activities/chain/rpc-pool';
import { createLiquidationActivities } from '../activities/chain/liquidation-activities';
import { Connection } from '@solana/web3.js';
const ln = await startLocalnet(3);
const h = await startHarness({ QD_SOLANA_RPC_URLS: ln.rpcUrls.join(',') }, { worker: false });
const pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
const times = new Map<string, number[]>();
const orig = Connection.prototype as any;
for (const m of ['getLatestBlockhash', 'sendRawTransaction', 'getSignatureStatuses', 'getTransaction', 'getAccountInfo']) {
  const f = orig[m];
  orig[m] = async function (...a: any[]) { const t = performance.now(); try { return await f.apply(this, a); } finally { (times.get(m) ?? times.set(m, []).get(m)!).push(performance.now() - t); } };
}
const traders = (await ln.control<{ traders: { user: string }[] }>('/seed-traders', { marketIndex: 2, count: 50, collateral: '900000', baseAmount: String(5_000_000), limitPrice: String(6000_000000), oraclePrice: String(3000_000000) })).traders;
await ln.control('/pyth', { marketIndex: 2, price: String(2900_000000) });
const k = createLiquidationActivities(pool, h.db, keeperOf(ln), null);
const t0 = performance.now();
for (const t of traders) await k.liquidateAccount({ account: t.user, marketIndex: 2, seq: '1' });
const total = performance.now() - t0;
console.log('sequential per account ms', (total / traders.length).toFixed(1));
for (const [m, xs] of times) console.log(m, xs.length, (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2));
await h.close(); await ln.stop();
