import { insightStreamKey } from '../../services/mikey/streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Keypair } from '@solana/web3.js';
import { io as connect, type Socket } from 'socket.io-client';
import { createEventActivities } from '../../activities/bookkeeping/publish-workflow-event';
import { perpAddresses } from '../../solana/perp-program';
import { eventKeyOf, type WorkflowEvent } from '../../domain/workflow-events';
import { createLogger } from '../../platform/logger';
import { StreamRelay } from '../../api/realtime';
import { startHarness, waitFor, type Harness } from '../support/harness';
import { tokenOf } from '../support/auth';

let h: Harness;
let second: { server: Server; url: string; close(): Promise<void> };
const wallet = Keypair.generate();
const account = perpAddresses.user(wallet.publicKey, 0).toBase58();
const sockets: Socket[] = [];

beforeAll(async () => {
  h = await startHarness({}, { worker: false });
  // A second API instance on the same streams: its own consumer group, its own clients.
  const server = createServer();
  const relay = await StreamRelay.serve(server, {
    redis: h.redis,
    streamPrefix: h.config.streamPrefix,
    corsOrigins: [],
    instance: `second-${h.id}`,
    logger: createLogger({ level: 'silent', name: 'second' }),
    sessionRecheckMs: 200,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  second = {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await relay.close();
      await new Promise((r) => server.close(r));
    },
  };
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await second?.close();
  await h?.close();
});

async function open(url: string, token?: string): Promise<Socket> {
  const socket = connect(url, { auth: token ? { token } : {}, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

const subscribe = (socket: Socket, message: unknown) =>
  socket.emitWithAck('subscribe', message) as Promise<{ ok: boolean; replayed?: number; error?: string }>;

const publish = (n: number) =>
  createEventActivities(h.redis, h.config.streamPrefix).publishWorkflowEvent({
    eventKey: eventKeyOf(`order:${account}:rt-${n}`, 'filled', 'completed'),
    workflowId: `order:${account}:rt-${n}`,
    kind: 'order',
    account,
    step: 'filled',
    status: 'completed',
    at: new Date().toISOString(),
  });

describe('socket.io gateway', () => {
  it('refuses connections without a live session', async () => {
    await expect(open(h.apiUrl)).rejects.toThrow(/unauthenticated/);
    await expect(open(h.apiUrl, 'A'.repeat(43))).rejects.toThrow(/unauthenticated/);
  });

  it('relays price ticks to a market room on every API instance', async () => {
    const token = await tokenOf(h.apiUrl, wallet);
    const a = await open(h.apiUrl, token);
    const b = await open(second.url, token);
    expect(await subscribe(a, { market: 'SOL-PERP' })).toEqual({ ok: true });
    expect(await subscribe(b, { market: 'SOL-PERP' })).toEqual({ ok: true });
    expect((await subscribe(a, { market: 'DOGE-PERP' })).ok).toBe(false);
    const got = (s: Socket) => new Promise<{ price: string; symbol: string }>((resolve) => s.once('price', resolve));
    const [pa, pb] = [got(a), got(b)];
    await h.redis.xadd(
      `${h.config.streamPrefix}:prices:SOL-PERP`,
      '*',
      'price',
      '151250000',
      'confidence',
      '75000',
      'slot',
      '9',
      'at',
      new Date().toISOString(),
    );
    expect(await pa).toMatchObject({ symbol: 'SOL-PERP', price: '151250000' });
    expect(await pb).toMatchObject({ symbol: 'SOL-PERP', price: '151250000' });
  });

  it("relays MIKEY's insights to the market's room", async () => {
    const token = await tokenOf(h.apiUrl, wallet);
    const a = await open(h.apiUrl, token);
    expect(await subscribe(a, { market: 'ETH-PERP' })).toEqual({ ok: true });
    const got = new Promise<{ symbol: string; insight: { id: string; kind: string } }>((resolve) =>
      a.once('insight', resolve),
    );
    const insight = { id: 'ETH-PERP:basis:2026-11-27T12:00:00.000Z', market: 'ETH-PERP', kind: 'basis', value: 75 };
    await h.redis.xadd(insightStreamKey(h.config.streamPrefix, 'ETH-PERP'), '*', 'insight', JSON.stringify(insight));
    expect(await got).toMatchObject({ symbol: 'ETH-PERP', insight: { id: insight.id, kind: 'basis' } });
  });

  it("delivers an account's workflow events only to its wallet, and resumes after a disconnect without gaps or duplicates", async () => {
    const token = await tokenOf(h.apiUrl, wallet);
    const stranger = await open(h.apiUrl, await tokenOf(h.apiUrl, Keypair.generate()));
    expect(await subscribe(stranger, { account })).toEqual({ ok: false, error: expect.stringMatching(/forbidden/) });

    const seen: { id: string; event: WorkflowEvent }[] = [];
    const keep = (e: { id: string; event: WorkflowEvent }) => {
      if (!seen.some((s) => s.id === e.id)) seen.push(e); // clients drop IDs they have seen
    };
    const first = await open(h.apiUrl, token);
    first.on('workflow', keep);
    expect(await subscribe(first, { account })).toEqual({ ok: true, replayed: 0 });
    await publish(1);
    await waitFor('the live event', async () => (seen.length === 1 ? true : undefined));
    first.disconnect();

    await publish(2); // while the client is away
    await publish(3);
    const again = await open(h.apiUrl, token);
    const raw: string[] = [];
    again.on('workflow', (e: { id: string; event: WorkflowEvent }) => {
      raw.push(e.id);
      keep(e);
    });
    const resumed = await subscribe(again, { account, since: seen.at(-1)!.id });
    expect(resumed).toEqual({ ok: true, replayed: 2 });
    await publish(4);
    await waitFor('every event', async () => (seen.length === 4 ? true : undefined));
    expect(seen.map((s) => s.event.workflowId)).toEqual([1, 2, 3, 4].map((n) => `order:${account}:rt-${n}`));
    const ids = seen.map((s) => s.id);
    expect([...ids].sort()).toEqual(ids); // in stream order
    expect(raw.filter((id) => id === ids[3])).toHaveLength(1);
  });
  it('closes a socket when its session ends on any instance, and one that floods the server', async () => {
    const token = await tokenOf(h.apiUrl, Keypair.generate());
    const socket = await open(second.url, token);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    // Signed out through the other instance: the session is gone from Redis, this instance notices.
    const out = await fetch(`${h.apiUrl}/v1/auth/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.status).toBeLessThan(300);
    expect(await closed).toBe('io server disconnect');

    const flooder = await open(h.apiUrl, await tokenOf(h.apiUrl, Keypair.generate()));
    const gone = new Promise<string>((resolve) => flooder.once('disconnect', resolve));
    for (let i = 0; i < 300; i++) flooder.emit('subscribe', { market: 'SOL-PERP' });
    expect(await gone).toBe('io server disconnect');
  });

  it('recreates its consumer group when the stream is gone, and relays no stale price', async () => {
    const token = await tokenOf(h.apiUrl, wallet);
    const socket = await open(h.apiUrl, token);
    expect(await subscribe(socket, { market: 'ETH-PERP' })).toEqual({ ok: true });
    const prices: string[] = [];
    socket.on('price', (p: { symbol: string; price: string }) => {
      if (p.symbol === 'ETH-PERP') prices.push(p.price);
    });
    const stream = `${h.config.streamPrefix}:prices:ETH-PERP`;
    const tick = (price: string, at: Date) =>
      h.redis.xadd(stream, '*', 'price', price, 'confidence', '1', 'at', at.toISOString());
    await h.redis.del(stream); // the stream and every group on it disappear (NOGROUP on the next read)
    await waitFor('the relay to recreate its group', async () => {
      await tick('3000000000', new Date());
      return prices.includes('3000000000') ? true : undefined;
    });
    await tick('2999000000', new Date(Date.now() - 60_000)); // a minute old: not worth showing
    await tick('3001000000', new Date());
    await waitFor('the fresh tick', async () => (prices.includes('3001000000') ? true : undefined));
    expect(prices).not.toContain('2999000000');
  });
});
