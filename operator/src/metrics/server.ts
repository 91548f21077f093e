import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A health check: an empty list means healthy, otherwise what is wrong. */
export type HealthCheck = () => readonly string[] | Promise<readonly string[]>;

export interface HealthServerOptions {
  /** `host:port` to listen on; port 0 picks a free one. Default `127.0.0.1:8080`. */
  readonly address?: string;
  readonly registry: Registry;
  /** Liveness: failing makes Kubernetes restart the pod. */
  readonly healthz: HealthCheck;
  /** Readiness: the operator is ready once its caches are synced. */
  readonly readyz: HealthCheck;
}

export interface HealthServer {
  /** `http://host:port` actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** Splits `host:port`, `[::]:port` or `:port` (all interfaces). */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`listen address "${address}" is not host:port (e.g. 127.0.0.1:8080 or :8080)`);
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** Serves `/healthz`, `/readyz` and `/metrics` (Prometheus text format). */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { host, port } = parseListenAddress(options.address ?? '127.0.0.1:8080');
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const answer = async (): Promise<void> => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        const body = await options.registry.metrics();
        response.writeHead(200, { 'Content-Type': options.registry.contentType }).end(body);
        return;
      }
      const check =
        path === '/healthz' ? options.healthz : path === '/readyz' ? options.readyz : undefined;
      if (!check) {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
      }
      const problems = await check();
      response
        .writeHead(problems.length === 0 ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(problems.length === 0 ? 'ok' : problems.map((p) => `[-] ${p}`).join('\n') + '\n');
    };
    answer().catch((error: unknown) => {
      response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${host}:${port} is taken: choose another health/metrics address`)
          : error,
      ),
    );
    server.listen(port, host, resolve);
  });
  const bound = server.address() as AddressInfo;
  const urlHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${urlHost}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
