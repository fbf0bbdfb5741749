import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BN from 'bn.js';
import { Wallet } from '@coral-xyz/anchor';
import { getAccount, TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction } from '@solana/web3.js';
import { createPerpProgram, perpAddresses, type PerpProgram } from '../../solana/perp-program';
import { programErrorName } from '../../solana/program-errors';
import { fillInstructions, type Trader } from '../support/perp-fixtures';
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from '../../domain/perp';
import { startLocalnet, type Localnet } from '../support/localnet';

let ln: Localnet;
let connection: Connection;
let admin: Keypair;
let keeper: Keypair;
const trader = Keypair.generate();
let asTrader: PerpProgram;
let asKeeper: PerpProgram;
let asAdmin: PerpProgram;
let usdcAccount: PublicKey;
let asTraderFixture: Trader;

const sol = () => ln.bootstrap.markets[0]!;
const userPda = () => perpAddresses.user(trader.publicKey, 0);
const bn = (x: bigint) => new BN(x.toString());

beforeAll(async () => {
  ln = await startLocalnet(1);
  connection = new Connection(ln.rpcUrls[0]!, 'confirmed');
  admin = Keypair.fromSecretKey(Uint8Array.from(ln.bootstrap.adminKeypair));
  keeper = Keypair.fromSecretKey(Uint8Array.from(ln.bootstrap.keeperKeypair));
  asTrader = createPerpProgram(connection, new Wallet(trader));
  asKeeper = createPerpProgram(connection, new Wallet(keeper));
  asAdmin = createPerpProgram(connection, new Wallet(admin));
  const airdrop = await connection.requestAirdrop(trader.publicKey, 2 * LAMPORTS_PER_SOL);
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();
  await connection.confirmTransaction({ signature: airdrop, blockhash, lastValidBlockHeight }, 'confirmed');
  ({ tokenAccount: usdcAccount } = await ln.control<{ tokenAccount: PublicKey }>('/mint-usdc', {
    owner: trader.publicKey.toBase58(),
    amount: 5_000_000_000,
  }));
  usdcAccount = new PublicKey(usdcAccount);
  asTraderFixture = { wallet: trader, user: userPda(), usdc: usdcAccount, program: asTrader, nextNonce: 1n };
}, 120_000);

afterAll(async () => {
  await ln?.stop();
});

/** The trader signs an order; the keeper submits it with Anchor's provider, unmodified. */
async function fill(baseAmount: bigint, limitPrice: bigint, reduceOnly = false): Promise<string> {
  const ixs = await fillInstructions(ln, asTraderFixture, baseAmount, limitPrice, reduceOnly);
  return asKeeper.provider.sendAndConfirm!(new Transaction().add(...ixs));
}

const setPrice = (marketIndex: number, price: bigint) => ln.control('/pyth', { marketIndex, price: price.toString() });

describe('an unmodified web3.js Connection and an Anchor Program from the committed IDL drive quantdesk-perp on the localnet', () => {
  it('reads the bootstrapped markets with getProgramAccounts filters', async () => {
    const markets = await asTrader.account.market.all();
    expect(markets.map((m) => m.account.marketIndex).sort()).toEqual([0, 1, 2]);
    const global = await asTrader.account.globalState.fetch(perpAddresses.global());
    expect(global.keeper.toBase58()).toBe(keeper.publicKey.toBase58());
  });

  it('refuses a second initialize', async () => {
    const attempt = asAdmin.methods
      .initialize(keeper.publicKey)
      .accountsStrict({
        admin: admin.publicKey,
        global: perpAddresses.global(),
        collateralMint: new PublicKey(ln.bootstrap.usdcMint),
        vault: perpAddresses.vault(),
        tokenProgram: TOKEN_PROGRAM_ID,
        systemProgram: SystemProgram.programId,
      })
      .rpc();
    await expect(attempt).rejects.toThrow();
  });

  it('opens a sub-account and deposits USDC through the token program', async () => {
    await asTrader.methods
      .initUser(0)
      .accountsStrict({ authority: trader.publicKey, user: userPda(), systemProgram: SystemProgram.programId })
      .rpc();
    await asTrader.methods
      .deposit(bn(1_000n * QUOTE_PRECISION))
      .accountsStrict({
        authority: trader.publicKey,
        global: perpAddresses.global(),
        user: userPda(),
        userToken: usdcAccount,
        vault: perpAddresses.vault(),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .rpc();
    expect((await getAccount(connection, usdcAccount)).amount).toBe(4_000n * QUOTE_PRECISION);
    expect((await asTrader.account.user.fetch(userPda())).collateral.toString()).toBe(
      (1_000n * QUOTE_PRECISION).toString(),
    );
  });

  it('fills an ed25519-signed market order submitted by the keeper', async () => {
    type Written = { accounts: string[]; next: string; truncated: boolean };
    const before = await ln.control<Written>('/written');
    const signature = await fill(10n * BASE_PRECISION, 160n * PRICE_PRECISION);
    // The development control lists the accounts the fill could write (once each), and nothing read-only.
    const written = await ln.control<Written>(`/written?since=${before.next}`);
    expect(written.truncated).toBe(false);
    expect(written.accounts).toEqual(expect.arrayContaining([userPda().toBase58(), keeper.publicKey.toBase58()]));
    expect(written.accounts).not.toContain(trader.publicKey.toBase58()); // the order's signer, not written
    expect(new Set(written.accounts).size).toBe(written.accounts.length);
    expect(BigInt(written.next)).toBeGreaterThan(BigInt(before.next));
    expect((await ln.control<Written>(`/written?since=${written.next}`)).accounts).toEqual([]);
    expect((await ln.control<Written>(`/written?since=${BigInt(written.next) + 1n}`)).truncated).toBe(true);
    const tx = await connection.getTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    expect(tx?.meta?.err).toBeNull();
    const user = await asTrader.account.user.fetch(userPda());
    expect(user.positions[0]!.base.toString()).toBe((10n * BASE_PRECISION).toString());
    expect(user.lastOrderNonce.toString()).toBe('1');
  });

  it('settles funding an hour later', async () => {
    await ln.control('/advance', { slots: 5, secs: 3_601 });
    await setPrice(0, 150n * PRICE_PRECISION);
    await asTrader.methods
      .updateFunding()
      .accountsStrict({ market: new PublicKey(sol().market), oracle: new PublicKey(sol().oracle) })
      .rpc();
    const market = await asTrader.account.market.fetch(new PublicKey(sol().market));
    expect(BigInt(market.lastFundingRate.toString())).toBeGreaterThan(0n);
  });

  it('lets the admin pause, reprice and list markets', async () => {
    const adminMarket = (marketIndex: number) => ({
      admin: admin.publicKey,
      global: perpAddresses.global(),
      market: perpAddresses.market(marketIndex),
    });
    await asAdmin.methods.setMarketPaused(true).accountsStrict(adminMarket(0)).rpc();
    const paused = fill(1n * BASE_PRECISION, 160n * PRICE_PRECISION);
    expect(programErrorName(await paused.catch((e: unknown) => e))).toBe('MarketPaused');
    asTraderFixture.nextNonce -= 1n; // the refused order consumed nothing
    await asAdmin.methods.setMarketPaused(false).accountsStrict(adminMarket(0)).rpc();

    const market = await asAdmin.account.market.fetch(perpAddresses.market(0));
    await asAdmin.methods
      .updateMarketParams({ ...market.config, takerFeeBps: 6 })
      .accountsStrict(adminMarket(0))
      .rpc();
    expect((await asAdmin.account.market.fetch(perpAddresses.market(0))).config.takerFeeBps).toBe(6);

    const oracle = Keypair.generate().publicKey;
    await ln.control('/pyth', { oracle: oracle.toBase58(), price: (20n * PRICE_PRECISION).toString() });
    await asAdmin.methods
      .initMarket(3, market.config)
      .accountsStrict({
        admin: admin.publicKey,
        global: perpAddresses.global(),
        market: perpAddresses.market(3),
        oracle,
        systemProgram: SystemProgram.programId,
      })
      .rpc();
    expect((await asAdmin.account.market.fetch(perpAddresses.market(3))).oracle.toBase58()).toBe(oracle.toBase58());
  });

  it('liquidates part of the position after the price falls', async () => {
    await fill(50n * BASE_PRECISION, 160n * PRICE_PRECISION); // 60 SOL long on ~1000 USDC
    await ln.control('/advance', { slots: 2, secs: 1 });
    await setPrice(0, 135n * PRICE_PRECISION);
    await asKeeper.methods
      .liquidate(new BN(1), 0)
      .accountsStrict({
        // step 0 of the account's first liquidation episode
        keeper: keeper.publicKey,
        global: perpAddresses.global(),
        user: userPda(),
        market: new PublicKey(sol().market),
        oracle: new PublicKey(sol().oracle),
      })
      .rpc();
    const base = BigInt((await asTrader.account.user.fetch(userPda())).positions[0]!.base.toString());
    expect(base).toBeGreaterThan(0n);
    expect(base).toBeLessThan(60n * BASE_PRECISION);
    const notBankrupt = asKeeper.methods
      .resolveBankruptcy()
      .accountsStrict({
        keeper: keeper.publicKey,
        global: perpAddresses.global(),
        user: userPda(),
        market: new PublicKey(sol().market),
      })
      .rpc();
    expect(programErrorName(await notBankrupt.catch((e: unknown) => e))).toBe('NotBankrupt');
  });

  it('closes reduce-only and withdraws everything back to the wallet', async () => {
    await fill(-100n * BASE_PRECISION, 0n, true);
    const user = await asTrader.account.user.fetch(userPda());
    expect(user.positions.every((p) => p.base.isZero())).toBe(true);
    const before = (await getAccount(connection, usdcAccount)).amount;
    await asTrader.methods
      .withdraw(user.collateral)
      .accountsStrict({
        authority: trader.publicKey,
        global: perpAddresses.global(),
        user: userPda(),
        userToken: usdcAccount,
        vault: perpAddresses.vault(),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .rpc();
    expect((await getAccount(connection, usdcAccount)).amount).toBe(before + BigInt(user.collateral.toString()));
  });
});
