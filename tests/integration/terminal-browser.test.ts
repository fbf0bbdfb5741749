// The terminal end to end in real Chromium (Debian's chromium, driven by playwright-core) on the real
// stack: sign in with the dev wallet -> deposit -> market order -> the position and the order's
// workflow steps appear live -> the price moves -> funding appears -> a liquidation is shown -> withdraw.
// Screenshots of the main screens go to test-results/terminal/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ed25519 } from '@noble/curves/ed25519';
import { Keypair, Transaction } from '@solana/web3.js';
import { alertSubscriptions, oraclePrices } from '../../drizzle/schema';
import { liquidationPrice, PRICE_PRECISION } from '../../domain/perp';
import { loadMarginAccount } from '../../solana/margin-account';
import { AlertDesk } from '../../services/mikey/trader-alerts';
import { RpcPool } from '../../solana/rpc-pool';
import { scanMarketForLiquidations } from '../../services/risk-monitor/risk-monitor';
import { startChainHarness } from '../support/perp-fixtures';
import type { Harness } from '../support/harness';
import { openTerminal, type Terminal } from '../support/terminal';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shots = join(root, 'test-results', 'terminal');

let env: Awaited<ReturnType<typeof startChainHarness>>;
let h: Harness;
let terminal: Terminal | undefined;
let browser: Browser;
let page: Page;
let webUrl: string;

beforeAll(async () => {
  env = await startChainHarness(0n);
  h = env.h;
  // The terminal's dev server, proxying /v1 and /socket.io to this test's API, and Chromium.
  terminal = await openTerminal(h.apiUrl, { width: 1600, height: 1100 });
  ({ webUrl, browser, page } = terminal);
  mkdirSync(shots, { recursive: true });
  await publishPrice(150n * PRICE_PRECISION);
}, 240_000);

afterAll(async () => {
  if (page) await shot('last').catch(() => undefined); // what the page showed when the test ended
  await terminal?.close();
  await env?.stop();
});

/** What the price feed does on each tick: Pyth on chain, the Redis price stream, the oracle_prices record. */
async function publishPrice(price: bigint) {
  const { slot } = await env.ln.control<{ slot: number }>('/pyth', { marketIndex: 0, price: price.toString() });
  const at = new Date();
  await h.redis.xadd(
    `${h.config.streamPrefix}:prices:SOL-PERP`,
    '*',
    'price',
    price.toString(),
    'confidence',
    (price / 2_000n).toString(),
    'slot',
    String(slot),
    'at',
    at.toISOString(),
  );
  await h.db
    .insert(oraclePrices)
    .values({ marketIndex: 0, publishedAt: at, price, confidence: price / 2_000n, slot: BigInt(slot) })
    .onConflictDoNothing();
}

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const steps = (kind: string) => page.locator(`[data-testid=timeline] > li[data-kind=${kind}] [data-step]`);

describe('the terminal in Chromium', () => {
  it('signs in, deposits, trades, follows price, funding and a liquidation live, and withdraws', async () => {
    await page.goto(webUrl);
    await page.getByTestId('markets-board').waitFor();
    await page.getByTestId('connect-dev').click();
    await page.getByTestId('wallet').waitFor();
    await page.locator('[data-testid=live].up').waitFor();
    await shot('01-signed-in');

    await page.getByTestId('faucet').click();
    await page.locator('[data-testid=faucet]:not([disabled])').waitFor();
    await page.getByTestId('funds-amount').fill('1000');
    await page.getByTestId('deposit').click();
    await steps('deposit').filter({ hasText: 'recorded' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('risk-equity').filter({ hasText: '1,000.00' }).waitFor({ timeout: 30_000 });
    await shot('02-deposited');

    await page.locator('[data-market="SOL-PERP"]').first().click();
    await page.getByTestId('order-size').fill('60');
    await page.getByTestId('order-preview').waitFor();
    expect(await page.getByTestId('preview-liquidation').textContent()).toMatch(/^1[0-4]\d\.\d\d$/);
    await page.getByTestId('place-order').click();
    for (const step of ['verified', 'risk-checked', 'filled', 'recorded'])
      await steps('order').filter({ hasText: step }).first().waitFor({ timeout: 60_000 });
    await page
      .locator('[data-testid=positions] [data-testid=position-size]')
      .filter({ hasText: '60.000' })
      .waitFor({ timeout: 30_000 });
    // The chart (lightweight-charts, on a canvas) draws the position's entry and liquidation prices as lines;
    // its legend prints them exactly, as the positions table does.
    const panel = page.locator('[data-testid=positions] tr[data-market="SOL-PERP"]');
    await page.locator('[data-testid=chart-lines] [data-line=liquidation]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid=candles] canvas').count()).toBeGreaterThan(0);
    const entry = (await panel.getByTestId('position-entry').textContent())!.trim().replace(/^-/, '');
    expect(await page.locator('[data-line=entry] [data-testid=chart-line-price]').textContent()).toBe(entry);
    expect(await page.locator('[data-line=liquidation] [data-testid=chart-line-price]').textContent()).toBe(
      (await panel.getByTestId('position-liquidation').textContent())!.trim(),
    );
    await shot('03-position-open');

    // An alert on the position: its liquidation price within 5 % (at 150 it is further away).
    const alerts = page.getByTestId('alerts');
    await alerts.getByTestId('alert-kind').selectOption('liquidation-distance');
    await alerts.getByTestId('alert-threshold').fill('5');
    await alerts.getByTestId('alert-market').selectOption('SOL-PERP');
    await alerts.getByTestId('alert-add').click();
    await alerts.locator('[data-testid=alert-subscriptions] li[data-kind=liquidation-distance]').waitFor();

    // The price moves: the board follows the live tick.
    await publishPrice(152n * PRICE_PRECISION);
    await page
      .locator('[data-market="SOL-PERP"] [data-testid=market-price]')
      .filter({ hasText: '152.00' })
      .waitFor({ timeout: 15_000 });

    // Funding for the period: the payment shows up in the history.
    await env.ln.control('/advance', { slots: 10, secs: 3_601 });
    await publishPrice(152n * PRICE_PRECISION);
    const epoch = String(Math.floor(Date.now() / 3_600_000));
    await h.temporal.workflow.execute('fundingSettlementWorkflow', {
      workflowId: `funding:0:${epoch}`,
      taskQueue: h.config.temporal.taskQueue,
      args: [{ marketIndex: 0, epoch }],
    });
    await page.locator('[data-testid=funds-history] td', { hasText: 'funding' }).first().waitFor({ timeout: 30_000 });
    await shot('04-funding');

    // The price comes within 3 % of the liquidation price: MIKEY's alert desk fires, the panel shows it live.
    const pool = new RpcPool(env.ln.rpcUrls, { now: () => Date.now() });
    const [subscription] = await h.db.select().from(alertSubscriptions);
    const liquidation = liquidationPrice(await loadMarginAccount(pool, subscription!.account), 0)!;
    await publishPrice((liquidation * 103n) / 100n);
    const desk = new AlertDesk(h.db, h.redis, pool, h.config.streamPrefix);
    expect(await desk.check(new Date())).toHaveLength(1);
    await alerts.locator('[data-testid=alert-list] li[data-kind=liquidation-distance]').waitFor({ timeout: 15_000 });
    await alerts.getByTestId('alert-firing').filter({ hasText: 'SOL-PERP' }).waitFor({ timeout: 15_000 });
    await alerts.locator('[data-testid=alert-list] summary').first().click();
    await alerts.getByText("the account's exact liquidation price", { exact: false }).waitFor();
    await alerts.screenshot({ path: join(shots, '04b-alert.png') });

    // The price falls through maintenance: the risk monitor's pass starts the liquidation, shown live.
    await publishPrice(135n * PRICE_PRECISION);
    const monitor = {
      pool,
      temporal: h.temporal,
      taskQueue: h.config.temporal.taskQueue,
    };
    const started = await scanMarketForLiquidations(monitor, 0);
    expect(started).toHaveLength(1);
    await steps('liquidation').filter({ hasText: 'recorded' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('liquidation-row').first().waitFor({ timeout: 30_000 });
    await shot('05-liquidated');

    await publishPrice(150n * PRICE_PRECISION);
    await page.getByTestId('funds-amount').fill('10');
    await page.getByTestId('withdraw').click();
    await steps('withdraw').filter({ hasText: 'settled' }).first().waitFor({ timeout: 60_000 });
    await page
      .locator('[data-testid=funds-history] td', { hasText: 'withdrawal' })
      .first()
      .waitFor({ timeout: 30_000 });
    await shot('06-withdrawn');
    expect(await page.getByTestId('funds-error').count()).toBe(0);

    // A panel in its own window: same session, live from its own socket.
    const [popup] = await Promise.all([
      page.context().waitForEvent('page'),
      page.locator('[data-panel=timeline] .panel-head button').click(),
    ]);
    await popup.locator('[data-panel=timeline] [data-kind=withdraw] [data-step=settled]').waitFor({ timeout: 30_000 });
    expect(await popup.locator('[data-panel]').count()).toBe(1);
    await popup.screenshot({ path: join(shots, '07-popped-out-timeline.png') });
    await popup.close();
  }, 300_000);

  it('signs in and deposits with a Wallet Standard wallet registered in the browser', async () => {
    // A wallet as an extension registers it (the wallet-standard register event); its keys stay in this
    // test process, which signs what the page asks it to sign.
    const keypair = Keypair.generate();
    const context = await browser.newContext({ viewport: { width: 1600, height: 1100 } });
    await context.exposeFunction('qdTestWalletSignMessage', (message: number[]) =>
      Array.from(ed25519.sign(Uint8Array.from(message), keypair.secretKey.subarray(0, 32))),
    );
    await context.exposeFunction('qdTestWalletSignTransaction', (wire: number[]) => {
      const tx = Transaction.from(Buffer.from(wire));
      tx.partialSign(keypair);
      return Array.from(tx.serialize({ requireAllSignatures: false }));
    });
    await context.addInitScript(registerTestWallet, {
      address: keypair.publicKey.toBase58(),
      publicKey: Array.from(keypair.publicKey.toBytes()),
    });
    const standard = await context.newPage();
    await standard.goto(webUrl);
    await standard.getByRole('button', { name: 'Test Standard Wallet' }).click();
    await standard
      .getByTestId('wallet')
      .filter({ hasText: keypair.publicKey.toBase58().slice(0, 4) })
      .waitFor();
    await standard.getByTestId('faucet').click();
    await standard.locator('[data-testid=faucet]:not([disabled])').waitFor();
    await standard.getByTestId('funds-amount').fill('250');
    await standard.getByTestId('deposit').click();
    await standard
      .locator('[data-testid=timeline] > li[data-kind=deposit] [data-step=recorded]')
      .waitFor({ timeout: 60_000 });
    await standard.getByTestId('risk-equity').filter({ hasText: '250.00' }).waitFor({ timeout: 30_000 });
    await standard.screenshot({ path: join(shots, '08-wallet-standard.png') });
    await context.close();
  }, 180_000);
});

/** Runs in the page before the terminal loads: registers a Wallet Standard wallet backed by the test's signer. */
function registerTestWallet(key: { address: string; publicKey: number[] }) {
  // The page's window (this function is serialized into it; the test process has no DOM types).
  const w = globalThis as unknown as {
    qdTestWalletSignMessage(m: number[]): Promise<number[]>;
    qdTestWalletSignTransaction(t: number[]): Promise<number[]>;
    addEventListener(type: string, listener: (e: { detail: unknown }) => void): void;
    dispatchEvent(event: unknown): boolean;
    CustomEvent: new (type: string, init: { detail: unknown }) => unknown;
  };
  const account = {
    address: key.address,
    publicKey: Uint8Array.from(key.publicKey),
    chains: ['solana:localnet'],
    features: ['solana:signMessage', 'solana:signTransaction'],
  };
  const wallet = {
    version: '1.0.0',
    name: 'Test Standard Wallet',
    icon: 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=',
    chains: ['solana:localnet'],
    accounts: [account],
    features: {
      'standard:connect': { version: '1.0.0', connect: async () => ({ accounts: [account] }) },
      'standard:events': { version: '1.0.0', on: () => () => undefined },
      'solana:signMessage': {
        version: '1.0.0',
        signMessage: async ({ message }: { message: Uint8Array }) => [
          { signedMessage: message, signature: Uint8Array.from(await w.qdTestWalletSignMessage(Array.from(message))) },
        ],
      },
      'solana:signTransaction': {
        version: '1.0.0',
        supportedTransactionVersions: ['legacy'],
        signTransaction: async ({ transaction }: { transaction: Uint8Array }) => [
          { signedTransaction: Uint8Array.from(await w.qdTestWalletSignTransaction(Array.from(transaction))) },
        ],
      },
    },
  };
  const register = ({ register: add }: { register(wallet: unknown): unknown }) => add(wallet);
  w.addEventListener('wallet-standard:app-ready', (e) => register(e.detail as Parameters<typeof register>[0]));
  w.dispatchEvent(new w.CustomEvent('wallet-standard:register-wallet', { detail: register }));
}
