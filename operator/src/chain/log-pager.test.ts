import { PageSizer, isPageTooLargeError, nextPage } from './log-pager.js';

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

describe('PageSizer', () => {
  it('halves down to the minimum, then says a smaller page cannot help', () => {
    const pages = new PageSizer(10, 2);
    expect(pages.shrink()).toBe(true);
    expect(pages.size).toBe(5);
    expect(pages.shrink()).toBe(true);
    expect(pages.size).toBe(2);
    expect(pages.shrink()).toBe(false);
    expect(pages.size).toBe(2);
  });

  it('doubles back after enough pages in a row, up to the maximum', () => {
    const pages = new PageSizer(8, 1, 2);
    pages.shrink();
    pages.shrink();
    expect(pages.size).toBe(2);
    pages.succeeded();
    expect(pages.size).toBe(2);
    pages.succeeded();
    expect(pages.size).toBe(4);
    pages.succeeded();
    pages.succeeded();
    pages.succeeded();
    pages.succeeded();
    expect(pages.size).toBe(8);
  });

  it('starts its streak over after a shrink', () => {
    const pages = new PageSizer(8, 1, 2);
    pages.shrink();
    pages.succeeded();
    pages.shrink();
    pages.succeeded();
    expect(pages.size).toBe(2);
  });

  it('refuses a page size that is not a positive whole number', () => {
    expect(() => new PageSizer(0)).toThrow(RangeError);
    expect(() => new PageSizer(1.5)).toThrow(RangeError);
  });
});

describe('isPageTooLargeError', () => {
  it.each([
    'query returned more than 10000 results',
    'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range',
    'eth_getLogs is limited to a 10,000 range',
    'block range is too wide',
    'exceed maximum block range: 50000',
    'too many blocks in the range',
  ])('recognises "%s"', (message) => {
    // as ethers wraps a JSON-RPC error: { info: { error: { code, message } } }
    expect(
      isPageTooLargeError({ code: 'UNKNOWN_ERROR', info: { error: { code: -32000, message } } }),
    ).toBe(true);
    expect(isPageTooLargeError(new Error(message))).toBe(true);
  });

  it('recognises JSON-RPC code -32005 (limit exceeded) whatever the text', () => {
    expect(isPageTooLargeError({ info: { error: { code: -32005, message: 'slow down' } } })).toBe(
      true,
    );
  });

  it('does not take other failures for a page too large', () => {
    expect(isPageTooLargeError(new Error('connect ECONNREFUSED 127.0.0.1:8545'))).toBe(false);
    expect(
      isPageTooLargeError({ info: { error: { code: -32602, message: 'invalid params' } } }),
    ).toBe(false);
    expect(isPageTooLargeError(undefined)).toBe(false);
  });
});
