// Reorg detection of the event follower: the hashes of recent blocks it read, and the search for
// the newest of them the chain still has.

/** A block by number and hash. */
export interface BlockRef {
  readonly number: number;
  readonly hash: string;
}

/**
 * The hashes of the last `capacity` blocks the follower read (page ends and blocks with events),
 * oldest first. They all belong to one chain: the follower rewinds as soon as one stops matching.
 */
export class BlockHashWindow {
  private entries: BlockRef[] = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`the block hash window must keep at least 1 block, not ${capacity}`);
    }
  }

  /** Records a block read; a newer hash for the same number replaces the old one. */
  record(block: BlockRef): void {
    const last = this.entries[this.entries.length - 1];
    if (last && last.number >= block.number) {
      this.entries = this.entries.filter((entry) => entry.number !== block.number);
      this.entries.push(block);
      this.entries.sort((a, b) => a.number - b.number);
    } else {
      this.entries.push(block);
    }
    if (this.entries.length > this.capacity)
      this.entries.splice(0, this.entries.length - this.capacity);
  }

  hashOf(number: number): string | undefined {
    return this.entries.find((entry) => entry.number === number)?.hash;
  }

  /** Oldest first. */
  blocks(): readonly BlockRef[] {
    return this.entries;
  }

  /** Forgets the blocks above `number` (after rewinding to it). */
  dropAbove(number: number): void {
    this.entries = this.entries.filter((entry) => entry.number <= number);
  }
}

/**
 * The newest block of `window` whose hash the chain still has (`hashAt` reads the chain's hash at
 * a height, undefined above the head): everything up to it is unchanged, everything after may
 * have been replaced. A binary search, since a chain that has a block has all its ancestors:
 * O(log n) reads. Undefined when even the oldest block changed (a reorg deeper than the window).
 */
export async function findCommonAncestor(
  window: readonly BlockRef[],
  hashAt: (number: number) => Promise<string | undefined>,
): Promise<BlockRef | undefined> {
  let low = 0;
  let high = window.length - 1;
  let found: BlockRef | undefined;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const block = window[middle] as BlockRef;
    if ((await hashAt(block.number)) === block.hash) {
      found = block;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
