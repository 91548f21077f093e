// The provider gateway's HTTP server: the tenant's door into the provider. Every lease route is
// signed by the lease's tenant (auth.ts); the order of checks bounds the work a stranger can
// cause: size and rate first, then the signature, then the API server. Answers are JSON (errors
// as {"error":{"code","message"}}); followed logs are text and followed Events JSON lines; a shell
// is a WebSocket upgrade, checked the same way and refused before it upgrades (shell.ts). The
// log records the route, the status, the tenant and the time taken — never a body, a header or
// a query.
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ComputeLease } from '../api/computelease.js';
import type { KubeClient } from '../kube/client.js';
import type { InformerCache } from '../kube/informer-cache.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { authenticate, NonceBook, type Caller } from './auth.js';
import { errorBody, GatewayError } from './errors.js';
import { followLeaseEvents, leaseEvents } from './events.js';
import { LeaseDirectory, requireOpen, requireVerified } from './lease-directory.js';
import { recordLeaseNonce } from './lease-nonces.js';
import { parseLogQuery, streamLogs } from './logs.js';
import { QuoteDesk } from './quote.js';
import { maxQuoteBodyBytes, parseQuoteRequest, quotePath } from './quote-request.js';
import { RateLimiter, type RateLimit } from './rate-limit.js';
import { listSecrets, parseSecretsRequest, putSecrets } from './secrets.js';
import { refuseUpgrade, ShellSessions } from './shell.js';
import { leaseStatus } from './status.js';

export interface GatewayOptions {
  readonly client: KubeClient;
  /** An informer cache (started by the caller) the gateway adds its ComputeLease and Provider informers to. */
  readonly cache: InformerCache;
  /** Per tenant. Default 10 requests per second, bursts of 40. */
  readonly rateLimit?: RateLimit;
  /** Per client address, before the signature is checked. Default 200 per second, bursts of 1,000. */
  readonly addressRateLimit?: RateLimit;
  /** Request bodies larger than this are refused. Default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** Quotes (unsigned) per client address. Default 5 per second, bursts of 20. */
  readonly quoteRateLimit?: RateLimit;
  /** PEM certificate and key: serve HTTPS (the chart's ingress may terminate TLS instead). */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** The routes under /v1/leases/{id}/. */
const routes = ['status', 'events', 'logs', 'secrets', 'shell'] as const;
type Route = (typeof routes)[number];

const leasePath = /^\/v1\/leases\/([0-9]{1,78})\/([a-z]+)$/;

interface Parsed {
  readonly leaseId: bigint;
  readonly route: Route;
  readonly params: URLSearchParams;
}

function parsePath(url: string): Parsed {
  const parsed = new URL(url, 'http://gateway');
  const match = leasePath.exec(parsed.pathname);
  const route = match?.[2] as Route | undefined;
  if (!match || !route || !routes.includes(route)) {
    throw new GatewayError(
      404,
      'NoSuchRoute',
      `no route ${parsed.pathname}: the gateway serves /v1/leases/{leaseId}/{${routes.join(',')}} and ${quotePath}`,
    );
  }
  return { leaseId: BigInt(match[1] ?? '0'), route, params: parsed.searchParams };
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    return Promise.reject(new GatewayError(413, 'TooLarge', `the body is over ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new GatewayError(413, 'TooLarge', `the body is over ${limit} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

/** Allowed methods per route. */
const methods: Record<Route, readonly string[]> = {
  status: ['GET'],
  events: ['GET'],
  logs: ['GET'],
  secrets: ['GET', 'PUT'],
  shell: ['GET'],
};

/**
 * @example
 * const gateway = createGateway({ client, cache });
 * const { port } = await gateway.listen(8443, '127.0.0.1');
 */
export function createGateway(options: GatewayOptions): {
  readonly server: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
} {
  const { client } = options;
  const directory = new LeaseDirectory(options.cache);
  const quotes = new QuoteDesk(options.cache);
  const quoteCallers = new RateLimiter(options.quoteRateLimit ?? { perSecond: 5, burst: 20 });
  const nonces = new NonceBook();
  const tenants = new RateLimiter(options.rateLimit ?? { perSecond: 10, burst: 40 });
  const addresses = new RateLimiter(options.addressRateLimit ?? { perSecond: 200, burst: 1000 });
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const logger = (options.logger ?? silentLogger()).child({ component: 'gateway' });
  const now = options.now ?? (() => Date.now());
  const open = new Set<AbortController>();

  function limit(limiter: RateLimiter, caller: string): void {
    const wait = limiter.take(caller, now());
    if (wait > 0) {
      throw new GatewayError(429, 'RateLimited', `too many requests; try again in ${wait} s`);
    }
  }

  /** The lease as the cache shows it now: still there and not closing. */
  function stillOpen(lease: ComputeLease): () => boolean {
    return () => {
      const current = directory.lease(BigInt(lease.spec.leaseId));
      return (
        current !== undefined &&
        current.metadata.uid === lease.metadata.uid &&
        !current.spec.closeRequested
      );
    };
  }

  /** The signature, then the tenant's rate: who may act on the lease. */
  function authorize(
    request: IncomingMessage,
    leaseId: bigint,
    body: Buffer,
    note: (fields: Record<string, unknown>) => void,
  ): Caller {
    const caller = authenticate(
      {
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        leaseId,
        body,
        headers: request.headers,
      },
      directory.lease(leaseId),
      (lease) => directory.chainOf(lease),
      nonces,
      Math.floor(now() / 1000),
    );
    note({ tenant: caller.tenant, leaseId: leaseId.toString() });
    limit(tenants, caller.tenant.toLowerCase());
    return caller;
  }

  /**
   * For the routes with effects (a secret delivery, a shell), after this replica's nonce book:
   * the nonce recorded in the lease namespace, so no other replica, nor this one restarted,
   * accepts a replay.
   */
  function recordNonce(caller: Caller): Promise<void> {
    return recordLeaseNonce({ client, caller, now: Math.floor(now() / 1000) });
  }

  /** A refusal to send: a GatewayError as it is, anything else a 502 (logged: the fault is ours). */
  function refusalOf(error: unknown, fields: Record<string, unknown>): GatewayError {
    if (error instanceof GatewayError) return error;
    logger.warn('request failed', {
      ...fields,
      error: error instanceof Error ? error.message : String(error),
    });
    return new GatewayError(502, 'Upstream', 'the provider could not answer now; try again');
  }

  async function serve(
    request: IncomingMessage,
    response: ServerResponse,
    signal: AbortSignal,
    note: (fields: Record<string, unknown>) => void,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    if (url === '/healthz') return sendJson(response, 200, { ok: true });
    limit(addresses, request.socket.remoteAddress ?? '');
    if (new URL(url, 'http://gateway').pathname === quotePath) {
      // A quote needs no lease, so no signature: a tighter per-address limit bounds its work.
      note({ route: 'quote' });
      if (method !== 'POST') throw new GatewayError(405, 'MethodNotAllowed', 'quote takes POST');
      limit(quoteCallers, request.socket.remoteAddress ?? '');
      const quoted = parseQuoteRequest(parseJson(await readBody(request, maxQuoteBodyBytes)));
      return sendJson(response, 200, quotes.answer(quoted, now()));
    }
    const { leaseId, route, params } = parsePath(url);
    note({ route });
    if (!methods[route].includes(method)) {
      throw new GatewayError(
        405,
        'MethodNotAllowed',
        `${route} takes ${methods[route].join(' or ')}`,
      );
    }
    const body = await readBody(request, maxBodyBytes);
    const caller = authorize(request, leaseId, body, note);
    const { lease } = caller;
    // Status and Events say what became of the lease, also once closed or rejected; logs and
    // secrets touch a workload, which only a verified, open lease has.
    switch (route) {
      case 'status':
        return sendJson(response, 200, await leaseStatus(client, lease));
      case 'events':
        if (params.get('follow') === 'true') {
          requireOpen(lease);
          response.writeHead(200, {
            'content-type': 'application/x-ndjson',
            'cache-control': 'no-store',
          });
          await followLeaseEvents(
            client,
            lease,
            (event) => response.write(`${JSON.stringify(event)}\n`),
            stillOpen(lease),
            signal,
          );
          response.end();
          return;
        }
        return sendJson(response, 200, { events: await leaseEvents(client, lease) });
      case 'logs': {
        requireVerified(lease);
        requireOpen(lease);
        const query = parseLogQuery(params, lease);
        let started = false;
        await streamLogs(
          client,
          lease,
          query,
          (line) => {
            if (!started) {
              response.writeHead(200, {
                'content-type': 'text/plain; charset=utf-8',
                'cache-control': 'no-store',
              });
              started = true;
            }
            response.write(line);
          },
          stillOpen(lease),
          signal,
        );
        if (!started) response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        response.end();
        return;
      }
      case 'shell':
        throw new GatewayError(
          426,
          'UpgradeRequired',
          'a shell is a WebSocket: send the request with Upgrade: websocket (supercloud shell does)',
        );
      case 'secrets': {
        requireVerified(lease);
        if (method === 'GET') return sendJson(response, 200, await listSecrets(client, lease));
        requireOpen(lease);
        const secrets = parseSecretsRequest(parseJson(body));
        await recordNonce(caller);
        return sendJson(response, 200, await putSecrets(client, lease, secrets));
      }
    }
  }

  const handle: RequestListener = (request, response) => {
    const started = now();
    const abort = new AbortController();
    open.add(abort);
    response.on('close', () => {
      abort.abort();
      open.delete(abort);
    });
    const fields: Record<string, unknown> = { method: request.method };
    const note = (more: Record<string, unknown>): void => void Object.assign(fields, more);
    serve(request, response, abort.signal, note)
      .catch((error: unknown) => {
        const refusal = refusalOf(error, fields);
        fields.code = refusal.code;
        if (response.headersSent) response.end();
        else sendJson(response, refusal.status, errorBody(refusal));
      })
      .finally(() => {
        logger.info('request', { ...fields, status: response.statusCode, ms: now() - started });
      });
  };
  const server: Server = options.tls ? createTlsServer(options.tls, handle) : createServer(handle);
  const shells = new ShellSessions(client, logger);

  /** A WebSocket: a shell, checked as every lease route is, refused before anything upgrades. */
  async function upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    note: (fields: Record<string, unknown>) => void,
  ): Promise<void> {
    limit(addresses, request.socket.remoteAddress ?? '');
    const { leaseId, route, params } = parsePath(request.url ?? '/');
    note({ route });
    if (route !== 'shell' || request.method !== 'GET') {
      throw new GatewayError(400, 'NotWebSocket', 'only GET /v1/leases/{leaseId}/shell upgrades');
    }
    const caller = authorize(request, leaseId, Buffer.alloc(0), note);
    const { lease, tenant } = caller;
    const provider = () => directory.providerOf(lease);
    await shells.serve(
      { lease, tenant, isOpen: stillOpen(lease), provider, recordNonce: () => recordNonce(caller) },
      params,
      request,
      socket,
      head,
    );
    note({ status: 101 });
  }
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands an upgrading socket over without its error listener: a reset must not crash.
    socket.on('error', () => socket.destroy());
    const started = now();
    const fields: Record<string, unknown> = { method: request.method };
    const note = (more: Record<string, unknown>): void => void Object.assign(fields, more);
    upgrade(request, socket, head, note)
      .catch((error: unknown) => {
        const refusal = refusalOf(error, fields);
        Object.assign(fields, { code: refusal.code, status: refusal.status });
        refuseUpgrade(socket, refusal);
      })
      .finally(() => logger.info('request', { ...fields, ms: now() - started }));
  });
  // A slow client cannot hold a connection forever before sending its request.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      }),
    close: () =>
      new Promise((resolve) => {
        for (const abort of open) abort.abort();
        shells.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError(400, 'BadJson', 'the body is not JSON');
  }
}
