import { FetchRequest, JsonRpcProvider, isError } from 'ethers';
import { systemClock, type Clock } from '../base/clock.js';
import { RpcUnavailableError } from './errors.js';

export interface RpcPoolOptions {
  /** JSON-RPC URLs in order of preference; the first is the primary. */
  readonly urls: readonly string[];
  readonly chainId: number;
  /** A request without an answer after this long counts as failed (ethers' default is 5 min). */
  readonly requestTimeoutMs?: number;
  /** After failing over, the primary is tried first again once this long has passed. */
  readonly primaryRetryMs?: number;
  readonly clock?: Clock;
  /** Called with the method of every JSON-RPC request sent (for the request counter). */
  readonly onRequest?: (method: string) => void;
}

interface Endpoint {
  readonly url: string;
  readonly provider: JsonRpcProvider;
}

/**
 * Several RPC endpoints of one chain used one at a time: a call goes to the current endpoint and,
 * when it fails with a transport error (refused, reset, timed out, 5xx, rate-limited), to the
 * next, each tried once; what the node answered (a revert, a nonce error) is thrown at once.
 *
 * @example
 * const rpc = new RpcPool({ urls: ['https://a.example', 'https://b.example'], chainId: 1 });
 * const head = await rpc.call('eth_blockNumber', (provider) => provider.getBlockNumber());
 */
export class RpcPool {
  private readonly endpoints: readonly Endpoint[];
  private readonly clock: Clock;
  private readonly primaryRetryMs: number;
  private current = 0;
  private failedOverAt = 0;

  constructor(options: RpcPoolOptions) {
    if (options.urls.length === 0) {
      throw new RpcUnavailableError('anything', [
        { url: '(none)', error: 'the RPC pool was given no URL' },
      ]);
    }
    this.clock = options.clock ?? systemClock;
    this.primaryRetryMs = options.primaryRetryMs ?? 60_000;
    this.endpoints = options.urls.map((url) => {
      const provider = jsonRpcProvider(url, options.chainId, options.requestTimeoutMs ?? 10_000);
      const onRequest = options.onRequest;
      if (onRequest) {
        // ethers reports each payload it sends (one request, or a batch) as a debug event.
        void provider.on('debug', (event: { action?: string; payload?: unknown }) => {
          if (event.action !== 'sendRpcPayload') return;
          const payloads = Array.isArray(event.payload) ? event.payload : [event.payload];
          for (const payload of payloads) onRequest((payload as { method: string }).method);
        });
      }
      return { url, provider };
    });
  }

  /** The URL calls go to first. */
  get url(): string {
    return this.endpoint(this.current).url;
  }

  /** The provider of the current endpoint (for signers and contracts that need one). */
  get provider(): JsonRpcProvider {
    return this.endpoint(this.current).provider;
  }

  get urls(): readonly string[] {
    return this.endpoints.map(({ url }) => url);
  }

  /**
   * Runs `request` against the current endpoint, failing over on transport errors. `what` names
   * the request in the error thrown when every endpoint failed ({@link RpcUnavailableError}).
   */
  async call<T>(what: string, request: (provider: JsonRpcProvider) => Promise<T>): Promise<T> {
    if (this.current !== 0 && this.clock.now() - this.failedOverAt >= this.primaryRetryMs) {
      this.current = 0;
    }
    const failures: { url: string; error: string }[] = [];
    let lastError: unknown;
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const index = (this.current + attempt) % this.endpoints.length;
      const endpoint = this.endpoint(index);
      try {
        const result = await request(endpoint.provider);
        if (index !== this.current) {
          this.current = index;
          this.failedOverAt = this.clock.now();
        }
        return result;
      } catch (error) {
        if (!isTransportError(error)) throw error;
        failures.push({ url: endpoint.url, error: describeError(error) });
        lastError = error;
      }
    }
    throw new RpcUnavailableError(what, failures, lastError);
  }

  destroy(): void {
    for (const { provider } of this.endpoints) provider.destroy();
  }

  private endpoint(index: number): Endpoint {
    const endpoint = this.endpoints[index];
    if (!endpoint) throw new RangeError(`no RPC endpoint ${index}`);
    return endpoint;
  }
}

/**
 * An ethers provider for one URL that never asks the node which chain it is (the chain id is
 * configuration), never caches answers (a sender reads nonces right after a block) and gives up
 * on a request after `timeoutMs`.
 */
export function jsonRpcProvider(url: string, chainId: number, timeoutMs: number): JsonRpcProvider {
  const request = new FetchRequest(url);
  request.timeout = timeoutMs;
  return new JsonRpcProvider(request, chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
    // Nothing here subscribes through ethers (the follower polls itself); keep it idle anyway.
    pollingInterval: 4_000,
  });
}

/** Node system errors of a connection that failed or broke. */
const transportErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * True when a request failed on the way to or from the node (so another endpoint may answer),
 * false when the node answered with an error of its own (a revert, a bad nonce, a bad filter).
 */
export function isTransportError(error: unknown): boolean {
  if (isError(error, 'NETWORK_ERROR') || isError(error, 'TIMEOUT')) return true;
  // ethers' SERVER_ERROR: an HTTP error status or a body that is not JSON-RPC (a proxy's 502).
  if (isError(error, 'SERVER_ERROR')) return true;
  for (let cause: unknown = error, depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && transportErrorCodes.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** A one-line description of an RPC error for logs and conditions (ethers messages are long). */
export function describeError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { shortMessage, message, code } = error as {
    shortMessage?: string;
    message?: string;
    code?: unknown;
  };
  const text = shortMessage ?? message ?? String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
