// A JSON-RPC proxy in front of a chain's RPC port that behaves like a hosted RPC service: it
// refuses eth_getLogs over a block range or a result count, and answers HTTP 429 above a request
// rate, each with the error shapes of the service it imitates (Alchemy, Infura, QuickNode, Ankr,
// or a reth node behind a rate-limiting gateway). Everything else is passed to the chain as is,
// batches included.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from './test-chain.js';

/** Whose limits and error shapes the proxy imitates. */
export type RpcServiceStyle = 'alchemy' | 'infura' | 'quicknode' | 'ankr' | 'reth';

export const rpcServiceStyles: readonly RpcServiceStyle[] = [
  'alchemy',
  'infura',
  'quicknode',
  'ankr',
  'reth',
];

export interface RpcLimits {
  readonly style: RpcServiceStyle;
  /**
   * eth_getLogs spanning more blocks is refused. Alchemy with a result cap refuses only a query
   * over both (up to 2,000 blocks by default whatever the logs, or any range within the cap).
   */
  readonly maxLogBlocks?: number;
  /** eth_getLogs returning more logs is refused (for Alchemy: unless within the block range). */
  readonly maxLogResults?: number;
  /** JSON-RPC calls per second (each call of a batch counts). */
  readonly requestsPerSecond?: number;
  /**
   * Calls allowed at once after a quiet spell; default a second's worth. A batch takes a token a
   * call: one larger than the burst is refused every time.
   */
  readonly burst?: number;
  /** The wait a 429 asks for (a Retry-After header, or Infura's backoff_seconds); none if unset. */
  readonly retryAfterSeconds?: number;
}

/** What the proxy saw and did. */
export interface RpcProxyStats {
  /** HTTP requests received (a batch is one). */
  httpRequests: number;
  /** JSON-RPC calls received, rate-limited ones included. */
  calls: number;
  readonly callsByMethod: Record<string, number>;
  /** eth_getLogs refused for their block range. */
  refusedForBlocks: number;
  /** eth_getLogs refused for their result count. */
  refusedForResults: number;
  /** HTTP requests answered 429. */
  rateLimited: number;
  /** Milliseconds between each 429 and the next request received. */
  readonly waitsAfterRateLimit: number[];
  /** The most blocks an eth_getLogs the proxy answered with logs spanned. */
  largestLogRange: number;
}

export interface RpcLimitProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly stats: RpcProxyStats;
  stop(): Promise<void>;
}

interface JsonRpcCall {
  readonly jsonrpc: '2.0';
  readonly id: unknown;
  readonly method: string;
  readonly params?: unknown[];
}

interface JsonRpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** A refusal: the JSON-RPC error, and the HTTP status the service sends it with alone. */
interface Refusal {
  readonly status: number;
  readonly error: JsonRpcError;
}

interface Log {
  readonly blockNumber: string;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Alchemy's rule: up to this many blocks whatever the logs, or any range within the result cap. */
const alchemyBlockRange = 2_000;

/** How each service words its refusals. */
const styles: Record<
  RpcServiceStyle,
  {
    readonly blocks: (limit: number, from: number, to: number) => Refusal;
    readonly results: (limit: number, from: number, fits: number, blockLimit: number) => Refusal;
    readonly rate: (limits: RpcLimits) => { status: 429; body: string };
  }
> = {
  alchemy: {
    blocks: (limit, from) => ({
      status: 400,
      error: {
        code: -32600,
        message: `You can make eth_getLogs requests with up to a ${limit} block range. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + limit - 1)}]`,
      },
    }),
    results: (limit, from, fits, blockLimit) => ({
      status: 400,
      error: {
        code: -32602,
        message: `Log response size exceeded. You can make eth_getLogs requests with up to a ${blockLimit} block range and no limit on the response size, or you can request any block range with a cap of ${limit} logs in the response. Based on your parameters, this block range should work: [${hex(from)}, ${hex(fits)}]`,
      },
    }),
    rate: () => ({
      status: 429,
      body: errorBody(null, {
        code: 429,
        message:
          'Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message.',
      }),
    }),
  },
  infura: {
    blocks: (limit, from, to) => ({
      status: 200,
      error: { code: -32602, message: `range ${to - from + 1} exceeds limit of ${limit}` },
    }),
    results: (limit, from, fits) => ({
      status: 200,
      error: {
        code: -32005,
        message: `query returned more than ${limit} results. Try with this block range [${hex(from)}, ${hex(fits)}].`,
        data: { from: hex(from), to: hex(fits), limit },
      },
    }),
    rate: (limits) => ({
      status: 429,
      body: errorBody(null, {
        code: -32005,
        message: 'project ID request rate exceeded',
        data: {
          see: 'https://infura.io/dashboard',
          allowed_rps: limits.requestsPerSecond,
          ...(limits.retryAfterSeconds !== undefined
            ? { backoff_seconds: limits.retryAfterSeconds }
            : {}),
        },
      }),
    }),
  },
  quicknode: {
    blocks: (limit) => ({
      status: 413,
      error: {
        code: -32614,
        message: `eth_getLogs is limited to a ${limit.toLocaleString('en-US')} range`,
      },
    }),
    results: (limit) => ({
      status: 200,
      error: { code: -32005, message: `query returned more than ${limit} results` },
    }),
    rate: (limits) => ({
      status: 429,
      body: errorBody(null, {
        code: -32007,
        message: `${limits.requestsPerSecond}/second request limit reached - reduce calls per second or upgrade your account at quicknode.com`,
      }),
    }),
  },
  ankr: {
    // Ankr names no number: the limit has to be found.
    blocks: () => ({ status: 200, error: { code: -32600, message: 'block range is too wide' } }),
    results: (limit) => ({
      status: 200,
      error: { code: -32602, message: `query exceeds max results ${limit}` },
    }),
    rate: () => ({ status: 429, body: 'Too Many Requests' }),
  },
  reth: {
    blocks: (limit) => ({
      status: 200,
      error: { code: -32602, message: `query exceeds max block range ${limit}` },
    }),
    results: (limit, from, fits) => ({
      status: 200,
      error: {
        code: -32602,
        message: `query exceeds max results ${limit}, retry with the range ${from}-${fits}`,
      },
    }),
    rate: () => ({
      status: 429,
      body: errorBody(null, { code: -32005, message: 'rate limit exceeded' }),
    }),
  },
};

function errorBody(id: unknown, error: JsonRpcError): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error });
}

/**
 * Starts the proxy on a free port of 127.0.0.1 in front of `targetUrl` (a chain's HTTP RPC).
 *
 * @example
 * const proxy = await startRpcLimitProxy(chain.rpcUrl, { style: 'infura', maxLogResults: 100 });
 */
export async function startRpcLimitProxy(
  targetUrl: string,
  limits: RpcLimits,
): Promise<RpcLimitProxy> {
  const style = styles[limits.style];
  const stats: RpcProxyStats = {
    httpRequests: 0,
    calls: 0,
    callsByMethod: {},
    refusedForBlocks: 0,
    refusedForResults: 0,
    rateLimited: 0,
    waitsAfterRateLimit: [],
    largestLogRange: 0,
  };
  const rate = limits.requestsPerSecond;
  const burst = limits.burst ?? rate ?? 0;
  let tokens = burst;
  let refilledAt = performance.now();
  let lastRateLimitAt: number | undefined;
  /** The block range of each eth_getLogs call, resolved once. */
  const ranges = new WeakMap<JsonRpcCall, [number, number]>();

  /** Takes `calls` tokens of the bucket (`burst` deep, refilled at `rate` a second), or none. */
  const admit = (calls: number): boolean => {
    if (rate === undefined) return true;
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - refilledAt) / 1_000) * rate);
    refilledAt = now;
    if (tokens < calls) return false;
    tokens -= calls;
    return true;
  };

  const upstream = async (calls: readonly JsonRpcCall[]): Promise<Map<unknown, unknown>> => {
    if (calls.length === 0) return new Map();
    const response = await fetch(targetUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(calls),
    });
    const answers = (await response.json()) as { id: unknown }[];
    return new Map(answers.map((answer) => [answer.id, answer]));
  };

  const blockNumberOf = async (tag: unknown): Promise<number> => {
    if (typeof tag === 'string' && tag.startsWith('0x')) return Number(tag);
    if (tag === 'earliest') return 0;
    const head = await upstream([{ jsonrpc: '2.0', id: 'head', method: 'eth_blockNumber' }]);
    return Number((head.get('head') as { result: string }).result);
  };

  /** The refusal of an eth_getLogs by its range, before asking the chain. */
  const checkRange = async (call: JsonRpcCall): Promise<Refusal | undefined> => {
    const filter = (call.params?.[0] ?? {}) as { fromBlock?: unknown; toBlock?: unknown };
    const [from, to] = [await blockNumberOf(filter.fromBlock), await blockNumberOf(filter.toBlock)];
    ranges.set(call, [from, to]);
    const blocks = to - from + 1;
    // Alchemy lets a longer range through when its logs are within the cap: decided on the answer.
    if (limits.style === 'alchemy' && limits.maxLogResults !== undefined) return undefined;
    if (limits.maxLogBlocks !== undefined && blocks > limits.maxLogBlocks) {
      stats.refusedForBlocks += 1;
      return style.blocks(limits.maxLogBlocks, from, to);
    }
    return undefined;
  };

  /** The refusal of an eth_getLogs by its answer (too many logs). */
  const checkResults = (call: JsonRpcCall, logs: readonly Log[]): Refusal | undefined => {
    const [from, to] = ranges.get(call) ?? [0, 0];
    const cap = limits.maxLogResults;
    const blocks = to - from + 1;
    const overBlocks = blocks > (limits.maxLogBlocks ?? alchemyBlockRange);
    const overResults = cap !== undefined && logs.length > cap;
    const refused = limits.style === 'alchemy' ? overBlocks && overResults : overResults;
    if (!refused || cap === undefined) {
      stats.largestLogRange = Math.max(stats.largestLogRange, blocks);
      return undefined;
    }
    stats.refusedForResults += 1;
    // The range the service suggests: from the same start, the blocks whose logs fit the cap.
    const numbers = logs.map((log) => Number(log.blockNumber)).sort((a, b) => a - b);
    const firstOver = numbers[cap] ?? to + 1;
    const fits = Math.max(from, firstOver - 1);
    return style.results(cap, from, fits, limits.maxLogBlocks ?? alchemyBlockRange);
  };

  const handle = async (body: string): Promise<{ status: number; body: string }> => {
    const parsed = JSON.parse(body) as JsonRpcCall | JsonRpcCall[];
    const batch = Array.isArray(parsed);
    const calls = batch ? parsed : [parsed];
    stats.calls += calls.length;
    for (const call of calls) {
      stats.callsByMethod[call.method] = (stats.callsByMethod[call.method] ?? 0) + 1;
    }
    if (!admit(calls.length)) {
      stats.rateLimited += 1;
      lastRateLimitAt = performance.now();
      return style.rate(limits);
    }
    const refusals = new Map<JsonRpcCall, Refusal>();
    for (const call of calls) {
      if (call.method !== 'eth_getLogs') continue;
      const refusal = await checkRange(call);
      if (refusal) refusals.set(call, refusal);
    }
    const answers = await upstream(calls.filter((call) => !refusals.has(call)));
    for (const call of calls) {
      const answer = answers.get(call.id) as { result?: unknown } | undefined;
      if (call.method !== 'eth_getLogs' || !Array.isArray(answer?.result)) continue;
      const refusal = checkResults(call, answer.result as Log[]);
      if (refusal) refusals.set(call, refusal);
    }
    const replies = calls.map((call) => {
      const refusal = refusals.get(call);
      return refusal ? { jsonrpc: '2.0', id: call.id, error: refusal.error } : answers.get(call.id);
    });
    // A refusal of a lone call comes with the service's HTTP status; a batch's are all 200.
    const loneRefusal = !batch ? refusals.get(calls[0]!) : undefined;
    return {
      status: loneRefusal?.status ?? 200,
      body: JSON.stringify(batch ? replies : replies[0]),
    };
  };

  const port = await freePort();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    stats.httpRequests += 1;
    if (lastRateLimitAt !== undefined) {
      stats.waitsAfterRateLimit.push(performance.now() - lastRateLimitAt);
      lastRateLimitAt = undefined;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handle(Buffer.concat(chunks).toString('utf8'))
        .then(({ status, body }) => {
          const retryAfter =
            status === 429 && limits.retryAfterSeconds !== undefined
              ? { 'retry-after': String(limits.retryAfterSeconds) }
              : {};
          response.writeHead(status, { 'content-type': 'application/json', ...retryAfter });
          response.end(body);
        })
        .catch((error: unknown) => {
          response.writeHead(502, { 'content-type': 'text/plain' });
          response.end(`proxy: ${error instanceof Error ? error.message : String(error)}`);
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
