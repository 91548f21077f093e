import { Interface, type InterfaceAbi } from 'ethers';
import { marketplaceAbi } from './abi/index.js';
import type { ChainReader } from './chain-reader.js';
import { RpcUnavailableError } from './errors.js';
import type { ChainEvent, LogEntry } from './events.js';
import {
  EventFollower,
  MemoryCheckpointStore,
  type EventFollowerOptions,
  type ReorgNotice,
} from './follower.js';

const marketplace = '0x00000000000000000000000000000000000000aa';
const registry = '0x00000000000000000000000000000000000000bb';
const market = new Interface(marketplaceAbi as unknown as InterfaceAbi);

/**
 * An in-memory chain: each block has a hash naming its fork, and events (FeeUpdated logs whose
 * `newFeeBps` is a unique id, so tests can tell exactly which events were delivered).
 */
class FakeChain implements ChainReader {
  readonly blocks: { hash: string; ids: number[] }[] = [];
  private nextId = 1;
  private forks = 0;
  /** eth_getLogs refuses ranges of more blocks than this, as Infura-like nodes do. */
  maxLogRange = Infinity;
  /** Every call fails as if the node were unreachable. */
  down = false;
  readonly logRanges: [number, number][] = [];

  /** A chain with a genesis block without events and `blocks` more: its head is `blocks`. */
  constructor(blocks: number, eventsPerBlock: (n: number) => number = () => 1) {
    this.mine(1, () => 0);
    this.mine(blocks, eventsPerBlock);
  }

  get head(): number {
    return this.blocks.length - 1;
  }

  mine(count: number, eventsPerBlock: (n: number) => number = () => 1): void {
    for (let i = 0; i < count; i++) {
      const number = this.blocks.length;
      const ids = Array.from({ length: eventsPerBlock(number) }, () => this.nextId++);
      this.blocks.push({ hash: hashOf(number, this.forks), ids });
    }
  }

  /** Replaces the last `depth` blocks with new ones (new hashes, new events). */
  reorg(depth: number, eventsPerBlock: (n: number) => number = () => 1): void {
    this.forks += 1;
    this.blocks.splice(this.blocks.length - depth, depth);
    this.mine(depth, eventsPerBlock);
  }

  /** The ids of every event in blocks up to `last`. */
  idsUpTo(last: number): number[] {
    return this.blocks.slice(0, last + 1).flatMap((block) => block.ids);
  }

  async headNumber(): Promise<number> {
    this.failIfDown();
    return this.head;
  }

  async blockHash(number: number): Promise<string | undefined> {
    this.failIfDown();
    return this.blocks[number]?.hash;
  }

  async logs(
    addresses: readonly string[],
    fromBlock: number,
    toBlock: number,
  ): Promise<LogEntry[]> {
    this.failIfDown();
    expect(addresses).toEqual([marketplace, registry]);
    if (toBlock - fromBlock + 1 > this.maxLogRange) {
      throw Object.assign(new Error('could not coalesce error'), {
        code: 'UNKNOWN_ERROR',
        info: { error: { code: -32000, message: 'query returned more than 10000 results' } },
      });
    }
    this.logRanges.push([fromBlock, toBlock]);
    const logs: LogEntry[] = [];
    for (let number = fromBlock; number <= Math.min(toBlock, this.head); number++) {
      const block = this.blocks[number]!;
      block.ids.forEach((id, index) => {
        const { data, topics } = market.encodeEventLog('FeeUpdated', [number, id]);
        logs.push({
          address: marketplace,
          topics,
          data,
          blockNumber: number,
          blockHash: block.hash,
          index,
          transactionHash: `0x${'0'.repeat(56)}${id.toString(16).padStart(8, '0')}`,
        });
      });
    }
    return logs;
  }

  private failIfDown(): void {
    if (this.down) throw new RpcUnavailableError('a read', [{ url: 'fake', error: 'refused' }]);
  }
}

function hashOf(number: number, fork: number): string {
  return `0x${fork.toString(16).padStart(8, '0')}${number.toString(16).padStart(56, '0')}`;
}

/** The ids delivered, from FeeUpdated's newFeeBps. */
function idsOf(events: readonly ChainEvent[]): number[] {
  return events.map((event) => {
    if (event.name !== 'FeeUpdated') throw new Error(`unexpected ${event.name}`);
    return Number(event.args.newFeeBps);
  });
}

function follower(
  chain: FakeChain,
  overrides: Partial<EventFollowerOptions> = {},
): {
  follower: EventFollower;
  delivered: ChainEvent[];
  store: MemoryCheckpointStore;
  reorgs: ReorgNotice[];
} {
  const delivered: ChainEvent[] = [];
  const reorgs: ReorgNotice[] = [];
  const store = new MemoryCheckpointStore();
  return {
    delivered,
    reorgs,
    store,
    follower: new EventFollower({
      reader: chain,
      contracts: { marketplace, registry },
      startBlock: 1,
      confirmations: 2,
      checkpoints: store,
      handlers: [(events) => void delivered.push(...events)],
      onReorg: (reorg) => void reorgs.push(reorg),
      pageSize: 7,
      checkpointIntervalMs: 0,
      ...overrides,
    }),
  };
}

describe('EventFollower', () => {
  it('delivers every event once, in order, page by page up to head − confirmations', async () => {
    const chain = new FakeChain(50, (n) => n % 3);
    const { follower: f, delivered, store } = follower(chain, { confirmations: 4 });

    await f.syncOnce();

    expect(idsOf(delivered)).toEqual(chain.idsUpTo(46));
    expect(
      delivered.every((event, i) => i === 0 || event.blockNumber >= delivered[i - 1]!.blockNumber),
    ).toBe(true);
    expect(store.checkpoint).toEqual({ number: 46, hash: chain.blocks[46]!.hash });
    expect(chain.logRanges[0]).toEqual([1, 7]);
    expect(chain.logRanges.every(([from, to]) => to - from + 1 <= 7)).toBe(true);
    expect(f.status()).toMatchObject({ head: 50, lagBlocks: 4, checkpoint: { number: 46 } });

    chain.mine(10);
    await f.syncOnce();
    expect(idsOf(delivered)).toEqual(chain.idsUpTo(56));
  });

  it('carries position fields with each event', async () => {
    const chain = new FakeChain(5);
    const { follower: f, delivered } = follower(chain, { confirmations: 0 });
    await f.syncOnce();
    expect(delivered[0]).toMatchObject({
      contract: 'marketplace',
      name: 'FeeUpdated',
      blockNumber: 1,
      blockHash: chain.blocks[1]!.hash,
      logIndex: 0,
    });
  });

  it('halves the page when the node refuses a range as too large, and still delivers all', async () => {
    const chain = new FakeChain(200);
    chain.maxLogRange = 10;
    const { follower: f, delivered } = follower(chain, { pageSize: 64, confirmations: 0 });

    await f.syncOnce();

    expect(idsOf(delivered)).toEqual(chain.idsUpTo(200));
    expect(chain.logRanges.every(([from, to]) => to - from + 1 <= 10)).toBe(true);
  });

  it('fails the round when even a one-block page is refused', async () => {
    const chain = new FakeChain(20);
    chain.maxLogRange = 0;
    const { follower: f, delivered } = follower(chain);
    await expect(f.syncOnce()).rejects.toMatchObject({ info: { error: { code: -32000 } } });
    expect(delivered).toEqual([]);
  });

  it('ignores a reorg within the confirmations: nothing delivered changes', async () => {
    const chain = new FakeChain(40);
    const { follower: f, delivered, reorgs } = follower(chain, { confirmations: 5 });
    await f.syncOnce();
    const before = [...delivered];

    chain.reorg(5);
    await f.syncOnce();

    expect(reorgs).toEqual([]);
    expect(delivered).toEqual(before);
  });

  it('rewinds past a reorg deeper than the confirmations and delivers the new blocks', async () => {
    const chain = new FakeChain(40);
    const { follower: f, delivered, reorgs, store } = follower(chain, { confirmations: 2 });
    await f.syncOnce();
    const orphaned = { number: 38, hash: chain.blocks[38]!.hash };

    chain.reorg(6, () => 2);
    delivered.length = 0;
    await f.syncOnce();

    expect(reorgs).toEqual([
      { ancestor: { number: 34, hash: chain.blocks[34]!.hash }, orphaned, ancestorFound: true },
    ]);
    // Blocks 35..38 again, from the new fork: two events each.
    expect(idsOf(delivered)).toEqual(chain.blocks.slice(35, 39).flatMap((b) => b.ids));
    expect(store.checkpoint).toEqual({ number: 38, hash: chain.blocks[38]!.hash });
  });

  it('saves the checkpoint only once the handlers took the page, and re-reads after a failure', async () => {
    const chain = new FakeChain(30);
    const delivered: number[] = [];
    let failPage2 = true;
    const { follower: f, store } = follower(chain, {
      confirmations: 0,
      handlers: [
        (events, range) => {
          if (range.fromBlock === 8 && failPage2) throw new Error('the API server is away');
          delivered.push(...idsOf(events));
        },
      ],
    });

    await expect(f.syncOnce()).rejects.toThrow('the API server is away');
    expect(store.checkpoint).toEqual({ number: 7, hash: chain.blocks[7]!.hash });

    failPage2 = false;
    await f.syncOnce();
    expect(delivered).toEqual(chain.idsUpTo(30));
    expect(store.checkpoint?.number).toBe(30);
  });

  it('resumes after the saved checkpoint without delivering earlier events again', async () => {
    const chain = new FakeChain(30);
    const first = follower(chain, { confirmations: 0 });
    await first.follower.syncOnce();
    chain.mine(5);

    const second = follower(chain, { confirmations: 0 });
    second.store.checkpoint = first.store.checkpoint;
    await second.follower.syncOnce();

    expect(idsOf(second.delivered)).toEqual(chain.blocks.slice(31).flatMap((b) => b.ids));
  });

  it('rewinds a saved checkpoint that a reorg orphaned while it was stopped', async () => {
    const chain = new FakeChain(60);
    const first = follower(chain, { confirmations: 0 });
    await first.follower.syncOnce();
    chain.reorg(3);

    const second = follower(chain, { confirmations: 0, blockHashWindow: 16 });
    second.store.checkpoint = first.store.checkpoint;
    await second.follower.syncOnce();

    // Only the checkpoint is known: it rewinds a whole window and reads the new blocks again.
    expect(second.reorgs).toEqual([
      expect.objectContaining({
        ancestor: { number: 44, hash: chain.blocks[44]!.hash },
        ancestorFound: false,
      }),
    ]);
    expect(idsOf(second.delivered)).toEqual(chain.blocks.slice(45).flatMap((b) => b.ids));
  });

  it('reports disconnected while the RPC is down, and catches up when it is back', async () => {
    const chain = new FakeChain(10);
    const changes: boolean[] = [];
    const { follower: f, delivered } = follower(chain, {
      confirmations: 0,
      pollIntervalMs: 20,
      backoff: { baseMs: 10, maxMs: 40 },
      onStatusChange: (status) => changes.push(status.connected),
    });
    f.start();
    await until(() => delivered.length === 10);

    chain.down = true;
    await until(() => !f.status().connected);
    chain.mine(100);
    expect(f.status().lastError).toContain('no RPC endpoint answered');
    chain.down = false;
    await until(() => delivered.length === 110 && f.status().connected);
    await f.stop();

    expect(changes).toEqual([true, false, true]);
    expect(idsOf(delivered)).toEqual(chain.idsUpTo(110));
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
