// The marketplace reads of the lease side: a lease as the contract holds it now, the manifest the
// tenant last put on chain for it, how it was closed and what it paid the provider. The lease
// sync, the chain verifier and the settlement decide from these, never from an event alone. The
// lease and its order come from the one lease and order readers the tenant CLI uses too
// (chain/marketplace/).
import { findMarketplaceEvents, indexedTopic } from '../chain/event-query.js';
import type { MarketplaceEventName } from '../chain/events.js';
import { readLease, readLeases, type MarketplaceLease } from '../chain/marketplace/read-lease.js';
import { readOrder, readOrders, type MarketplaceOrder } from '../chain/marketplace/read-order.js';
import type { RpcPool } from '../chain/rpc.js';
import { mapInChunks } from './concurrency.js';
import { batchConcurrency, latestBlock, maxBatchRead, type LatestBlock } from './market-reader.js';
import { manifestText, orderResources, type OrderResources } from './order.js';

/** A lease id's state on chain, with the terms of its order. Lease ids are order ids. */
export interface ChainLease {
  readonly leaseId: bigint;
  /** False when no lease was ever started under this id (an open, cancelled or unknown order). */
  readonly exists: boolean;
  readonly tenant: string;
  readonly provider: string;
  readonly active: boolean;
  readonly pricePerSecond: bigint;
  /** What the provider can withdraw now. */
  readonly accrued: bigint;
  /** Escrow left once the accrued amount is paid. */
  readonly remaining: bigint;
  /** Unix seconds: when the escrow runs out at this rate (the close time once closed). */
  readonly fundedUntil: number;
  readonly closedAt: number;
  readonly feeBps: number;
  readonly manifestHash: string;
  readonly resources: OrderResources;
}

/** How a lease ended, from its LeaseClosed event. */
export interface LeaseClosing {
  readonly closedBy: string;
  /** Paid to the provider by the close (net of the protocol fee). */
  readonly providerPayout: bigint;
  readonly refund: bigint;
  readonly blockNumber: number;
}

/** Blocks whose payments {@link LeaseReader.paidOutByLease} reads, both ends included. */
export interface PaidOutRange {
  readonly fromBlock?: number;
  readonly toBlock: number;
}

export interface LeaseReader {
  lease(leaseId: bigint): Promise<ChainLease>;
  /**
   * Many leases, in the order of `leaseIds`, as {@link lease} reads each: two calls (getLeases and
   * getOrders) per {@link maxBatchRead} ids.
   */
  leases(leaseIds: readonly bigint[]): Promise<ChainLease[]>;
  /** The manifest text in force: the last ManifestUpdated, else the order's. Undefined if not UTF-8. */
  manifest(leaseId: bigint): Promise<string | undefined>;
  /** Ids of the leases `provider` won in the block range (LeaseCreated events). */
  leasesWonBy(provider: string, fromBlock: number, toBlock: number): Promise<bigint[]>;
  closing(leaseId: bigint): Promise<LeaseClosing | undefined>;
  /**
   * What `provider` was paid per lease in the block range, net of fees: its withdrawals and the
   * final settlements of closes. Two paged getLogs whatever the number of leases; `fromBlock`
   * defaults to the reader's first block.
   */
  paidOutByLease(provider: string, range: PaidOutRange): Promise<Map<bigint, bigint>>;
  /** The latest block's number, time (unix seconds) and gas limit (when the reader knows it). */
  latestBlock(): Promise<LatestBlock>;
  /** The hash of the block at `number` on the chain now; undefined when there is none. */
  blockHash(number: number): Promise<string | undefined>;
}

/** A lease and its order, as the marketplace's views read them, in the operator's terms. */
function chainLease(lease: MarketplaceLease, order: MarketplaceOrder): ChainLease {
  return {
    leaseId: lease.leaseId,
    exists: lease.exists,
    tenant: order.tenant,
    provider: lease.provider,
    active: lease.exists && lease.active,
    pricePerSecond: lease.pricePerSecond,
    accrued: lease.accrued,
    remaining: lease.remaining,
    fundedUntil: Number(lease.fundedUntil),
    closedAt: Number(lease.closedAt),
    feeBps: Number(lease.feeBps),
    manifestHash: order.manifestHash.toLowerCase(),
    resources: orderResources(order.resources),
  };
}

/**
 * A {@link LeaseReader} of the marketplace at `address`; event look-ups start at `fromBlock`
 * (the block the marketplace was deployed in, or the Provider's startBlock).
 */
export function rpcLeaseReader(rpc: RpcPool, address: string, fromBlock: number): LeaseReader {
  const head = () => rpc.call('eth_blockNumber', (p) => p.getBlockNumber());
  const events = async <N extends MarketplaceEventName>(event: N, indexed: (string | null)[]) =>
    findMarketplaceEvents(rpc, address, { event, indexed, fromBlock, toBlock: await head() });

  return {
    async lease(leaseId) {
      const [lease, order] = await Promise.all([
        rpc.call('Marketplace.getLease', (p) => readLease(p, { marketplace: address, leaseId })),
        rpc.call('Marketplace.getOrder', (p) =>
          readOrder(p, { marketplace: address, orderId: leaseId }),
        ),
      ]);
      return chainLease(lease, order);
    },
    leases: (leaseIds) =>
      mapInChunks(leaseIds, maxBatchRead, batchConcurrency, async (ids) => {
        const [leases, orders] = await Promise.all([
          rpc.call('Marketplace.getLeases', (p) =>
            readLeases(p, { marketplace: address, leaseIds: ids }),
          ),
          rpc.call('Marketplace.getOrders', (p) =>
            readOrders(p, { marketplace: address, orderIds: ids }),
          ),
        ]);
        return leases.map((lease, i) => chainLease(lease, orders[i]!));
      }),
    async manifest(leaseId) {
      const id = indexedTopic(leaseId);
      const updates = await events('ManifestUpdated', [id]);
      const latest = updates.at(-1) ?? (await events('OrderCreated', [id])).at(-1);
      return latest ? manifestText(latest.args.manifest) : undefined;
    },
    async leasesWonBy(provider, from, to) {
      const created = await findMarketplaceEvents(rpc, address, {
        event: 'LeaseCreated',
        indexed: [null, null, indexedTopic(provider)],
        fromBlock: from,
        toBlock: to,
      });
      return created.map(({ args }) => args.leaseId);
    },
    async closing(leaseId) {
      const closed = (await events('LeaseClosed', [indexedTopic(leaseId)])).at(-1);
      if (!closed) return undefined;
      return {
        closedBy: closed.args.closedBy,
        providerPayout: closed.args.providerPayout,
        refund: closed.args.refund,
        blockNumber: closed.blockNumber,
      };
    },
    async paidOutByLease(provider, range) {
      const topic = indexedTopic(provider);
      const query = { fromBlock: range.fromBlock ?? fromBlock, toBlock: range.toBlock };
      const [withdrawals, closes] = await Promise.all([
        findMarketplaceEvents(rpc, address, {
          ...query,
          event: 'Withdrawn',
          indexed: [null, topic],
        }),
        findMarketplaceEvents(rpc, address, {
          ...query,
          event: 'LeaseClosed',
          indexed: [null, null, topic],
        }),
      ]);
      const paid = new Map<bigint, bigint>();
      const add = (leaseId: bigint, amount: bigint) =>
        paid.set(leaseId, (paid.get(leaseId) ?? 0n) + amount);
      for (const { args } of withdrawals) add(args.leaseId, args.amount - args.fee);
      for (const { args } of closes) add(args.leaseId, args.providerPayout);
      return paid;
    },
    latestBlock: () => latestBlock(rpc),
    blockHash: (number) =>
      rpc.call('eth_getBlockByNumber', async (p) => (await p.getBlock(number))?.hash ?? undefined),
  };
}
