import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Terminal {
  /** The terminal's dev server. */
  webUrl: string;
  browser: Browser;
  /** A page of Debian's Chromium (not yet navigated); the browser's errors go to the test's log. */
  page: Page;
  close(): Promise<void>;
}

/**
 * The terminal as a browser test drives it: its Vite dev server, proxying /v1 and /socket.io to `apiUrl`,
 * and Chromium (`QD_CHROMIUM`, default /usr/bin/chromium) with one page of `viewport`.
 */
export async function openTerminal(apiUrl: string, viewport: { width: number; height: number }): Promise<Terminal> {
  process.env.QD_API_URL = apiUrl; // read by web/vite.config.ts
  const vite = await createServer({
    configFile: join(root, 'web/vite.config.ts'),
    server: { port: 0, strictPort: false, host: '127.0.0.1' },
    logLevel: 'error',
  });
  await vite.listen();
  const webUrl = `http://127.0.0.1:${(vite.httpServer!.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: process.env.QD_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport });
  page.on('console', (m) => {
    if (m.type() === 'error') console.error('[browser]', m.text());
  });
  page.on('pageerror', (e) => console.error('[browser error]', e.message));
  return {
    webUrl,
    browser,
    page,
    async close() {
      await browser.close();
      await vite.close();
    },
  };
}
