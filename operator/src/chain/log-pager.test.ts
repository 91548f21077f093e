import { PageSizer, blocksIn, nextPage, type BlockRange } from './log-pager.js';
import type { PageTooLarge } from './rpc-limits.js';

describe('nextPage', () => {
  it('starts after the cursor and stops at the page size', () => {
    expect(nextPage(100, 1_000, 50)).toEqual({ fromBlock: 101, toBlock: 150 });
  });

  it('never goes past the last confirmed block', () => {
    expect(nextPage(100, 120, 50)).toEqual({ fromBlock: 101, toBlock: 120 });
  });

  it('has nothing to read at or above the last block', () => {
    expect(nextPage(120, 120, 50)).toBeUndefined();
    expect(nextPage(121, 120, 50)).toBeUndefined();
  });

  it('reads from the genesis block when the cursor is before it', () => {
    expect(nextPage(-1, 5, 10)).toEqual({ fromBlock: 0, toBlock: 5 });
  });

  it('covers a range exactly once, page after page', () => {
    const covered: number[] = [];
    for (let cursor = 9, page = nextPage(cursor, 100, 7); page; page = nextPage(cursor, 100, 7)) {
      for (let block = page.fromBlock; block <= page.toBlock; block++) covered.push(block);
      cursor = page.toBlock;
    }
    expect(covered).toEqual(Array.from({ length: 91 }, (_, i) => 10 + i));
  });
});

const tooLarge = (refusal: Omit<PageTooLarge, 'kind'>): PageTooLarge => ({
  kind: 'page-too-large',
  ...refusal,
});

describe('PageSizer', () => {
  it('takes the range the node suggests', () => {
    const pages = new PageSizer(2_000);
    const suggested = { fromBlock: 101, toBlock: 400 };
    expect(pages.refused(2_000, tooLarge({ limits: 'results', suggested }))).toBe(true);
    expect(pages.size).toBe(300);
  });

  it('halves when a suggested range is no smaller than the refused page', () => {
    const pages = new PageSizer(2_000);
    const suggested = { fromBlock: 1, toBlock: 2_000 };
    pages.refused(2_000, tooLarge({ limits: 'results', suggested }));
    expect(pages.size).toBe(1_000);
  });

  it('goes straight to a block limit the node names and never grows past it', () => {
    const pages = new PageSizer(2_000, 1, 1);
    pages.refused(2_000, tooLarge({ limits: 'blocks', maxBlocks: 500 }));
    expect(pages.size).toBe(500);
    for (let i = 0; i < 10; i++) pages.succeeded(500, 0);
    expect(pages.size).toBe(500);
    expect(pages.limit).toBe(500);
  });

  it('distrusts a named limit the refused page was within (ranges counted another way)', () => {
    const pages = new PageSizer(2_000);
    pages.refused(500, tooLarge({ limits: 'blocks', maxBlocks: 500 }));
    expect(pages.limit).toBe(499);
    expect(pages.size).toBe(499);
  });

  it('finds an unnamed block limit by bisection, in a handful of refusals', () => {
    const wall = 700;
    const pages = new PageSizer(2_000, 1, 1);
    let refusals = 0;
    for (let i = 0; i < 100; i++) {
      const size = pages.size;
      if (size > wall) {
        refusals += 1;
        pages.refused(size, tooLarge({ limits: 'blocks' }));
      } else {
        pages.succeeded(size, 0);
      }
    }
    expect(refusals).toBeLessThanOrEqual(6);
    expect(pages.size).toBeLessThanOrEqual(wall);
    expect(pages.size).toBeGreaterThanOrEqual(wall * 0.9);
  });

  it('keeps pages under a known result cap as the chain gets busier, before a refusal', () => {
    const pages = new PageSizer(2_000);
    pages.refused(2_000, tooLarge({ limits: 'results', maxResults: 1_000 }));
    expect(pages.size).toBe(1_000);
    // 1 log per block: 1,000 blocks fit 800 logs at 80 % of the cap.
    pages.succeeded(1_000, 1_000);
    expect(pages.size).toBe(800);
  });

  it('learns an unnamed result cap from below: pages aim at 80 % of the most logs that went through', () => {
    const pages = new PageSizer(2_000, 1, 1);
    pages.succeeded(2_000, 500);
    pages.refused(2_000, tooLarge({ limits: 'results' }));
    expect(pages.size).toBe(1_000);
    // As busy as the refused page: 80 % of the 500 logs that went through is 800 blocks.
    pages.succeeded(1_000, 500);
    expect(pages.size).toBe(800);
    // Growth stays within what that cap allows at the density seen.
    pages.succeeded(800, 400);
    expect(pages.size).toBe(800);
  });

  it('grows back by doubling after full pages in a row, up to the maximum', () => {
    const pages = new PageSizer(8, 1, 2);
    pages.refused(8, tooLarge({ limits: 'unknown' }));
    pages.refused(4, tooLarge({ limits: 'unknown' }));
    expect(pages.size).toBe(2);
    pages.succeeded(2, 0);
    expect(pages.size).toBe(2);
    pages.succeeded(2, 0);
    expect(pages.size).toBe(4);
    for (let i = 0; i < 4; i++) pages.succeeded(pages.size, 0);
    expect(pages.size).toBe(8);
  });

  it('does not grow on pages shorter than its size (the tip of the chain)', () => {
    const pages = new PageSizer(8, 1, 1);
    pages.refused(8, tooLarge({ limits: 'unknown' }));
    for (let i = 0; i < 5; i++) pages.succeeded(1, 0);
    expect(pages.size).toBe(4);
  });

  it('starts its streak over after a refusal', () => {
    const pages = new PageSizer(8, 1, 2);
    pages.refused(8, tooLarge({ limits: 'unknown' }));
    pages.succeeded(4, 0);
    pages.refused(4, tooLarge({ limits: 'unknown' }));
    pages.succeeded(2, 0);
    expect(pages.size).toBe(2);
  });

  it('says a smaller page cannot help once at the minimum', () => {
    const pages = new PageSizer(10, 2);
    expect(pages.refused(10, tooLarge({ limits: 'unknown' }))).toBe(true);
    expect(pages.refused(5, tooLarge({ limits: 'unknown' }))).toBe(true);
    expect(pages.size).toBe(2);
    expect(pages.refused(2, tooLarge({ limits: 'unknown' }))).toBe(false);
    expect(pages.size).toBe(2);
  });

  it('refuses a page size that is not a positive whole number', () => {
    expect(() => new PageSizer(0)).toThrow(RangeError);
    expect(() => new PageSizer(1.5)).toThrow(RangeError);
  });
});

/** A small seeded generator (mulberry32): the same seed, the same chain and node. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How a simulated node refuses: which limits it has and how much its refusals say. */
interface SimulatedNode {
  readonly blockCap?: number;
  readonly resultCap?: number;
  /** Names its limits in the refusal. */
  readonly names: boolean;
  /** Suggests a range that works (results only, like Alchemy and Infura). */
  readonly suggests: boolean;
}

/**
 * Reads `logs` (logs per block) from block 0 to the end through `node` with a PageSizer, the way
 * the follower does: a refused page is read again at the new size from the same block.
 */
function readThrough(logs: readonly number[], node: SimulatedNode, max: number) {
  const pages = new PageSizer(max);
  const accepted: BlockRange[] = [];
  let refusals = 0;
  const before = [0];
  for (const n of logs) before.push(before[before.length - 1]! + n);
  const count = (range: BlockRange): number =>
    before[range.toBlock + 1]! - before[range.fromBlock]!;
  const last = logs.length - 1;
  for (let cursor = -1, page = nextPage(cursor, last, pages.size); page;) {
    const blocks = blocksIn(page);
    const results = count(page);
    if (node.blockCap !== undefined && blocks > node.blockCap) {
      refusals += 1;
      const named = node.names ? { maxBlocks: node.blockCap } : {};
      expect(pages.refused(blocks, tooLarge({ limits: 'blocks', ...named }))).toBe(true);
    } else if (node.resultCap !== undefined && results > node.resultCap) {
      refusals += 1;
      let end = page.fromBlock;
      while (
        end < page.toBlock &&
        count({ fromBlock: page.fromBlock, toBlock: end + 1 }) <= node.resultCap
      ) {
        end++;
      }
      const named = node.names ? { maxResults: node.resultCap } : {};
      const suggested = node.suggests
        ? { suggested: { fromBlock: page.fromBlock, toBlock: end } }
        : {};
      expect(pages.refused(blocks, tooLarge({ limits: 'results', ...named, ...suggested }))).toBe(
        true,
      );
    } else {
      accepted.push(page);
      pages.succeeded(blocks, results);
      cursor = page.toBlock;
    }
    page = nextPage(cursor, last, pages.size);
  }
  return { accepted, refusals };
}

describe('PageSizer against simulated nodes (seeded)', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => 1_000 + i * 7_919);

  it.each(seeds)('seed %i: every block once, in order, within the limits', (seed) => {
    const next = random(seed);
    // A chain of quiet stretches and bursts: 0–2 logs per block, bursts of 5–40.
    const logs: number[] = [];
    while (logs.length < 20_000) {
      const burst = next() < 0.2;
      const length = 50 + Math.floor(next() * 2_000);
      for (let i = 0; i < length; i++) {
        logs.push(Math.floor(next() * (burst ? 36 : 3)) + (burst ? 5 : 0));
      }
    }
    const hasBlockCap = next() < 0.6;
    const node: SimulatedNode = {
      ...(hasBlockCap ? { blockCap: 100 + Math.floor(next() * 3_000) } : {}),
      resultCap: 500 + Math.floor(next() * 10_000),
      names: next() < 0.7,
      suggests: next() < 0.5,
    };
    const max = 500 + Math.floor(next() * 5_000);

    const { accepted, refusals } = readThrough(logs, node, max);

    // Contiguous from the first block to the last: every block once, in order.
    expect(accepted[0]?.fromBlock).toBe(0);
    expect(accepted[accepted.length - 1]?.toBlock).toBe(logs.length - 1);
    const gaps = accepted.filter(
      (page, i) => i > 0 && page.fromBlock !== accepted[i - 1]!.toBlock + 1,
    );
    expect(gaps).toEqual([]);
    for (const page of accepted) {
      expect(blocksIn(page)).toBeLessThanOrEqual(Math.min(max, node.blockCap ?? Infinity));
    }
    // A fixed block limit costs a handful of refusals; the rest come where the chain gets busier.
    expect(refusals).toBeLessThanOrEqual(10 + accepted.length / 5);
  });
});
