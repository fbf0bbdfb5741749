import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from '@coral-xyz/anchor';
import { Connection, Keypair, type PublicKey } from '@solana/web3.js';
import { marketOracleOf, ORACLE_CACHE_MS } from '../../solana/accounts';
import { sendAsKeeper } from '../../solana/keeper-send';
import { rotateAuthorities } from '../../solana/admin';
import { createPerpProgram, perpAddresses } from '../../solana/perp-program';
import { perpAccountsCoder } from '../../solana/perp-coders';
import { ProgramRejectedError, RpcPool } from '../../solana/rpc-pool';
import { startLocalnet, type Localnet } from '../support/localnet';

let ln: Localnet;
let pool: RpcPool;

beforeAll(async () => {
  ln = await startLocalnet(1); // its own chain: the rotation must not touch another test's keys
  pool = new RpcPool(ln.rpcUrls, { now: () => Date.now() });
}, 120_000);

afterAll(async () => {
  await ln?.stop();
});

const authorities = async () => {
  const info = await new Connection(ln.rpcUrls[0]!, 'confirmed').getAccountInfo(perpAddresses.global());
  const g = perpAccountsCoder.decode<{ admin: { toBase58(): string }; keeper: { toBase58(): string } }>(
    'globalState',
    info!.data,
  );
  return { admin: g.admin.toBase58(), keeper: g.keeper.toBase58() };
};

describe('key rotation on the real program (npm run ops -- rotate-keys)', () => {
  it('names the next admin and keeper; the old admin is refused after', async () => {
    const admin = Keypair.fromSecretKey(Uint8Array.from(ln.bootstrap.adminKeypair));
    const [nextAdmin, nextKeeper] = [Keypair.generate(), Keypair.generate()];
    await ln.control('/airdrop', { to: nextAdmin.publicKey.toBase58(), lamports: 1_000_000_000 });
    await rotateAuthorities(pool, admin, { admin: nextAdmin.publicKey, keeper: nextKeeper.publicKey });
    expect(await authorities()).toEqual({
      admin: nextAdmin.publicKey.toBase58(),
      keeper: nextKeeper.publicKey.toBase58(),
    });

    const refused = await rotateAuthorities(pool, admin, { admin: admin.publicKey, keeper: admin.publicKey }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ProgramRejectedError);
    expect((refused as ProgramRejectedError).errorName).toBe('Unauthorized');
    // The new admin rotates back.
    await rotateAuthorities(pool, nextAdmin, { admin: admin.publicKey, keeper: nextKeeper.publicKey });
    expect((await authorities()).admin).toBe(admin.publicKey.toBase58());
  });

  it("moves a market to another oracle; a running keeper's cached oracle follows within ORACLE_CACHE_MS", async () => {
    const admin = Keypair.fromSecretKey(Uint8Array.from(ln.bootstrap.adminKeypair));
    let now = 1_000_000;
    const clocked = new RpcPool(ln.rpcUrls, { now: () => now });
    const sol = await marketOracleOf(clocked, 0);
    const btc = await marketOracleOf(clocked, 1);
    const setOracle = async (oracle: PublicKey) => {
      const program = createPerpProgram(pool.primary, new Wallet(admin));
      const ix = await program.methods
        .setMarketOracle({ pyth: {} })
        .accountsStrict({
          admin: admin.publicKey,
          global: perpAddresses.global(),
          market: perpAddresses.market(0),
          oracle,
        })
        .instruction();
      await sendAsKeeper(pool, admin, [ix]);
    };
    await setOracle(btc.oracle); // another Pyth price account
    now += ORACLE_CACHE_MS - 1;
    expect((await marketOracleOf(clocked, 0)).oracle.equals(sol.oracle)).toBe(true); // still the cached one
    now += 1;
    expect(await marketOracleOf(clocked, 0)).toEqual({ oracle: btc.oracle, kind: 'pyth' });
    await setOracle(sol.oracle);
    now += ORACLE_CACHE_MS;
    expect((await marketOracleOf(clocked, 0)).oracle.equals(sol.oracle)).toBe(true);
  });
});
