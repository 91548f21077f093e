// How the event follower splits the blocks it reads into eth_getLogs pages: a page size that halves
// when a node refuses a range or a result as too large, and grows back after pages that went well.

/** An inclusive block range of one eth_getLogs call. */
export interface BlockRange {
  readonly fromBlock: number;
  readonly toBlock: number;
}

/**
 * The next page after the last block read (`cursor`), at most `size` blocks, never past
 * `lastBlock` (the head minus the confirmations). Undefined when there is nothing to read.
 *
 * @example nextPage(100, 250, 100) // { fromBlock: 101, toBlock: 200 }
 */
export function nextPage(cursor: number, lastBlock: number, size: number): BlockRange | undefined {
  if (cursor >= lastBlock) return undefined;
  return { fromBlock: cursor + 1, toBlock: Math.min(cursor + Math.max(1, size), lastBlock) };
}

/**
 * The page size: starts at the configured maximum, halves on a "too large" answer (down to the
 * minimum), and doubles again after `growAfter` pages in a row went through, so one busy stretch
 * of the chain does not slow every later page down.
 */
export class PageSizer {
  private current: number;
  private successes = 0;

  constructor(
    private readonly max: number,
    private readonly min = 1,
    private readonly growAfter = 4,
  ) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`the log page size must be a whole number of blocks ≥ 1, not ${max}`);
    }
    this.current = max;
    this.min = Math.min(Math.max(1, min), max);
  }

  get size(): number {
    return this.current;
  }

  /** Halves the size; false when it already is the minimum (a smaller page cannot help). */
  shrink(): boolean {
    this.successes = 0;
    if (this.current <= this.min) return false;
    this.current = Math.max(this.min, Math.floor(this.current / 2));
    return true;
  }

  succeeded(): void {
    if (this.current >= this.max) return;
    this.successes += 1;
    if (this.successes >= this.growAfter) {
      this.successes = 0;
      this.current = Math.min(this.max, this.current * 2);
    }
  }
}

/** What nodes and RPC services answer when a log query spans too many blocks or results. */
const tooLargePatterns = [
  /more than \d+ results/i, // Infura, geth-based providers
  /too many (results|logs|blocks)/i,
  /response size (exceeded|should not|is larger)/i, // Alchemy, BSC nodes
  /(block )?range (is )?too (large|wide|big)/i, // Ankr, Erigon, many proxies
  /limited to a [\d,]+ (block )?range/i, // QuickNode
  /exceed(s|ed)? (the )?max(imum)? (block range|results|range)/i, // Blast, Nethermind, Besu
  /query timeout exceeded/i, // a range too heavy to answer in time
  /log response size/i,
];

/**
 * True when an eth_getLogs call failed because the page was too large (the remedy is a smaller
 * page). Nodes say so only in text, or with JSON-RPC code -32005 (limit exceeded), so both are
 * matched; the text is the node's, not ours.
 */
export function isPageTooLargeError(error: unknown): boolean {
  for (let value: unknown = error, depth = 0; value && depth < 5; depth++) {
    if (typeof value !== 'object') return tooLargePatterns.some((p) => p.test(String(value)));
    const record = value as { code?: unknown; message?: unknown; info?: unknown; error?: unknown };
    if (record.code === -32005) return true;
    if (
      typeof record.message === 'string' &&
      tooLargePatterns.some((p) => p.test(record.message as string))
    ) {
      return true;
    }
    value = (record.info as { error?: unknown } | undefined)?.error ?? record.error;
  }
  return false;
}
