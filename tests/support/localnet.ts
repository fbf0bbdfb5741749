import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalnetBootstrap {
  programId: string;
  usdcMint: string;
  global: string;
  vault: string;
  pythProgram: string;
  markets: {
    marketIndex: number;
    symbol: string;
    market: string;
    oracle: string;
    oracleSource: 'pyth' | 'switchboard';
  }[];
  adminKeypair: number[];
  keeperKeypair: number[];
}

export interface Localnet {
  rpcUrls: string[];
  rpcPorts: number[];
  controlUrl: string;
  bootstrap: LocalnetBootstrap;
  control<T = unknown>(path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** The binary scripts/test.sh builds (cargo build -p quantdesk-localnet). */
export function localnetBinary(): string {
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/quantdesk/cargo-target');
  return process.env.QD_LOCALNET_BIN ?? join(target, 'debug/quantdesk-localnet');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A free port whose +1 (the WebSocket) is free too, as web3.js derives ws from http + 1. */
async function freePortPair(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (taken.has(port) || taken.has(port + 1)) continue;
    const probe = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port + 1, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (ok) {
      taken.add(port).add(port + 1);
      return port;
    }
  }
}

/** Starts a private localnet with `providers` RPC ports; it bootstraps USDC, the program and markets. */
export async function startLocalnet(providers = 3): Promise<Localnet> {
  const taken = new Set<number>();
  const rpcPorts: number[] = [];
  for (let i = 0; i < providers; i++) rpcPorts.push(await freePortPair(taken));
  let controlPort = await freePort();
  while (taken.has(controlPort)) controlPort = await freePort();
  const out = join(mkdtempSync(join(tmpdir(), 'qd-localnet-')), 'bootstrap.json');
  const child: ChildProcess = spawn(
    localnetBinary(),
    ['--rpc-ports', rpcPorts.join(','), '--control-port', String(controlPort), '--bootstrap-out', out],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`localnet did not start within 60 s:\n${log}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('localnet ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`localnet exited with ${code}:\n${log}`));
    });
  });
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  return {
    rpcUrls: rpcPorts.map((p) => `http://127.0.0.1:${p}`),
    rpcPorts,
    controlUrl,
    bootstrap: JSON.parse(readFileSync(out, 'utf8')) as LocalnetBootstrap,
    async control<T>(path: string, body?: unknown): Promise<T> {
      const res = await fetch(
        `${controlUrl}${path}`,
        body === undefined
          ? {}
          : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      );
      if (!res.ok) throw new Error(`localnet control ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Sets the same faults on every RPC port of the localnet (`{}` clears them). */
export async function setFaults(ln: Localnet, config: Record<string, number | boolean>): Promise<void> {
  for (const port of ln.rpcPorts) await ln.control('/faults', { port, ...config });
}

/** Transactions sent to any of the localnet's providers so far. */
export async function sendsSoFar(ln: Localnet): Promise<number> {
  return Object.values(await ln.control<Record<string, { sends: number }>>('/faults')).reduce((n, p) => n + p.sends, 0);
}
