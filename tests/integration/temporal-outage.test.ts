import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keypair } from '@solana/web3.js';
import { loadConfig } from '../../platform/config';
import { perpAddresses } from '../../solana/perp-program';
import { operatorHeaders, startHarness, waitFor, type Harness } from '../support/harness';
import { switchableProxy, type SwitchableProxy } from '../support/switchable-proxy';
import { asWallet, tokenOf } from '../support/auth';

let h: Harness;
let proxy: SwitchableProxy;
const trader = Keypair.generate();

beforeAll(async () => {
  // The API reaches Temporal through a proxy the test can cut, as a Temporal outage would.
  const [host, port] = loadConfig().temporal.address.split(':');
  proxy = await switchableProxy({ host: host!, port: Number(port) });
  // Each request's Temporal calls end by a 3 s deadline (8 s by default).
  h = await startHarness(
    { QD_TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`, QD_API_TEMPORAL_DEADLINE_MS: '3000' },
    { worker: false },
  );
  await tokenOf(h.apiUrl, trader); // signed in before the outage (sessions live in Redis)
}, 120_000);

afterAll(async () => {
  proxy?.on();
  await h?.close();
  await proxy?.close();
});

describe('a Temporal outage, seen from the API', () => {
  it('answers 503 with a retry hint, not a refusal, and starts nothing', { timeout: 240_000 }, async () => {
    proxy.off();
    try {
      const order = `order:${perpAddresses.user(trader.publicKey, 0).toBase58()}:outage-${h.id}`;
      const asked = Date.now();
      const amend = await asWallet(h.apiUrl, trader, `/v1/orders/${encodeURIComponent(order)}/amend`, {
        body: { triggerPrice: '150000000' },
      });
      expect(amend.status).toBe(503);
      // Answered by the request's deadline, not after the Temporal client's own retries (about 20 s).
      expect(Date.now() - asked).toBeLessThan(10_000);
      expect(amend.headers.get('retry-after')).toBe('5');
      expect(((await amend.json()) as { error: { code: string } }).error.code).toBe('temporal_unavailable');

      const probe = await fetch(`${h.apiUrl}/v1/probes`, {
        method: 'POST',
        headers: operatorHeaders(),
        body: JSON.stringify({ probeId: `outage-${h.id}` }),
      });
      expect(probe.status).toBe(503);
      expect(probe.headers.get('retry-after')).toBe('5');
    } finally {
      proxy.on();
    }
    // Back up (the client's channel reconnects after its own backoff): the same probe starts, so nothing was
    // started during the outage.
    const again = await waitFor(
      'the API to reach Temporal again',
      async () => {
        const res = await fetch(`${h.apiUrl}/v1/probes`, {
          method: 'POST',
          headers: operatorHeaders(),
          body: JSON.stringify({ probeId: `outage-${h.id}` }),
        });
        return res.status === 503 ? undefined : res;
      },
      90_000,
    );
    expect(again.status).toBe(202);
  });
});
