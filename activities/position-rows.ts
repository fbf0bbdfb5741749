import { PublicKey } from '@solana/web3.js';
import { and, eq, notInArray } from 'drizzle-orm';
import { positions } from '../drizzle/schema';
import type { Database } from '../platform/postgres';
import { EMPTY_MARKET_INDEX, perpAccountsCoder, type DecodedUser } from '../solana/perp-coders';
import { big } from '../solana/margin-account';
import type { RpcPool } from '../solana/rpc-pool';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Sub-accounts as the chain holds them now (absent ones are left out), read 100 at a time. */
export async function readUsers(pool: RpcPool, accounts: readonly string[]): Promise<Map<string, DecodedUser>> {
  const unique = [...new Set(accounts)];
  const out = new Map<string, DecodedUser>();
  for (let i = 0; i < unique.length; i += 100) {
    const chunk = unique.slice(i, i + 100);
    const infos = await pool.call('read sub-accounts', (c) => c.getMultipleAccountsInfo(chunk.map((a) => new PublicKey(a)), 'confirmed'));
    infos.forEach((info, j) => {
      if (info) out.set(chunk[j]!, perpAccountsCoder.decode<DecodedUser>('user', info.data));
    });
  }
  return out;
}

/**
 * The `positions` rows of these sub-accounts made what the chain holds: each open position upserted, every
 * other row of the account deleted (closed by a fill, a liquidation step or a bankruptcy), so funding is
 * never booked for a position that is gone.
 */
export async function writePositionRows(tx: Tx, users: ReadonlyMap<string, DecodedUser>, at: Date): Promise<void> {
  for (const [account, user] of users) {
    const open = user.positions.filter((p) => p.marketIndex !== EMPTY_MARKET_INDEX && big(p.base) !== 0n);
    for (const p of open) {
      const row = {
        account, marketIndex: p.marketIndex, wallet: user.authority.toBase58(), baseAmount: big(p.base), quoteEntry: big(p.quoteEntry),
        lastFundingIndex: p.lastFundingIndex.toString(), updatedAt: at,
      };
      await tx.insert(positions).values(row).onConflictDoUpdate({ target: [positions.account, positions.marketIndex], set: row });
    }
    const kept = open.map((p) => p.marketIndex);
    await tx.delete(positions).where(kept.length ? and(eq(positions.account, account), notInArray(positions.marketIndex, kept)) : eq(positions.account, account));
  }
}
