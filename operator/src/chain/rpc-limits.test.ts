import { makeError } from 'ethers';
import { RpcUnavailableError } from './errors.js';
import { readRpcLimit } from './rpc-limits.js';

/** What ethers throws for a JSON-RPC error answered with HTTP 200. */
function rpcError(code: number, message: string, data?: unknown): Error {
  return makeError('could not coalesce error', 'UNKNOWN_ERROR', {
    error: { code, message, ...(data !== undefined ? { data } : {}) },
    payload: { method: 'eth_getLogs', params: [{ fromBlock: '0x1', toBlock: '0x7d0' }] },
  });
}

/** What ethers throws for an HTTP error status, and RpcPool once no endpoint answered better. */
function httpError(status: string, body: string, headers: Record<string, string> = {}): Error {
  const serverError = makeError(`server response ${status}`, 'SERVER_ERROR', {
    response: { statusCode: Number(status.slice(0, 3)), headers },
    info: { requestUrl: 'http://127.0.0.1:1', responseBody: body, responseStatus: status },
  } as never);
  return new RpcUnavailableError(
    'eth_getLogs',
    [{ url: 'http://127.0.0.1:1', error: 'x' }],
    serverError,
  );
}

const jsonRpcBody = (code: number, message: string, data?: unknown): string =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code, message, data } });

describe('readRpcLimit: pages too large', () => {
  it.each([
    {
      provider: 'Alchemy (a block range, or a result cap, and the range that works)',
      error: httpError(
        '400 Bad Request',
        jsonRpcBody(
          -32602,
          'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x10, 0x2f]',
        ),
      ),
      expected: {
        limits: 'results',
        maxBlocks: 2_000,
        maxResults: 10_000,
        suggested: { fromBlock: 16, toBlock: 47 },
      },
    },
    {
      provider: 'Alchemy free tier (a block range only)',
      error: httpError(
        '400 Bad Request',
        jsonRpcBody(
          -32600,
          'You can make eth_getLogs requests with up to a 500 block range. Based on your parameters, this block range should work: [0x1a30dfd, 0x1a30ff0]',
        ),
      ),
      expected: {
        limits: 'blocks',
        maxBlocks: 500,
        suggested: { fromBlock: 0x1a30dfd, toBlock: 0x1a30ff0 },
      },
    },
    {
      provider: 'Infura (results, with the range in text and data)',
      error: rpcError(
        -32005,
        'query returned more than 10000 results. Try with this block range [0x64, 0xc7].',
        { from: '0x64', to: '0xc7', limit: 10_000 },
      ),
      expected: {
        limits: 'results',
        maxResults: 10_000,
        suggested: { fromBlock: 100, toBlock: 199 },
      },
    },
    {
      provider: 'Infura (a block range)',
      error: rpcError(-32602, 'range 1000000 exceeds limit of 10000'),
      expected: { limits: 'blocks', maxBlocks: 10_000 },
    },
    {
      provider: 'QuickNode (HTTP 413)',
      error: httpError(
        '413 Payload Too Large',
        jsonRpcBody(-32614, 'eth_getLogs is limited to a 10,000 range'),
      ),
      expected: { limits: 'blocks', maxBlocks: 10_000 },
    },
    {
      provider: 'Ankr (no number)',
      error: rpcError(-32600, 'block range is too wide'),
      expected: { limits: 'blocks' },
    },
    {
      provider: 'Ankr (a distance)',
      error: rpcError(-32602, 'maximum [from, to] blocks distance: 10000'),
      expected: { limits: 'blocks', maxBlocks: 10_000 },
    },
    {
      provider: 'BSC / PublicNode geth',
      error: rpcError(-32000, 'exceed maximum block range: 5000'),
      expected: { limits: 'blocks', maxBlocks: 5_000 },
    },
    {
      provider: 'reth (a block range)',
      error: rpcError(-32602, 'query exceeds max block range 100000'),
      expected: { limits: 'blocks', maxBlocks: 100_000 },
    },
    {
      provider: 'reth (results, with a decimal range)',
      error: rpcError(
        -32602,
        'query exceeds max results 20000, retry with the range 25766988-25775072',
      ),
      expected: {
        limits: 'results',
        maxResults: 20_000,
        suggested: { fromBlock: 25_766_988, toBlock: 25_775_072 },
      },
    },
    {
      provider: 'a geth fork naming both ranges',
      error: rpcError(
        -32000,
        'block range is larger than max block range, block range = 5120, max block range = 5000',
      ),
      expected: { limits: 'blocks', maxBlocks: 5_000 },
    },
    {
      provider: 'Tenderly (the limit in data)',
      error: rpcError(-32602, 'invalid params', {
        payload: 'range 9009594 is bigger than range limit 2000',
      }),
      expected: { limits: 'blocks', maxBlocks: 2_000 },
    },
    {
      provider: 'zkSync (a response too big)',
      error: rpcError(-32008, 'Response is too big', 'Exceeded max limit of 10485760'),
      expected: { limits: 'results' },
    },
    {
      provider: 'a plain error from another client',
      error: new Error('query returned more than 10000 results'),
      expected: { limits: 'results', maxResults: 10_000 },
    },
    {
      provider: 'a node that ran out of time',
      error: rpcError(-32000, 'query timeout exceeded'),
      expected: { limits: 'unknown' },
    },
  ])('$provider', ({ error, expected }) => {
    expect(readRpcLimit(error)).toEqual({ kind: 'page-too-large', ...expected });
  });

  it('reads -32005 (limit exceeded) as a page too large whatever the text', () => {
    expect(readRpcLimit(rpcError(-32005, 'something went over'))).toEqual({
      kind: 'page-too-large',
      limits: 'unknown',
    });
  });
});

describe('readRpcLimit: rate limits', () => {
  it.each([
    {
      provider: 'Infura (HTTP 429, backoff_seconds in data)',
      error: httpError(
        '429 Too Many Requests',
        jsonRpcBody(-32005, 'project ID request rate exceeded', {
          see: 'https://infura.io/dashboard',
          current_rps: 13.3,
          allowed_rps: 10,
          backoff_seconds: 30,
        }),
      ),
      retryAfterMs: 30_000,
    },
    {
      provider: 'Infura (HTTP 200, -32005 with rate text)',
      error: rpcError(-32005, 'daily request count exceeded, request rate limited'),
      retryAfterMs: undefined,
    },
    {
      provider: 'Alchemy (code 429)',
      error: httpError(
        '429 Too Many Requests',
        jsonRpcBody(
          429,
          'Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message.',
        ),
      ),
      retryAfterMs: undefined,
    },
    {
      provider: 'QuickNode (-32007, Retry-After in seconds)',
      error: httpError(
        '429 Too Many Requests',
        jsonRpcBody(-32007, '15/second request limit reached - reduce calls per second'),
        { 'retry-after': '2' },
      ),
      retryAfterMs: 2_000,
    },
    {
      provider: 'a proxy answering plain text',
      error: httpError('429 Too Many Requests', 'Too Many Requests'),
      retryAfterMs: undefined,
    },
    {
      provider: 'ethers giving up after its own retries (an escalated 599)',
      error: httpError(
        '599 CLIENT ESCALATED SERVER ERROR (429 Too Many Requests; exceeded maximum retry limit)',
        '',
      ),
      retryAfterMs: undefined,
    },
    {
      provider: 'a wait named in text',
      error: rpcError(-32090, 'Too many requests, reason: call rate limit exhausted, retry in 10s'),
      retryAfterMs: 10_000,
    },
  ])('$provider', ({ error, retryAfterMs }) => {
    expect(readRpcLimit(error)).toEqual({
      kind: 'rate-limited',
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  });

  it('takes no more than 5 minutes from a wait hint', () => {
    const error = rpcError(-32005, 'rate limit exceeded', { backoff_seconds: 86_400 });
    expect(readRpcLimit(error)).toEqual({ kind: 'rate-limited', retryAfterMs: 300_000 });
  });
});

describe('readRpcLimit: no limit', () => {
  it.each([
    [
      'a refused connection',
      new RpcUnavailableError('eth_getLogs', [{ url: 'u', error: 'ECONNREFUSED' }]),
    ],
    ['invalid params', rpcError(-32602, 'invalid params')],
    ['a revert', rpcError(3, 'execution reverted')],
    ['a bad gateway', httpError('502 Bad Gateway', '<html>bad gateway</html>')],
    ['nothing', undefined],
  ])('%s', (_, error) => {
    expect(readRpcLimit(error)).toBeUndefined();
  });

  it('never reads our request (ethers dumps it into its message) as the answer', () => {
    const error = rpcError(-32602, 'invalid params');
    (error as unknown as { payload: unknown }).payload = {
      note: 'query returned more than 10 results',
    };
    expect(readRpcLimit(error)).toBeUndefined();
  });
});
