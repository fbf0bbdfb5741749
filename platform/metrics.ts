import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Prometheus metrics of one process (ARCHITECTURE §9): its own registry, Node's process metrics under the
 * process's prefix, served on GET /metrics by {@link serveMetrics}. Metric names are `qd_<process>_*` for
 * what belongs to one process and `qd_*` for what any process may export (RPC pool, oracle, protocol).
 */
export function createRegistry(processName: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `qd_${processName.replace(/-/g, '_')}_` });
  return registry;
}

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the kernel's pick for 0 with `anyPort`). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the registry on http://host:port/metrics (anything else is 404). Port 0 means "no endpoint"
 * unless `anyPort` asks for an ephemeral one (tests). Bound to the configured host: loopback by default,
 * the container's interface in compose, where only Prometheus reaches it.
 */
export async function serveMetrics(
  registry: Registry,
  host: string,
  port: number,
  options: { anyPort?: boolean } = {},
): Promise<MetricsServer | null> {
  if (port === 0 && !options.anyPort) return null;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Seconds from milliseconds, for histograms in Prometheus' base unit. */
export const secondsOf = (ms: number) => ms / 1000;

/**
 * One refresh shared by every metric it feeds: prom-client asks all metrics of a scrape at once, so each
 * metric's `collect` awaits this and the refresh (a chain read, say) runs once per scrape, before any of
 * them is written out.
 */
export function sharedRefresh(refresh: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  return () =>
    (inFlight ??= refresh().finally(() => {
      inFlight = null;
    }));
}
