// The terminal's Intelligence panel in real Chromium on the real API, Redis and Postgres: MIKEY (its runner,
// as the process runs it) reads two hours of market samples from its own input stream and writes its
// insights; the panel shows the market's current signals, the liquidation map as bars and the insights
// with their workings. Screenshots go to test-results/intelligence/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { BASE_PRECISION, FUNDING_RATE_PRECISION, PRICE_PRECISION } from '../../domain/perp';
import type { MarketSample } from '../../services/mikey/market-state';
import { MikeyRunner } from '../../services/mikey/runner';
import { outsideSources, pollOutside } from '../../services/mikey/outside/feed';
import { CcxtSource } from '../../services/mikey/outside/ccxt-source';
import { startHarness, type Harness } from '../support/harness';
import { openTerminal, type Terminal } from '../support/terminal';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shots = join(root, 'test-results', 'intelligence');
const P = PRICE_PRECISION;
const B = BASE_PRECISION;

let h: Harness;
let terminal: Terminal | undefined;
let page: Page;
let webUrl: string;

beforeAll(async () => {
  h = await startHarness({}, { worker: false });
  terminal = await openTerminal(h.apiUrl, { width: 1400, height: 1000 });
  ({ webUrl, page } = terminal);
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await terminal?.close();
  await h?.close();
});

/** Two hours of SOL samples a minute apart: quiet, then funding spikes, longs pile in and a cluster forms at 95-95.5 (map buckets in price order, as MIKEY builds them). */
function samples(t0: number): MarketSample[] {
  return Array.from({ length: 120 }, (_, m) => {
    const late = m >= 90;
    return {
      marketIndex: 0,
      at: new Date(t0 + m * 60_000).toISOString(),
      price: late ? 100n * P + BigInt(m - 89) * (P / 2n) : 100n * P,
      longOi: late ? 1_000n * B + BigInt(m - 89) * 200n * B : 1_000n * B,
      shortOi: 1_000n * B,
      fundingRate: late ? FUNDING_RATE_PRECISION / 2_000n : FUNDING_RATE_PRECISION / 1_000_000n + BigInt(m % 3),
      markTwap: late ? 101n * P : 100n * P,
      oracleTwap: 100n * P,
      map: late
        ? [
            { from: 92n * P, to: 92n * P + P / 2n, long: 100n * B, short: 0n },
            { from: 95n * P, to: 95n * P + P / 2n, long: 400n * B, short: 0n },
            { from: 112n * P, to: 112n * P + P / 2n, long: 0n, short: 50n * B },
          ]
        : [],
      // 10,000 USDC a minute at 3 bps over the oracle.
      volume: 10_000n * 1_000_000n,
      premium: 3n * 1_000_000n,
      oracleConfidence: P / 20n,
      oracleAgeSlots: 1n,
    };
  });
}

describe('the Intelligence panel', () => {
  it("shows MIKEY's current signals, the liquidation map and the insights with their workings", async () => {
    const runner = new MikeyRunner(h.redis, h.db, h.config.streamPrefix, 'browser-test');
    const t0 = Date.now() - 2 * 3_600_000;
    await runner.start(t0);
    for (const s of samples(t0)) await runner.recordSample(s);
    const written = [];
    for (let i = 0; i < 10; i++) {
      const got = await runner.step(50);
      written.push(...got);
      if (!got.length && i > 2) break;
    }
    expect(new Set(written.map((i) => i.kind))).toEqual(
      // The price runs 15 % above its oracle TWAP: the oracle degrades, then the program would refuse it.
      new Set(['funding-extreme', 'basis', 'oi-quadrant', 'crowding', 'liquidation-cluster', 'oracle-health']),
    );

    // One venue replayed from its recording, one not answering.
    await pollOutside(
      h.redis,
      h.config.streamPrefix,
      [
        ...outsideSources(['binanceusdm'], 'replay'),
        new CcxtSource('bybit', { venue: 'bybit', provenance: 'nothing recorded', responses: {} }),
      ],
      ['SOL-PERP'],
      new Date(),
    );

    await page.goto(`${webUrl}/#panel=intelligence`);
    const panel = page.getByTestId('intelligence');
    await panel.getByTestId('intelligence-signals').waitFor({ timeout: 30_000 });
    // 0.05 % an hour is 438 % a year; the mark TWAP 1 % over the oracle's; longs hold 7,000 of 8,000.
    expect(await panel.getByTestId('signal-funding').textContent()).toBe('438.00 %');
    expect(await panel.getByTestId('signal-basis').textContent()).toBe('100 bps');
    expect(await panel.getByTestId('signal-crowding').textContent()).toBe('87 % long');
    expect(await panel.getByTestId('signal-volume').textContent()).toBe('10,000');
    expect(await panel.getByTestId('signal-spread').textContent()).toBe('3.00 bps');
    // 0.05 of confidence on the last sample's 115.00: 4.3 bps; one slot old.
    expect(await panel.getByTestId('signal-oracle').textContent()).toBe('1 slots · ±4.3 bps');
    // Three buckets, highest price first; the cluster's bar is the longest.
    const bars = panel.locator('[data-testid=liquidation-map] li');
    expect(await bars.count()).toBe(3);
    expect(await bars.nth(0).getAttribute('data-from')).toBe((112n * P).toString());
    const widths = await bars
      .locator('.bar.long')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    expect(widths[1]).toBeGreaterThan(widths[2]!);
    expect(widths[1]).toBeGreaterThan(0);
    // Every insight written, newest first, each opening onto its formula, window, threshold and inputs.
    const items = panel.locator('[data-testid=insights] > li');
    expect(await items.count()).toBe(written.length);
    const cluster = panel.locator('[data-testid=insights] > li[data-kind=liquidation-cluster]');
    await cluster.locator('summary').click();
    await cluster.getByText("each account's exact liquidation price").waitFor();
    await cluster.getByText('>= 10 % of open interest in one bucket').waitFor();
    // Other venues: the replayed one says so, with its price; the silent one is unavailable, with no price.
    const venue = (v: string) => panel.locator(`[data-testid=outside] tr[data-venue=${v}]`);
    expect(await venue('binanceusdm').getAttribute('data-state')).toBe('replay');
    expect(await venue('binanceusdm').textContent()).toContain('replay (recorded, not live)');
    expect(await venue('binanceusdm').textContent()).toContain('150.42');
    expect(await venue('bybit').getAttribute('data-state')).toBe('unavailable');
    expect(await venue('bybit').textContent()).toContain('no recorded response');
    await page.screenshot({ path: join(shots, '01-intelligence.png'), fullPage: true });

    // In the full terminal too, beside the other panels.
    await page.goto(webUrl);
    await page.getByTestId('intelligence-signals').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, '02-terminal.png'), fullPage: true });
  });
});
