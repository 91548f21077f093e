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
  /** An eth_getLogs answer of the node's own for a range, instead of the logs (a refusal). */
  refuse: ((fromBlock: number, toBlock: number) => Error | undefined) | undefined;
  /** The next this many calls are refused as rate-limited. */
  rateLimitedCalls = 0;
  /** Called before each eth_getLogs answer (to change the chain while a round reads it). */
  beforeLogs: ((fromBlock: number, toBlock: number) => void) | undefined;
  readonly logRanges: [number, number][] = [];
  readonly calls = { head: 0, hash: 0, logs: 0 };

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
    this.calls.head += 1;
    this.failIfDown();
    return this.head;
  }

  async blockHash(number: number): Promise<string | undefined> {
    this.calls.hash += 1;
    this.failIfDown();
    return this.blocks[number]?.hash;
  }

  async logs(
    addresses: readonly string[],
    fromBlock: number,
    toBlock: number,
  ): Promise<LogEntry[]> {
    this.calls.logs += 1;
    this.failIfDown();
    expect(addresses).toEqual([marketplace, registry]);
    const refusal = this.refuse?.(fromBlock, toBlock);
    if (refusal) throw refusal;
    this.beforeLogs?.(fromBlock, toBlock);
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
    if (this.rateLimitedCalls > 0) {
      this.rateLimitedCalls -= 1;
      throw jsonRpcError(-32005, 'project ID request rate exceeded', { backoff_seconds: 0.01 });
    }
  }
}

/** A JSON-RPC error as ethers throws it. */
function jsonRpcError(code: number, message: string, data?: unknown): Error {
  return Object.assign(new Error('could not coalesce error'), {
    code: 'UNKNOWN_ERROR',
    shortMessage: 'could not coalesce error',
    error: { code, message, data },
  });
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

  it('after a handler failed, goes on from the last page it took, saving only checked blocks', async () => {
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
    // Blocks 1–7 were delivered, but their hashes were not checked after their logs yet.
    expect(delivered).toEqual(chain.idsUpTo(7));
    expect(store.checkpoint).toBeUndefined();
    expect(f.status().lagBlocks).toBe(23);

    failPage2 = false;
    await f.syncOnce();
    expect(delivered).toEqual(chain.idsUpTo(30));
    expect(store.checkpoint).toEqual({ number: 30, hash: chain.blocks[30]!.hash });
  });

  it('catches a reorg that reaches delivered blocks between two pages of a round', async () => {
    const chain = new FakeChain(40);
    const delivered: ChainEvent[] = [];
    const reorgs: (ReorgNotice & { deliveredBefore: number })[] = [];
    let reorged = false;
    const { follower: f } = follower(chain, {
      confirmations: 0,
      handlers: [
        (events) => {
          delivered.push(...events);
          // Once blocks 1–7 are delivered, blocks 5 and later are replaced (two events each).
          if (!reorged) chain.reorg(36, () => 2);
          reorged = true;
        },
      ],
      onReorg: (reorg) => void reorgs.push({ ...reorg, deliveredBefore: delivered.length }),
    });

    await f.syncOnce().catch(() => undefined);
    await f.syncOnce();

    expect(reorgs).toHaveLength(1);
    const ancestor = reorgs[0]!.ancestor.number;
    expect(ancestor).toBeLessThan(5);
    // After the notice: the new chain from the ancestor on, every event once.
    const redelivered = idsOf(delivered.slice(reorgs[0]!.deliveredBefore));
    expect(redelivered).toEqual(chain.blocks.slice(ancestor + 1).flatMap((b) => b.ids));
  });

  it('reads one block hash per span of pages, not one per page', async () => {
    const chain = new FakeChain(1_000);
    const { follower: f, delivered } = follower(chain, { confirmations: 0, pageSize: 10 });

    await f.syncOnce();

    expect(idsOf(delivered)).toEqual(chain.idsUpTo(1_000));
    expect(chain.calls.logs).toBe(100);
    // The start block's, then per span of 8 pages its last block's and the check of the one before.
    expect(chain.calls.hash).toBe(1 + 2 * Math.ceil(1_000 / 80));
    expect(chain.calls.head).toBe(1);
  });

  it('reads within a block limit the node names after a single refusal', async () => {
    const chain = new FakeChain(300);
    let refusals = 0;
    chain.refuse = (from, to) => {
      if (to - from + 1 <= 25) return undefined;
      refusals += 1;
      return jsonRpcError(-32602, 'query exceeds max block range 25');
    };
    const { follower: f, delivered } = follower(chain, { confirmations: 0, pageSize: 100 });

    await f.syncOnce();

    expect(idsOf(delivered)).toEqual(chain.idsUpTo(300));
    expect(refusals).toBe(1);
    expect(chain.logRanges.every(([from, to]) => to - from + 1 <= 25)).toBe(true);
  });

  it('takes the range a node suggests when a page holds too many logs', async () => {
    // Blocks 1–100 hold 10 events each, the rest 1: at most 50 results per query.
    const chain = new FakeChain(400, (n) => (n <= 100 ? 10 : 1));
    const suggested: number[] = [];
    chain.refuse = (from, to) => {
      let end = from;
      let results = 0;
      for (; end <= to; end++) {
        results += chain.blocks[end]!.ids.length;
        if (results > 50) break;
      }
      if (end > to) return undefined;
      suggested.push(end - 1);
      return jsonRpcError(
        -32005,
        `query returned more than 50 results. Try with this block range [0x${from.toString(16)}, 0x${(end - 1).toString(16)}].`,
      );
    };
    const { follower: f, delivered } = follower(chain, { confirmations: 0, pageSize: 200 });

    await f.syncOnce();

    expect(idsOf(delivered)).toEqual(chain.idsUpTo(400));
    // The first refusal's suggestion is the next page read.
    expect(chain.logRanges[0]).toEqual([1, suggested[0]]);
  });

  it('waits out a rate limit without failing the round, shrinking, skipping or repeating', async () => {
    const chain = new FakeChain(100);
    const { follower: f, delivered } = follower(chain, {
      confirmations: 0,
      pageSize: 10,
      backoff: { baseMs: 1, maxMs: 5 },
    });
    // The head read is refused 3 times, then every other page once.
    chain.rateLimitedCalls = 3;
    chain.beforeLogs = (from) => {
      if (from % 20 === 1) chain.rateLimitedCalls = 1;
    };

    await f.syncOnce();

    expect(idsOf(delivered)).toEqual(chain.idsUpTo(100));
    expect(chain.logRanges.every(([from, to]) => to - from + 1 === 10)).toBe(true);
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
