import BN from 'bn.js';
import { Wallet } from '@coral-xyz/anchor';
import { TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction } from '@solana/web3.js';
import { ed25519 } from '@noble/curves/ed25519';
import { createPerpProgram, fillOrderInstructions, perpAddresses, type PerpProgram } from '../../solana/perp-program';
import { encodeOrderMessage, type OrderMessage } from '../../solana/order-message';
import { startLocalnet, type Localnet } from './localnet';
import { startHarness } from './harness';

export interface Trader {
  wallet: Keypair;
  user: PublicKey;
  usdc: PublicKey;
  program: PerpProgram;
  nextNonce: bigint;
}

/** A wallet with SOL and test USDC (twice `depositUsdc`, at least 1,000 USDC), a sub-account, and `depositUsdc` deposited. */
export async function fundedTrader(ln: Localnet, connection: Connection, depositUsdc: bigint): Promise<Trader> {
  const wallet = Keypair.generate();
  await ln.control('/airdrop', { to: wallet.publicKey.toBase58(), lamports: 2 * LAMPORTS_PER_SOL });
  const { tokenAccount } = await ln.control<{ tokenAccount: string }>('/mint-usdc', {
    owner: wallet.publicKey.toBase58(),
    amount: Number(depositUsdc * 2n > 1_000_000_000n ? depositUsdc * 2n : 1_000_000_000n),
  });
  const program = createPerpProgram(connection, new Wallet(wallet));
  const user = perpAddresses.user(wallet.publicKey, 0);
  const usdc = new PublicKey(tokenAccount);
  await program.methods
    .initUser(0)
    .accountsStrict({ authority: wallet.publicKey, user, systemProgram: SystemProgram.programId })
    .rpc();
  if (depositUsdc > 0n) {
    await program.methods
      .deposit(new BN(depositUsdc.toString()))
      .accountsStrict({
        authority: wallet.publicKey,
        global: perpAddresses.global(),
        user,
        userToken: usdc,
        vault: perpAddresses.vault(),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .rpc();
  }
  return { wallet, user, usdc, program, nextNonce: 1n };
}

export function keeperOf(ln: Localnet): Keypair {
  return Keypair.fromSecretKey(Uint8Array.from(ln.bootstrap.keeperKeypair));
}

/** The trader's order on market 0 (SOL-PERP), signed by their wallet, as the keeper submits it. */
export async function fillInstructions(
  ln: Localnet,
  trader: Trader,
  baseAmount: bigint,
  limitPrice: bigint,
  reduceOnly = false,
) {
  const order: OrderMessage = {
    user: trader.user,
    marketIndex: 0,
    baseAmount,
    limitPrice,
    reduceOnly,
    nonce: trader.nextNonce++,
    expiryTs: 4_000_000_000n,
  };
  const signature = ed25519.sign(encodeOrderMessage(order), trader.wallet.secretKey.subarray(0, 32));
  const market = ln.bootstrap.markets[0]!;
  return fillOrderInstructions(trader.program, order, trader.wallet.publicKey, signature, {
    keeper: keeperOf(ln).publicKey,
    market: new PublicKey(market.market),
    oracle: new PublicKey(market.oracle),
  });
}

/** A keeper-signed transaction filling the trader's signed order on market 0 (SOL-PERP). */
export async function signedFillTransaction(
  ln: Localnet,
  connection: Connection,
  trader: Trader,
  baseAmount: bigint,
  limitPrice: bigint,
  reduceOnly = false,
): Promise<Transaction> {
  const keeper = keeperOf(ln);
  const tx = new Transaction().add(...(await fillInstructions(ln, trader, baseAmount, limitPrice, reduceOnly)));
  tx.feePayer = keeper.publicKey;
  tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash;
  tx.sign(keeper);
  return tx;
}

/** A private localnet, a harness whose worker and API talk to it, and a trader with `depositUsdc` deposited. */
export async function startChainHarness(
  depositUsdc: bigint,
  options: {
    providers?: number;
    worker?: boolean;
    env?: NodeJS.ProcessEnv;
    /** Runs once the localnet is up; what it returns is added to the harness's environment. */
    beforeHarness?: (ln: Localnet) => NodeJS.ProcessEnv | void;
  } = {},
) {
  const ln = await startLocalnet(options.providers ?? 2);
  const fromLocalnet = options.beforeHarness?.(ln) ?? {};
  const h = await startHarness(
    {
      QD_SOLANA_RPC_URLS: ln.rpcUrls.join(','),
      QD_LOCALNET_CONTROL_URL: ln.controlUrl,
      ...options.env,
      ...fromLocalnet,
    },
    { worker: options.worker ?? true, keeper: keeperOf(ln) },
  );
  const connection = new Connection(ln.rpcUrls[0]!, 'confirmed');
  const trader = await fundedTrader(ln, connection, depositUsdc);
  return {
    ln,
    h,
    trader,
    connection,
    async stop() {
      await h.close();
      await ln.stop();
    },
  };
}

/** A transaction `wallet` pays for and signs, on a fresh blockhash, as its browser wallet would send it (base64). */
export async function signedBy(
  connection: Connection,
  wallet: Keypair,
  build: Transaction | Promise<Transaction>,
): Promise<string> {
  const tx = await build;
  tx.feePayer = wallet.publicKey;
  tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash;
  tx.sign(wallet);
  return tx.serialize().toString('base64');
}
