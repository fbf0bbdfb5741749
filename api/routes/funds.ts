import { Router } from 'express';
import { z } from 'zod';
import BN from 'bn.js';
import { Wallet } from '@coral-xyz/anchor';
import { Keypair, PublicKey, SystemProgram, Transaction } from '@solana/web3.js';
import { getAssociatedTokenAddressSync, TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { createPerpProgram, marketMetas, perpAddresses } from '../../solana/perp-program';
import { otherMarketsOf } from '../../solana/accounts';
import { decodeUser, perpAccountsCoder } from '../../solana/perp-coders';
import type { RpcPool } from '../../solana/rpc-pool';
import { requireSession } from '../auth/middleware';
import { poolOf, unsignedTransaction } from '../chain';
import { HttpError, parseInput } from '../http-error';
import type { ApiDeps } from '../deps';
import type { RouteSpec } from '../openapi';
import { positiveIntString } from '../schemas';
import { SUB_ACCOUNTS } from './accounts';

const U64 = (1n << 64n) - 1n;
const buildBody = z
  .object({
    subAccountId: z
      .number()
      .int()
      .min(0)
      .max(SUB_ACCOUNTS - 1),
    /** USDC base units (1e-6). */
    amount: positiveIntString(U64),
  })
  .strict();

async function collateralMint(pool: RpcPool): Promise<PublicKey> {
  const info = await pool.call('read the global state', (c) => c.getAccountInfo(perpAddresses.global()));
  if (!info) throw new HttpError(503, 'chain_unavailable', 'the program is not initialized on this cluster');
  return new PublicKey(
    perpAccountsCoder
      .decode<{ collateralMint: { toBase58(): string } }>('globalState', info.data)
      .collateralMint.toBase58(),
  );
}

/**
 * Transactions for the wallet to sign (the API never holds a trader's key): POST /v1/deposits/build
 * (opening the sub-account in the same transaction when it does not exist yet) and
 * POST /v1/withdrawals/build (listing the markets of open positions for the program's margin check).
 * Local development also has POST /v1/dev/faucet: SOL and test USDC from the localnet.
 */
export function createFundsRouter(deps: ApiDeps): Router {
  const router = Router();
  // The program builds instructions only; nothing is signed with this placeholder.
  const programFor = (pool: RpcPool) => createPerpProgram(pool.primary, new Wallet(Keypair.generate()));

  router.post('/v1/deposits/build', async (req, res) => {
    const session = requireSession(res);
    const { subAccountId, amount } = parseInput(buildBody, req.body, 'body');
    const pool = poolOf(deps);
    const wallet = new PublicKey(session.wallet);
    const user = perpAddresses.user(wallet, subAccountId);
    const program = programFor(pool);
    const userToken = getAssociatedTokenAddressSync(await collateralMint(pool), wallet);
    const tx = new Transaction();
    const exists = await pool.call('read the sub-account', (c) => c.getAccountInfo(user));
    if (!exists)
      tx.add(
        await program.methods
          .initUser(subAccountId)
          .accountsStrict({ authority: wallet, user, systemProgram: SystemProgram.programId })
          .instruction(),
      );
    tx.add(
      await program.methods
        .deposit(new BN(amount))
        .accountsStrict({
          authority: wallet,
          global: perpAddresses.global(),
          user,
          userToken,
          vault: perpAddresses.vault(),
          tokenProgram: TOKEN_PROGRAM_ID,
        })
        .instruction(),
    );
    res.json({
      transaction: await unsignedTransaction(pool, wallet, tx),
      account: user.toBase58(),
      opensSubAccount: !exists,
    });
  });

  router.post('/v1/withdrawals/build', async (req, res) => {
    const session = requireSession(res);
    const { subAccountId, amount } = parseInput(buildBody, req.body, 'body');
    const pool = poolOf(deps);
    const wallet = new PublicKey(session.wallet);
    const user = perpAddresses.user(wallet, subAccountId);
    const info = await pool.call('read the sub-account', (c) => c.getAccountInfo(user));
    if (!info) throw new HttpError(404, 'no_sub_account', `sub-account ${subAccountId} does not exist yet`);
    const markets = await otherMarketsOf(pool, decodeUser(info.data));
    const program = programFor(pool);
    const tx = new Transaction().add(
      await program.methods
        .withdraw(new BN(amount))
        .accountsStrict({
          authority: wallet,
          global: perpAddresses.global(),
          user,
          userToken: getAssociatedTokenAddressSync(await collateralMint(pool), wallet),
          vault: perpAddresses.vault(),
          tokenProgram: TOKEN_PROGRAM_ID,
        })
        .remainingAccounts(marketMetas(markets))
        .instruction(),
    );
    res.json({ transaction: await unsignedTransaction(pool, wallet, tx), account: user.toBase58() });
  });

  router.post('/v1/dev/faucet', async (_req, res) => {
    const session = requireSession(res);
    if (deps.config.env === 'production') throw new HttpError(404, 'not_found', 'no faucet in production');
    const control = deps.config.solana.localnetControlUrl;
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${control}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!r.ok) throw new HttpError(502, 'faucet_failed', `the localnet refused ${path}: ${r.status}`);
      return r.json() as Promise<Record<string, string>>;
    };
    await post('/airdrop', { to: session.wallet, lamports: 2_000_000_000 });
    const minted = await post('/mint-usdc', { owner: session.wallet, amount: 10_000_000_000 });
    res.json({ wallet: session.wallet, sol: '2', usdc: '10000', tokenAccount: minted.tokenAccount });
  });
  return router;
}

const E = { 400: 'invalid input', 401: 'not signed in', 429: 'rate limited', 503: 'no Solana providers' } as const;
export const fundsRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/deposits/build',
    summary: 'An unsigned deposit (opening the sub-account if needed) for the wallet to sign and POST to /v1/deposits',
    auth: 'session',
    body: buildBody,
    responses: { 200: 'base64 transaction', ...E },
  },
  {
    method: 'post',
    path: '/v1/withdrawals/build',
    summary: 'An unsigned withdrawal for the wallet to sign and POST to /v1/withdrawals',
    auth: 'session',
    body: buildBody,
    responses: { 200: 'base64 transaction', ...E, 404: 'no such sub-account' },
  },
  {
    method: 'post',
    path: '/v1/dev/faucet',
    summary: 'Local development only: 2 SOL and 10,000 test USDC for the signed-in wallet',
    auth: 'session',
    responses: {
      200: 'funded',
      401: 'not signed in',
      404: 'production',
      429: 'rate limited',
      502: 'the localnet refused',
    },
  },
];
