import {
  FetchRequest,
  JsonRpcProvider,
  isError,
  type FetchResponse,
  type JsonRpcPayload,
  type JsonRpcResult,
} from 'ethers';
import { sleep, systemClock, type Clock } from '../base/clock.js';
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
  /**
   * Called for every send (a request or a batch) that failed on the way to or from an endpoint:
   * refused, reset, timed out, an HTTP error (for the error counter). What a node answered with
   * an error of its own (a revert) is no such failure.
   */
  readonly onTransportError?: () => void;
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
      const { onRequest, onTransportError } = options;
      if (onRequest || onTransportError) {
        // ethers reports each payload it sends (one request, or a batch) as a debug event, and
        // a send that threw (never a node's error answer) as receiveRpcError.
        void provider.on('debug', (event: { action?: string; payload?: unknown }) => {
          if (event.action === 'receiveRpcError') onTransportError?.();
          if (event.action !== 'sendRpcPayload' || !onRequest) return;
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
  request.retryFunc = retryRateLimited;
  return new NativeUtf8JsonRpcProvider(request, chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
    // Nothing here subscribes through ethers (the follower polls itself); keep it idle anyway.
    pollingInterval: 4_000,
  });
}

const utf8 = new TextDecoder();

/**
 * ethers' JsonRpcProvider, reading answers with the platform's UTF-8 decoder: ethers' own takes
 * a third of a second for a megabyte (a page of 1,000 OrderCreated logs), TextDecoder a
 * millisecond. A body that is not JSON is left to ethers, for its usual error.
 */
class NativeUtf8JsonRpcProvider extends JsonRpcProvider {
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const request = this._getConnection();
    request.body = JSON.stringify(payload);
    request.setHeader('content-type', 'application/json');
    const response = await request.send();
    response.assertOk();
    let answer: unknown;
    try {
      answer = JSON.parse(utf8.decode(response.body ?? new Uint8Array()));
    } catch {
      answer = response.bodyJson;
    }
    // Errors too: ethers' own _send returns them in the same array and types it so.
    return (Array.isArray(answer) ? answer : [answer]) as JsonRpcResult[];
  }
}

/** HTTP 429s sent again within one request before the caller is told. */
const rateLimitRetries = 2;
/** The longest Retry-After waited out within one request. */
const longestRetryInRequestMs = 1_000;

/**
 * Whether ethers sends a request the node answered with HTTP 429 again: twice at most, after what
 * a short Retry-After asks (ethers reads its seconds as milliseconds, so the wait happens here) or
 * after ethers' own random slot when there is none. A longer wait or a third 429 goes to the
 * caller as the 429 it is: RpcPool tries its next URL, the event follower backs off as asked.
 * Without this, ethers retries up to 12 times until the request times out, and the rate limit
 * looks like an unreachable node.
 */
async function retryRateLimited(
  _request: FetchRequest,
  response: FetchResponse,
  attempt: number,
): Promise<boolean> {
  if (attempt >= rateLimitRetries) return false;
  const header = response.headers['retry-after'];
  if (header === undefined) return true;
  const waitMs = Number(header) * 1_000;
  if (!Number.isFinite(waitMs) || waitMs > longestRetryInRequestMs) return false;
  await sleep(systemClock, waitMs);
  return true;
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
