// How the event follower splits the blocks it reads into eth_getLogs pages: a page size that adapts
// to what the RPC accepts. Hosted RPCs cap the blocks a query spans (a wall: QuickNode's 10,000,
// Alchemy free tier's 500) or the logs it returns (depends on how busy that stretch of the chain
// is: Infura's 10,000 results); their refusals often name the cap or a range that would work.
import type { PageTooLarge } from './rpc-limits.js';

/** An inclusive block range of one eth_getLogs call. */
export interface BlockRange {
  readonly fromBlock: number;
  readonly toBlock: number;
}

/** Blocks in an inclusive range. */
export function blocksIn(range: BlockRange): number {
  return range.toBlock - range.fromBlock + 1;
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

/** Pages with more logs than this share of a known result cap are made smaller before refused. */
const resultCapShare = 0.8;

/**
 * Probing a block limit the node did not name stops when the largest page that went through is
 * this close to the smallest refused one.
 */
const probeTolerance = 0.1;

/**
 * The page size. It starts at the configured maximum and:
 * - on a refusal, takes the range the node suggested, else the block limit it named, else half
 *   the refused page;
 * - remembers a block limit (named, or found by refusals that spoke of a range) as a ceiling it
 *   never grows past, and probes an unnamed one by bisection, so a fixed limit costs a handful of
 *   refusals in all;
 * - remembers a result cap, and keeps pages to what the density of logs in the last page says
 *   fits 80 % of it (smaller at once when the chain gets busier); a cap the node did not name is
 *   learnt from below, as the most logs a page returned;
 * - doubles after `growAfter` full pages in a row went through, so one busy stretch does not slow
 *   every later page down.
 *
 * Pure: the follower tells it what happened, it answers with the next size.
 *
 * @example
 * const pages = new PageSizer(2_000);
 * pages.refused(2_000, { kind: 'page-too-large', limits: 'blocks', maxBlocks: 500 }); // size 500
 */
export class PageSizer {
  private current: number;
  private readonly min: number;
  /** The most blocks a page may span: the configured maximum, or less once a limit is known. */
  private ceiling: number;
  /** The largest page that went through under the current ceiling. */
  private largestAccepted = 0;
  /** The most logs a page may return, once a refusal named it. */
  private resultCap: number | undefined;
  /** A refusal spoke of too many logs without naming the cap: the most accepted is the guide. */
  private unnamedResultCap = false;
  /** The most logs a page that went through returned. */
  private largestResults = 0;
  private streak = 0;

  constructor(
    private readonly max: number,
    min = 1,
    private readonly growAfter = 2,
  ) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`the log page size must be a whole number of blocks ≥ 1, not ${max}`);
    }
    this.current = max;
    this.ceiling = max;
    this.min = Math.min(Math.max(1, min), max);
  }

  get size(): number {
    return this.current;
  }

  /** The most blocks a page will span from now on (the maximum until a block limit was met). */
  get limit(): number {
    return this.ceiling;
  }

  /**
   * The node refused a page of `blocks` blocks as too large. False when the page already was the
   * smallest allowed (a smaller page cannot help); the size is unchanged then.
   */
  refused(blocks: number, refusal: PageTooLarge): boolean {
    this.streak = 0;
    if (blocks <= this.min) return false;
    if (refusal.maxResults !== undefined) {
      this.resultCap = Math.min(this.resultCap ?? Infinity, refusal.maxResults);
    } else if (refusal.limits !== 'blocks') {
      this.unnamedResultCap = true;
    }
    if (refusal.limits === 'blocks') {
      // A named limit is believed unless this page was within it (nodes count ranges
      // differently: to − from, or to − from + 1).
      const stated = refusal.maxBlocks;
      const wall = stated !== undefined && stated < blocks ? stated : blocks - 1;
      this.lowerCeiling(wall);
    }
    const suggested = refusal.suggested ? blocksIn(refusal.suggested) : undefined;
    let next: number;
    if (suggested !== undefined && suggested >= 1 && suggested < blocks) next = suggested;
    else if (refusal.limits !== 'blocks') next = Math.floor(blocks / 2);
    else if (refusal.maxBlocks !== undefined) next = this.ceiling;
    // An unnamed block limit: no smaller than a page that went through.
    else next = Math.max(Math.floor(blocks / 2), this.largestAccepted);
    this.current = clamp(Math.min(next, this.ceiling), this.min, this.max);
    return true;
  }

  /** A page of `blocks` blocks went through and returned `results` logs. */
  succeeded(blocks: number, results: number): void {
    this.largestResults = Math.max(this.largestResults, results);
    if (blocks > this.largestAccepted) {
      this.largestAccepted = Math.min(blocks, this.ceiling);
      this.settleCeiling();
    }
    const fits = this.densityLimit(blocks, results);
    if (fits < this.current) {
      this.current = clamp(fits, this.min, this.max);
      this.streak = 0;
      return;
    }
    // A page shorter than the size (the chain's tip) says nothing about the size.
    if (blocks < this.current) return;
    this.streak += 1;
    if (this.streak < this.growAfter || this.current >= this.ceiling) return;
    this.streak = 0;
    let next = Math.min(this.current * 2, this.ceiling, fits);
    if (this.ceiling < this.max && next > this.largestAccepted) {
      // Above what went through, below what was refused: bisect towards the block limit.
      next = Math.min(
        next,
        this.largestAccepted + Math.ceil((this.ceiling - this.largestAccepted) / 2),
      );
    }
    this.current = clamp(Math.max(next, this.current), this.min, this.max);
  }

  private lowerCeiling(wall: number): void {
    this.ceiling = clamp(Math.min(this.ceiling, wall), this.min, this.max);
    this.largestAccepted = Math.min(this.largestAccepted, this.ceiling);
    this.settleCeiling();
  }

  /** Stops probing a block limit once the largest page accepted is close enough to it. */
  private settleCeiling(): void {
    if (this.ceiling >= this.max || this.largestAccepted === 0) return;
    if (this.ceiling - this.largestAccepted <= this.ceiling * probeTolerance) {
      this.ceiling = this.largestAccepted;
    }
  }

  /**
   * The largest page the last page's density of logs says fits 80 % of the result cap: the one
   * the node named or, when it did not, the most logs a page returned (learnt from below, rising
   * as pages busier than expected go through).
   */
  private densityLimit(blocks: number, results: number): number {
    if (results === 0) return Infinity;
    const cap = this.resultCap ?? (this.unnamedResultCap ? this.largestResults : Infinity);
    return Math.floor((blocks * cap * resultCapShare) / results);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
