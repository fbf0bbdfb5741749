// socket.io fan-out (JSON on stdout): 1,000 authenticated clients in the SOL-PERP room; each price tick
// goes Redis Stream -> the API's consumer group -> socket.io -> every client. Latency is measured from
// the XADD to each client's receipt (clients and API in this one process, as on one small host).
import { Keypair } from '@solana/web3.js';
import { io as connect, type Socket } from 'socket.io-client';
import { startHarness } from '../tests/support/harness';
import { tokenOf } from '../tests/support/auth';
import { summarize } from './stats';

const CLIENTS = Number(process.env.QD_BENCH_SOCKETS ?? 1_000);
const TICKS = Number(process.env.QD_BENCH_TICKS ?? 50);
const WALLETS = 20; // clients share sessions as a trader's tabs and windows do

const h = await startHarness({ QD_RATE_LIMIT_PER_MINUTE: '100000' }, { worker: false });
const sockets: Socket[] = [];
try {
  const tokens = await Promise.all(Array.from({ length: WALLETS }, () => tokenOf(h.apiUrl, Keypair.generate())));
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const lastArrival = new Map<string, number>();
  const received = new Map<string, number>();
  for (let i = 0; i < CLIENTS; i++) {
    const socket = connect(h.apiUrl, {
      auth: { token: tokens[i % WALLETS] },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const ack = (await socket.emitWithAck('subscribe', { market: 'SOL-PERP' })) as { ok: boolean };
    if (!ack.ok) throw new Error('subscribe refused');
    socket.on('price', (p: { price: string }) => {
      const now = performance.now();
      latencies.push(now - sent.get(p.price)!);
      lastArrival.set(p.price, now);
      received.set(p.price, (received.get(p.price) ?? 0) + 1);
    });
    sockets.push(socket);
  }
  const perTick: number[] = [];
  for (let t = 0; t < TICKS; t++) {
    const price = String(150_000_000 + t);
    sent.set(price, performance.now());
    await h.redis.xadd(
      `${h.config.streamPrefix}:prices:SOL-PERP`,
      '*',
      'price',
      price,
      'confidence',
      '75000',
      'slot',
      String(t),
      'at',
      new Date().toISOString(),
    );
    const deadline = Date.now() + 10_000;
    while ((received.get(price) ?? 0) < CLIENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    if ((received.get(price) ?? 0) < CLIENTS)
      throw new Error(`tick ${t}: ${received.get(price) ?? 0} of ${CLIENTS} clients received it`);
    perTick.push(lastArrival.get(price)! - sent.get(price)!);
    await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'socket-fanout',
        clients: CLIENTS,
        ticks: TICKS,
        deliveries: latencies.length,
        latencyMs: summarize(latencies),
        lastClientPerTickMs: summarize(perTick),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  for (const s of sockets) s.disconnect();
  await h.close();
}
