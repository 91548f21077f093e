// What nodes and hosted RPC services answer when a request goes over one of their limits: a log
// query too large for them (too many blocks, too many logs, a response too big), often naming the
// limit or a range that would work, or too many requests (rate limited), sometimes saying how
// long to wait. They say so in text and in codes of their own, in a JSON-RPC error or an HTTP
// status, so the answer is read from wherever ethers put it: the error's `error` or
// `info.error`, the body of an HTTP error response, an RpcPool error's `cause`.
import { ActionableError } from '../base/errors.js';
import type { BlockRange } from './log-pager.js';

/** A log query refused as too large, with what the node said would work. */
export interface PageTooLarge {
  readonly kind: 'page-too-large';
  /**
   * What the node limits: the blocks a query spans (a fixed limit: a larger range never works),
   * the logs it returns or the size of the response (depends on the stretch of chain), or unknown.
   */
  readonly limits: 'blocks' | 'results' | 'unknown';
  /** The most blocks a query may span, when the node names it. */
  readonly maxBlocks?: number;
  /** The most logs a query may return, when the node names it. */
  readonly maxResults?: number;
  /** A range starting at the refused one's start that the node says would work. */
  readonly suggested?: BlockRange;
}

/** A request refused because too many were sent: wait, then send it again. */
export interface RateLimited {
  readonly kind: 'rate-limited';
  /** How long the node asked to wait (Retry-After, Infura's backoff_seconds, "retry in 10s"). */
  readonly retryAfterMs?: number;
}

export type RpcLimit = PageTooLarge | RateLimited;

/**
 * The limit an RPC error reports, or undefined when it is no limit (a node down, a revert, a bad
 * request): a page too large (make it smaller) or a rate limit (wait). A rate limit is checked
 * first, since Infura reports both with JSON-RPC code -32005.
 *
 * @example
 * readRpcLimit(error) // { kind: 'page-too-large', limits: 'blocks', maxBlocks: 10000 }
 */
export function readRpcLimit(error: unknown): RpcLimit | undefined {
  const answer = readAnswer(error);
  const texts = answer.texts.join('\n');
  if (
    answer.statuses.includes(429) ||
    answer.codes.some((code) => rateLimitCodes.has(code)) ||
    rateLimitPatterns.some((pattern) => pattern.test(texts))
  ) {
    const retryAfterMs = retryAfter(answer);
    return { kind: 'rate-limited', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  const tooLarge =
    answer.statuses.includes(413) ||
    answer.codes.includes(limitExceededCode) ||
    tooLargePatterns.some((pattern) => pattern.test(texts));
  if (!tooLarge) return undefined;
  const maxBlocks = firstNumber(texts, blockLimitPatterns);
  const maxResults = firstNumber(texts, resultLimitPatterns) ?? dataNumber(answer.data, 'limit');
  const suggested = suggestedRange(texts, answer.data);
  // A message naming a result cap ("or any range with a cap of 10K logs") makes its block limit
  // one way among two, not a wall; one naming only blocks is a wall.
  const limits =
    maxResults !== undefined || resultWords.test(texts)
      ? 'results'
      : maxBlocks !== undefined || rangeWords.test(texts)
        ? 'blocks'
        : 'unknown';
  return {
    kind: 'page-too-large',
    limits,
    ...(maxBlocks !== undefined ? { maxBlocks } : {}),
    ...(maxResults !== undefined ? { maxResults } : {}),
    ...(suggested ? { suggested } : {}),
  };
}

/** EIP-1474's "limit exceeded": Infura's too many results (and its rate limit, told apart by text). */
const limitExceededCode = -32005;

/** JSON-RPC codes only rate limits use: Alchemy's 429, QuickNode's -32007, -32016, Ankr's -32090. */
const rateLimitCodes = new Set([429, -32007, -32016, -32090]);

const rateLimitPatterns = [
  /rate limit/i, // Infura ("request rate limited", "exceeded project rate limit"), Tenderly
  /request rate exceeded/i, // Infura
  /too many requests/i,
  /request limit reached/i, // QuickNode
  /compute units per second/i, // Alchemy
  /daily request count exceeded/i, // Infura
];

const tooLargePatterns = [
  /more than [\d,]+ results/i, // geth-based nodes, Infura, zkSync
  /too many (results|logs|blocks)/i,
  /response size (exceeded|should not|is larger)/i, // Alchemy, 1RPC
  /response (is )?too (big|large)/i, // zkSync, Optimism
  /range (is )?too (large|wide|big|high)/i, // Ankr, Optimism, Base, many proxies
  /limited to an? [\d,.]+k? (block )?range/i, // QuickNode
  /up to an? [\d,.]+k? block range/i, // Alchemy
  /exceed(s|ed)? (the )?(max(imum)?|limit)/i, // BSC, reth, Infura ("range … exceeds limit of")
  /(is )?(larger|bigger|greater) than (the )?(max(imum)?|range limit|\d)/i, // Tenderly, Morph, Scroll
  /block range limit exceeded/i, // Chainstack
  /blocks distance/i, // Ankr
  /query timeout exceeded/i, // a range too heavy to answer in time
];

/** A number as nodes write limits: 10000, 10,000, 10.000, 2K. */
const limitNumber = String.raw`(\d[\d,._]*\s*[kK]?)\b`;

/** Phrases that name the most blocks a query may span. */
const blockLimitPatterns = [
  new RegExp(String.raw`up to an? ${limitNumber}[- ]?block range`, 'i'), // Alchemy
  new RegExp(String.raw`limited to an? ${limitNumber} (?:blocks? )?range`, 'i'), // QuickNode
  new RegExp(String.raw`limited to ${limitNumber} blocks?`, 'i'), // BlockPI
  new RegExp(
    String.raw`range (?:of )?\d+ (?:exceeds|is bigger than) (?:the )?(?:range )?limit(?: of)? ${limitNumber}`,
    'i',
  ), // Infura, Tenderly
  new RegExp(String.raw`max(?:imum)? (?:block )?range(?: is| of)?\s*[:=]?\s*${limitNumber}`, 'i'), // BSC, reth, Morph, Cloudflare
  new RegExp(String.raw`blocks distance:?\s*${limitNumber}`, 'i'), // Ankr
  new RegExp(String.raw`at most ${limitNumber} blocks`, 'i'), // Coinbase
  new RegExp(String.raw`maximum is set to ${limitNumber}`, 'i'), // Avalanche
  new RegExp(String.raw`greater than ${limitNumber} max`, 'i'), // Swell
  new RegExp(String.raw`max(?:imum)? is ${limitNumber} blocks`, 'i'), // LlamaRPC, Merkle
  new RegExp(String.raw`requested blocks is ${limitNumber}`, 'i'), // thirdweb
];

/** Phrases that name the most logs a query may return. */
const resultLimitPatterns = [
  new RegExp(String.raw`more than ${limitNumber} results`, 'i'), // geth, Infura, zkSync
  new RegExp(String.raw`max(?:imum)? results:?\s*${limitNumber}`, 'i'), // reth, LlamaRPC
  new RegExp(String.raw`cap of ${limitNumber} logs`, 'i'), // Alchemy
  new RegExp(String.raw`logs matched by query exceeds limit of ${limitNumber}`, 'i'), // Arbitrum
];

const resultWords = /\b(results|logs in the response|response size|response is too|too big)\b/i;
const rangeWords = /\b(range|blocks?)\b/i;

/** What the error carries of the node's answer. */
interface NodeAnswer {
  /** HTTP statuses of error responses (an escalated 599 names the status it escalated). */
  readonly statuses: number[];
  /** JSON-RPC error codes. */
  readonly codes: number[];
  /** Error messages (the node's, never ethers' dump of our own request) and string data. */
  readonly texts: string[];
  /** The `data` objects of JSON-RPC errors (Infura's from/to/limit, backoff_seconds). */
  readonly data: Record<string, unknown>[];
  /** Retry-After headers. */
  readonly retryAfter: string[];
}

function readAnswer(error: unknown): NodeAnswer {
  const answer: NodeAnswer = { statuses: [], codes: [], texts: [], data: [], retryAfter: [] };
  const seen = new Set<object>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      answer.texts.push(value);
      return;
    }
    if (typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.code === 'number') answer.codes.push(record.code);
    // ethers' own errors (they have a shortMessage) dump our request into their message, and
    // ours (ActionableError) are written by us: only the node's answer they carry is read.
    if (
      typeof record.message === 'string' &&
      typeof record.shortMessage !== 'string' &&
      !(value instanceof ActionableError)
    ) {
      answer.texts.push(record.message);
    }
    // A JSON-RPC error's data: text (zkSync), or fields (Infura's from/to/limit, Tenderly's payload).
    if (typeof record.data === 'string') answer.texts.push(record.data);
    if (record.data && typeof record.data === 'object' && !Array.isArray(record.data)) {
      const data = record.data as Record<string, unknown>;
      answer.data.push(data);
      for (const field of Object.values(data))
        if (typeof field === 'string') answer.texts.push(field);
    }
    readHttpResponse(record, answer);
    // Never `payload`: ethers puts the request it sent there.
    for (const key of ['error', 'info', 'cause'] as const) visit(record[key], depth + 1);
    const body = (record.info as { responseBody?: unknown } | undefined)?.responseBody;
    if (typeof body === 'string') visit(parseJson(body), depth + 1);
  };
  visit(error, 0);
  return answer;
}

/** The status and Retry-After of the HTTP response an ethers SERVER_ERROR carries. */
function readHttpResponse(record: Record<string, unknown>, answer: NodeAnswer): void {
  const info = record.info as { responseStatus?: unknown } | undefined;
  if (typeof info?.responseStatus === 'string') {
    for (const match of info.responseStatus.matchAll(/\b([1-5]\d\d)\b/g)) {
      answer.statuses.push(Number(match[1]));
    }
  }
  const response = record.response as { statusCode?: unknown; headers?: unknown } | undefined;
  if (typeof response?.statusCode === 'number') answer.statuses.push(response.statusCode);
  const headers = response?.headers as Record<string, unknown> | undefined;
  const header = headers?.['retry-after'];
  if (typeof header === 'string') answer.retryAfter.push(header);
}

/** The body as JSON, or the text itself when it is not (a proxy's "Too Many Requests"). */
function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function parseLimitNumber(text: string): number | undefined {
  const compact = text.replace(/[\s,._]/g, '');
  const thousands = /k$/i.test(compact);
  const value = Number(thousands ? compact.slice(0, -1) : compact);
  if (!Number.isFinite(value) || value <= 0) return undefined;
  return thousands ? value * 1_000 : value;
}

function firstNumber(texts: string, patterns: readonly RegExp[]): number | undefined {
  for (const pattern of patterns) {
    const match = pattern.exec(texts);
    const value = match?.[1] !== undefined ? parseLimitNumber(match[1]) : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}

function dataNumber(data: readonly Record<string, unknown>[], key: string): number | undefined {
  for (const entry of data) {
    const value = entry[key];
    const number = typeof value === 'string' ? Number(value) : value;
    if (typeof number === 'number' && Number.isFinite(number) && number > 0) return number;
  }
  return undefined;
}

/**
 * The range the node suggests: "[0x1a30dfd, 0x1a30ff0]" (Alchemy, Infura, zkSync), "retry with
 * the range 25766988-25775072" (reth), or Infura's data `{ from, to }`.
 */
function suggestedRange(
  texts: string,
  data: readonly Record<string, unknown>[],
): BlockRange | undefined {
  const hex = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i.exec(texts);
  const decimal = /retry with the range (\d+)\s*-\s*(\d+)/i.exec(texts);
  const fromData = data.find(
    (entry) => typeof entry.from === 'string' && typeof entry.to === 'string',
  );
  const [from, to] = hex
    ? [hex[1], hex[2]]
    : decimal
      ? [decimal[1], decimal[2]]
      : [fromData?.from as string | undefined, fromData?.to as string | undefined];
  if (from === undefined || to === undefined) return undefined;
  const range = { fromBlock: Number(from), toBlock: Number(to) };
  return Number.isSafeInteger(range.fromBlock) &&
    Number.isSafeInteger(range.toBlock) &&
    range.fromBlock <= range.toBlock
    ? range
    : undefined;
}

/** Wait hints get no more than this: a node asking for an hour is not taken at its word. */
const longestRetryAfterMs = 5 * 60_000;

/** Retry-After (seconds or an HTTP date), Infura's backoff_seconds, or "retry in 10s". */
function retryAfter(answer: NodeAnswer): number | undefined {
  const hints: number[] = [];
  for (const header of answer.retryAfter) {
    const trimmed = header.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) hints.push(Number(trimmed) * 1_000);
    else if (!Number.isNaN(Date.parse(trimmed))) hints.push(Date.parse(trimmed) - Date.now());
  }
  for (const entry of answer.data) {
    const rate = entry.rate as Record<string, unknown> | undefined;
    const seconds = entry.backoff_seconds ?? rate?.backoff_seconds;
    if (typeof seconds === 'number') hints.push(seconds * 1_000);
  }
  const inText = /(?:retry|try again) in (\d+(?:\.\d+)?)\s*(ms|s|m)\b/i.exec(
    answer.texts.join('\n'),
  );
  if (inText) {
    const unit = inText[2] === 'ms' ? 1 : inText[2] === 's' ? 1_000 : 60_000;
    hints.push(Number(inText[1]) * unit);
  }
  const valid = hints.filter((ms) => Number.isFinite(ms) && ms >= 0);
  if (valid.length === 0) return undefined;
  return Math.min(longestRetryAfterMs, Math.max(...valid));
}
