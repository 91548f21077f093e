import { BlockHashWindow, findCommonAncestor, type BlockRef } from './reorg.js';

const ref = (number: number, fork = 'a'): BlockRef => ({ number, hash: `0x${fork}${number}` });

describe('BlockHashWindow', () => {
  it('keeps the newest blocks up to its capacity, oldest first', () => {
    const window = new BlockHashWindow(3);
    for (const n of [1, 2, 3, 4, 5]) window.record(ref(n));
    expect(window.blocks().map((b) => b.number)).toEqual([3, 4, 5]);
  });

  it('replaces the hash of a block recorded again and keeps the order', () => {
    const window = new BlockHashWindow(5);
    window.record(ref(1));
    window.record(ref(3));
    window.record(ref(3, 'b'));
    window.record(ref(2));
    expect(window.blocks()).toEqual([ref(1), ref(2), ref(3, 'b')]);
    expect(window.hashOf(3)).toBe('0xb3');
  });

  it('forgets the blocks above a rewind', () => {
    const window = new BlockHashWindow(10);
    for (const n of [1, 4, 7, 9]) window.record(ref(n));
    window.dropAbove(5);
    expect(window.blocks().map((b) => b.number)).toEqual([1, 4]);
  });
});

describe('findCommonAncestor', () => {
  /** A chain whose blocks from `forkAt` on were replaced by fork "b". */
  function chainForkedAt(forkAt: number, head = 100): (n: number) => Promise<string | undefined> {
    return async (n) => (n > head ? undefined : n >= forkAt ? `0xb${n}` : `0xa${n}`);
  }
  const recorded = [10, 20, 30, 40, 50, 60, 70].map((n) => ref(n));

  it('finds the newest recorded block below the fork', async () => {
    expect(await findCommonAncestor(recorded, chainForkedAt(45))).toEqual(ref(40));
    expect(await findCommonAncestor(recorded, chainForkedAt(41))).toEqual(ref(40));
    expect(await findCommonAncestor(recorded, chainForkedAt(40))).toEqual(ref(30));
  });

  it('returns the newest block when nothing changed', async () => {
    expect(await findCommonAncestor(recorded, chainForkedAt(1_000))).toEqual(ref(70));
  });

  it('treats blocks above a shorter new head as gone', async () => {
    expect(await findCommonAncestor(recorded, chainForkedAt(1_000, 55))).toEqual(ref(50));
  });

  it('returns undefined for a reorg deeper than the window', async () => {
    expect(await findCommonAncestor(recorded, chainForkedAt(5))).toBeUndefined();
    expect(await findCommonAncestor([], chainForkedAt(5))).toBeUndefined();
  });

  it('reads the chain O(log n) times', async () => {
    const many = Array.from({ length: 256 }, (_, i) => ref(i + 1));
    let reads = 0;
    const chain = chainForkedAt(200, 300);
    const ancestor = await findCommonAncestor(many, (n) => {
      reads += 1;
      return chain(n);
    });
    expect(ancestor).toEqual(ref(199));
    expect(reads).toBeLessThanOrEqual(9);
  });
});
