import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolClient } from 'pg';
import { accounts, deposits, wallets } from '../../drizzle/schema';
import { readAsWallet } from '../../platform/postgres';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
const at = new Date('2026-11-25T12:00:00Z');
const A = 'WalletAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const B = 'WalletBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

beforeAll(async () => {
  h = await startHarness();
  await h.db.insert(wallets).values([
    { address: A, createdAt: at },
    { address: B, createdAt: at },
  ]);
  await h.db.insert(accounts).values([
    { address: `acct-${A}`, wallet: A, subAccountId: 0, createdAt: at },
    { address: `acct-${B}`, wallet: B, subAccountId: 0, createdAt: at },
  ]);
  await h.db.insert(deposits).values([
    { signature: 'sigA1', account: `acct-${A}`, wallet: A, amount: 5n, collateralAfter: 5n, slot: 1n, createdAt: at },
    { signature: 'sigA2', account: `acct-${A}`, wallet: A, amount: 7n, collateralAfter: 12n, slot: 2n, createdAt: at },
    { signature: 'sigB1', account: `acct-${B}`, wallet: B, amount: 9n, collateralAfter: 9n, slot: 3n, createdAt: at },
  ]);
});

afterAll(async () => {
  await h?.close();
});

describe('Row Level Security through a real non-superuser role', () => {
  it('shows a wallet only its own rows, whatever the query asks for', async () => {
    const seenByA = await readAsWallet(h.pool, A, (db) => db.select().from(deposits));
    expect(seenByA.map((d) => d.signature).sort()).toEqual(['sigA1', 'sigA2']);
    const seenByB = await readAsWallet(h.pool, B, (db) => db.select().from(accounts));
    expect(seenByB.map((a) => a.wallet)).toEqual([B]);
  });

  it('shows nothing to a session with no wallet or an unknown one', async () => {
    expect(await readAsWallet(h.pool, '', (db) => db.select().from(deposits))).toEqual([]);
    expect(await readAsWallet(h.pool, 'nobody', (db) => db.select().from(deposits))).toEqual([]);
  });

  it('runs as a role that is neither superuser nor exempt from RLS, and cannot write', async () => {
    const role = await readAsWallet(h.pool, A, async (db) => {
      const { rows } = await (db as unknown as { $client: PoolClient }).$client.query(
        'SELECT current_user AS who, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user',
      );
      return rows[0] as { who: string; rolsuper: boolean; rolbypassrls: boolean };
    });
    expect(role).toEqual({ who: 'quantdesk_reader', rolsuper: false, rolbypassrls: false });
    const write = await readAsWallet(h.pool, A, (db) =>
      db.insert(wallets).values({ address: 'x', createdAt: at }),
    ).catch((e: Error) => e);
    expect(String((write as Error & { cause?: Error }).cause?.message)).toMatch(/read-only|permission denied/);
  });
});
