import { Interface, type InterfaceAbi } from 'ethers';
import { defaultWorkloadPolicy } from '../workloads/verify.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import { bidSkipReason, marketplaceAbi, orderStatus } from '../chain/abi/index.js';
import { TransactionRevertedError } from '../chain/errors.js';
import type { ChainEvent } from '../chain/events.js';
import { gpuModelId } from '../chain/identifiers.js';
import type { TransactionIntent } from '../chain/intent.js';
import type { SendResult } from '../chain/tx-sender.js';
import { canonicalManifest, canonicalManifestHash } from '../workloads/canonical.js';
import { MemoryBidPools, type BidPools } from './bid-pools.js';
import { BidEngine } from './engine.js';
import type { MarketReader, OrderState } from './market-reader.js';
import { poolPriceStrategy } from './pricing.js';

const model = 'NVIDIA-H100-80GB-HBM3';
const me = '0x2222222222222222222222222222222222222222';
const other = '0x3333333333333333333333333333333333333333';
const marketplace = '0x4444444444444444444444444444444444444444';
const marketplaceInterface = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const body = {
  version: 'v1',
  services: [
    {
      name: 'worker',
      image: 'registry.example.com/team/worker:1.0',
      resources: {
        gpus: 4,
        cpuMillis: 1000,
        memoryMiB: 1024,
        ephemeralStorageMiB: 1024,
        shmMiB: 64,
      },
    },
  ],
};
const resources = {
  gpuModel: gpuModelId(model),
  gpuCount: 4n,
  gpuMemoryMiB: 0n,
  cpuMillicores: 1000n,
  memoryMiB: 1024n,
  storageMiB: 1024n,
};
const pool: GpuNodePool = {
  apiVersion: 'supercloud.dev/v1alpha1',
  kind: 'GpuNodePool',
  metadata: { name: 'h100' },
  spec: {
    nodeSelector: { 'supercloud.dev/pool': 'h100' },
    gpu: { vendor: 'nvidia', model, memoryMiB: 81_559 },
    extendedResourceName: 'nvidia.com/gpu',
    tolerations: [],
    prices: {
      perGpuHour: '3600',
      perCpuCoreHour: '0',
      perGiBMemoryHour: '0',
      perGiBStorageHour: '0',
    },
    reservedGpus: 0,
  },
  status: { gpus: { capacity: 8, allocatable: 8, allocated: 2, free: 6, largestFreeOnNode: 6 } },
};

/** A chain of open orders in memory: a placeBids lands on it as the contract would place it. */
class FakeChain implements MarketReader {
  readonly orderStates = new Map<bigint, OrderState>();
  readonly bids = new Map<bigint, bigint>();
  /** The bids (order id, price) of each transaction sent. */
  readonly sent: [bigint, bigint][][] = [];
  /** The latest block's time, unix seconds. */
  time = 1_000;
  gasLimit = 30_000_000n;
  /** What happens on chain between the precheck and the block (another transaction). */
  beforeMining = (): void => undefined;

  /** Batch reads made, by view: what the RPC requests of a page scale with. */
  readonly reads = { orders: 0, bidsOf: 0 };

  async orders(orderIds: readonly bigint[]): Promise<OrderState[]> {
    this.reads.orders++;
    return orderIds.map((orderId) => {
      const order = this.orderStates.get(orderId);
      if (!order) throw new Error(`no order ${orderId}`);
      return order;
    });
  }
  async bidsOf(orderIds: readonly bigint[]): Promise<bigint[]> {
    this.reads.bidsOf++;
    return orderIds.map((orderId) => this.bids.get(orderId) ?? 0n);
  }
  async ordersBidOn(): Promise<bigint[]> {
    return [...this.bids.keys()];
  }
  async latestBlock(): Promise<{ number: number; timestamp: number; gasLimit: bigint }> {
    return { number: 10, timestamp: this.time, gasLimit: this.gasLimit };
  }
  sender = {
    send: async (intent: TransactionIntent): Promise<SendResult> => {
      const check = await intent.precheck?.();
      if (check && !check.send) return { status: 'skipped', reason: check.reason };
      this.beforeMining();
      const call = marketplaceInterface.parseTransaction({ data: intent.data });
      const [orderIds, prices] = call?.args as unknown as [bigint[], bigint[]];
      this.sent.push(orderIds.map((orderId, i) => [orderId, prices[i] ?? 0n]));
      const logs = orderIds.flatMap((orderId, i) => this.placeBid(orderId, prices[i] ?? 0n));
      return {
        status: 'mined',
        nonce: this.sent.length,
        replacements: 0,
        receipt: { blockNumber: 11, hash: '0x01', gasUsed: 0n, logs },
      } as unknown as SendResult;
    },
  };

  /** The contract's placeBid, skipping what it refuses: the log it emits. */
  private placeBid(orderId: bigint, price: bigint) {
    const order = this.orderStates.get(orderId);
    const current = this.bids.get(orderId) ?? 0n;
    const refused =
      order?.status !== orderStatus.Open
        ? bidSkipReason.OrderNotOpen
        : current !== 0n && price >= current
          ? bidSkipReason.NotLower
          : undefined;
    if (refused === undefined) {
      this.bids.set(orderId, price);
      this.orderStates.set(orderId, { ...order!, bestBidder: me, bidCount: order!.bidCount + 1 });
    }
    const event = refused === undefined ? 'BidPlaced' : 'BidSkipped';
    const args =
      refused === undefined ? [orderId, me, price, me, price] : [orderId, me, price, refused];
    const { topics, data } = marketplaceInterface.encodeEventLog(event, args);
    return [
      { address: marketplace, topics, data, blockNumber: 11, blockHash: '0x0b', index: 0 },
    ].map((log) => ({ ...log, transactionHash: '0x01' }));
  }

  open(orderId: bigint): ChainEvent {
    this.orderStates.set(orderId, {
      orderId,
      tenant: other,
      status: orderStatus.Open,
      resources: {
        gpuModel: resources.gpuModel,
        gpuCount: 4,
        gpuMemoryMiB: 0,
        cpuMillicores: 1000,
        memoryMiB: 1024,
        storageMiB: 1024,
      },
      maxPricePerSecond: 100n,
      biddingDeadline: 2_000,
      manifestHash: canonicalManifestHash(body),
      bestBidder: '0x0000000000000000000000000000000000000000',
      bidCount: 0,
    });
    return {
      contract: 'marketplace',
      name: 'OrderCreated',
      args: {
        orderId,
        tenant: other,
        gpuModel: resources.gpuModel,
        resources,
        maxPricePerSecond: 100n,
        biddingDeadline: 2_000n,
        deposit: 1n,
        manifestHash: canonicalManifestHash(body),
        manifest: `0x${Buffer.from(canonicalManifest(body)).toString('hex')}`,
      },
      blockNumber: 9,
      blockHash: '0x09',
      logIndex: 0,
      transactionHash: '0x02',
    } as ChainEvent;
  }
}

/** A second pool of the same model (named after the first: never the default choice). */
const otherPool: GpuNodePool = { ...pool, metadata: { name: 'h100-spare' } };

/** A pool of the same model with room for `orders` orders of 4 GPUs. */
const bigPool = (orders: number): GpuNodePool => ({
  ...pool,
  status: {
    gpus: {
      capacity: 4 * orders,
      allocatable: 4 * orders,
      allocated: 0,
      free: 4 * orders,
      largestFreeOnNode: 8,
    },
  },
});

function engine(
  chain: FakeChain,
  bidPools: BidPools = new MemoryBidPools(),
  pools: GpuNodePool[] = [pool],
): BidEngine {
  return new BidEngine({
    reader: chain,
    sender: chain.sender,
    marketplace,
    provider: me,
    pools: () => pools.map((p) => ({ pool: p })),
    bidPools,
    policy: () => ({
      enabled: true,
      maxOutstandingBids: 1_000,
      minPricePerSecond: 0n,
      workloads: defaultWorkloadPolicy,
    }),
    strategy: () => poolPriceStrategy,
  });
}

const leaseCreated = (orderId: bigint, provider: string) =>
  ({
    contract: 'marketplace',
    name: 'LeaseCreated',
    args: { leaseId: orderId, provider },
    blockNumber: 12,
  }) as unknown as ChainEvent;

describe('BidEngine', () => {
  it('bids on an order it can serve and reserves its GPUs; a second order that does not fit gets none', async () => {
    const chain = new FakeChain();
    const bidder = engine(chain);
    await bidder.handle([chain.open(1n), chain.open(2n)]);
    expect(chain.sent).toEqual([[[1n, 4n]]]);
    expect(chain.bids.get(1n)).toBe(4n);
    expect(bidder.reservations.gpusOn('h100')).toBe(4);
  });

  describe('bids in batches', () => {
    const orderIds = (count: number) => Array.from({ length: count }, (_, i) => BigInt(i + 1));

    it('sends the bids of a page in one placeBids', async () => {
      const chain = new FakeChain();
      const bidder = engine(chain, new MemoryBidPools(), [bigPool(5)]);
      await bidder.handle(orderIds(5).map((id) => chain.open(id)));
      expect(chain.sent).toEqual([orderIds(5).map((id) => [id, 4n])]);
      expect(bidder.reservations.gpusOn('h100')).toBe(20);
      // The orders and our bids in a batch read each; our bids once more before sending.
      expect(chain.reads).toEqual({ orders: 1, bidsOf: 2 });
    });

    it('cuts a burst into transactions of at most half a block', async () => {
      const chain = new FakeChain();
      // Half of 300,000 holds the transaction and two bids on orders without bids.
      chain.gasLimit = 300_000n;
      const bidder = engine(chain, new MemoryBidPools(), [bigPool(5)]);
      await bidder.handle(orderIds(5).map((id) => chain.open(id)));
      expect(chain.sent.map((bids) => bids.map(([id]) => id))).toEqual([[1n, 2n], [3n, 4n], [5n]]);
    });

    it('lets go of a bid the marketplace skipped as its order closed, and keeps the others', async () => {
      const chain = new FakeChain();
      const bidPools = new MemoryBidPools();
      const bidder = engine(chain, bidPools, [bigPool(3)]);
      chain.beforeMining = () =>
        chain.orderStates.set(2n, { ...chain.orderStates.get(2n)!, status: orderStatus.Cancelled });
      await bidder.handle(orderIds(3).map((id) => chain.open(id)));
      expect(bidder.reservations.get(2n)).toBeUndefined();
      expect(bidder.reservations.all().map((r) => r.orderId)).toEqual([1n, 3n]);
      await new Promise((resolve) => setImmediate(resolve)); // the record is dropped after
      expect([...bidPools.pools.keys()]).toEqual([1n, 3n]);
    });

    it('keeps a bid skipped as ours was on chain already (a batch sent again)', async () => {
      const chain = new FakeChain();
      const bidder = engine(chain, new MemoryBidPools(), [bigPool(2)]);
      // Our bid on order 1 lands between the precheck and the block.
      chain.beforeMining = () => chain.bids.set(1n, 4n);
      await bidder.handle(orderIds(2).map((id) => chain.open(id)));
      expect(bidder.reservations.all().map((r) => r.orderId)).toEqual([1n, 2n]);
    });

    it('sends nothing when every bid of the batch is on chain by the time it would go', async () => {
      const chain = new FakeChain();
      const send = chain.sender.send;
      chain.sender = {
        send: (intent) => {
          chain.bids.set(1n, 4n);
          chain.bids.set(2n, 3n);
          return send(intent);
        },
      };
      const bidder = engine(chain, new MemoryBidPools(), [bigPool(2)]);
      await bidder.handle(orderIds(2).map((id) => chain.open(id)));
      expect(chain.sent).toEqual([]);
      expect(bidder.reservations.size).toBe(2);
    });

    it('lets go of every bid of a batch refused whole, and of one that failed (to decide again)', async () => {
      const chain = new FakeChain();
      let failure: Error = new TransactionRevertedError('placeBids', 'estimate', undefined);
      chain.sender = { send: () => Promise.reject(failure) };
      const bidder = engine(chain, new MemoryBidPools(), [bigPool(4)]);
      await bidder.handle(orderIds(2).map((id) => chain.open(id)));
      expect(bidder.reservations.size).toBe(0);
      failure = new Error('connection refused');
      await expect(bidder.handle([chain.open(3n), chain.open(4n)])).rejects.toThrow(
        'connection refused',
      );
      expect(bidder.reservations.size).toBe(0);
    });
  });

  it('does not bid twice when the event comes again, nor after a restart', async () => {
    const chain = new FakeChain();
    const event = chain.open(1n);
    await engine(chain).handle([event]);
    const restarted = engine(chain);
    await restarted.rebuild(0);
    expect(restarted.reservations.gpusOn('h100')).toBe(4);
    await restarted.handle([event]);
    const fresh = engine(chain); // restarted without rebuild: the chain still says we bid
    await fresh.handle([event]);
    expect(chain.sent).toHaveLength(1);
    expect(fresh.reservations.gpusOn('h100')).toBe(4);
  });

  it('releases the reservation when the order is leased to someone else, or cancelled', async () => {
    const chain = new FakeChain();
    const bidder = engine(chain);
    await bidder.handle([chain.open(1n)]);
    await bidder.handle([leaseCreated(1n, other)]);
    expect(bidder.reservations.size).toBe(0);
    await bidder.handle([chain.open(3n)]);
    await bidder.handle([
      {
        contract: 'marketplace',
        name: 'OrderCancelled',
        args: { orderId: 3n },
      } as unknown as ChainEvent,
    ]);
    expect(bidder.reservations.size).toBe(0);
  });

  it('releases the reservation when a lower bid evicts ours from a full order, not for others', async () => {
    const chain = new FakeChain();
    const bidder = engine(chain);
    await bidder.handle([chain.open(1n)]);
    const evicted = (provider: string) =>
      ({
        contract: 'marketplace',
        name: 'BidEvicted',
        args: { orderId: 1n, provider, pricePerSecond: 4n },
      }) as unknown as ChainEvent;
    await bidder.handle([evicted(other)]);
    expect(bidder.reservations.size).toBe(1);
    await bidder.handle([evicted(me)]);
    expect(bidder.reservations.size).toBe(0);
  });

  it('releases reservations of auctions past their deadline that another bid leads', async () => {
    const chain = new FakeChain();
    const bidder = engine(chain);
    await bidder.handle([chain.open(1n)]);
    chain.time = 2_500;
    await bidder.sweep(); // past the deadline but our bid leads: finalize will lease it to us
    expect(bidder.reservations.size).toBe(1);
    chain.orderStates.set(1n, { ...chain.orderStates.get(1n)!, bestBidder: other });
    await bidder.sweep();
    expect(bidder.reservations.size).toBe(0);
  });

  describe('the pools of bids', () => {
    it('records the pool of a bid before the bid is sent', async () => {
      const chain = new FakeChain();
      const bidPools = new MemoryBidPools();
      const recordedAtSend: (string | undefined)[] = [];
      const send = chain.sender.send;
      chain.sender = {
        send: (intent) => {
          recordedAtSend.push(bidPools.get(1n));
          return send(intent);
        },
      };
      await engine(chain, bidPools).handle([chain.open(1n)]);
      expect(recordedAtSend).toEqual(['h100']);
    });

    it('sends no bid whose pool cannot be recorded, and lets its capacity go', async () => {
      const chain = new FakeChain();
      const failing: BidPools = {
        get: () => undefined,
        record: () => Promise.reject(new Error('the API server is down')),
        drop: async () => undefined,
      };
      const bidder = engine(chain, failing);
      await expect(bidder.handle([chain.open(1n)])).rejects.toThrow('the API server is down');
      expect(chain.sent).toEqual([]);
      expect(bidder.reservations.size).toBe(0);
    });

    it("keeps a won bid's record (for the lease sync) and drops a lost or cancelled one's", async () => {
      const chain = new FakeChain();
      const bidPools = new MemoryBidPools();
      const bidder = engine(chain, bidPools);
      await bidder.handle([chain.open(1n)]);
      await bidder.handle([leaseCreated(1n, me)]);
      await bidder.handle([chain.open(2n)]);
      await bidder.handle([leaseCreated(2n, other)]);
      await bidder.handle([chain.open(3n)]);
      await bidder.handle([
        {
          contract: 'marketplace',
          name: 'OrderCancelled',
          args: { orderId: 3n },
        } as unknown as ChainEvent,
      ]);
      expect([...bidPools.pools]).toEqual([[1n, 'h100']]);
    });

    it("holds a live bid's capacity on its recorded pool after a restart", async () => {
      const chain = new FakeChain();
      const bidPools = new MemoryBidPools();
      await engine(chain, bidPools, [otherPool]).handle([chain.open(1n)]);
      const restarted = engine(chain, bidPools, [pool, otherPool]);
      await restarted.rebuild(0);
      expect(restarted.reservations.gpusOn('h100-spare')).toBe(4);
      expect(restarted.reservations.gpusOn('h100')).toBe(0);
    });
  });
});
