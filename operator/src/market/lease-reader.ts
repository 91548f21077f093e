// The marketplace reads of the lease side: a lease as the contract holds it now, the manifest the
// tenant last put on chain for it, how it was closed and what it paid the provider. The lease
// sync, the chain verifier and the settlement decide from these, never from an event alone. The
// lease and its order come from the one lease and order readers the tenant CLI uses too
// (chain/marketplace/).
import { findMarketplaceEvents, indexedTopic } from '../chain/event-query.js';
import type { MarketplaceEventName } from '../chain/events.js';
import { readLease } from '../chain/marketplace/read-lease.js';
import { readOrder } from '../chain/marketplace/read-order.js';
import type { RpcPool } from '../chain/rpc.js';
import { latestBlock } from './market-reader.js';
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

export interface LeaseReader {
  lease(leaseId: bigint): Promise<ChainLease>;
  /** The manifest text in force: the last ManifestUpdated, else the order's. Undefined if not UTF-8. */
  manifest(leaseId: bigint): Promise<string | undefined>;
  /** Ids of the leases `provider` won in the block range (LeaseCreated events). */
  leasesWonBy(provider: string, fromBlock: number, toBlock: number): Promise<bigint[]>;
  closing(leaseId: bigint): Promise<LeaseClosing | undefined>;
  /** Total paid to `provider` for the lease: withdrawals and the final settlement, net of fees. */
  paidOut(leaseId: bigint, provider: string): Promise<bigint>;
  /** The latest block's number and time (unix seconds). */
  latestBlock(): Promise<{ readonly number: number; readonly timestamp: number }>;
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
      return {
        leaseId,
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
    },
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
    async paidOut(leaseId, provider) {
      const id = indexedTopic(leaseId);
      const [withdrawals, closed] = await Promise.all([
        events('Withdrawn', [id, indexedTopic(provider)]),
        events('LeaseClosed', [id, null, indexedTopic(provider)]),
      ]);
      const withdrawn = withdrawals.reduce((sum, { args }) => sum + args.amount - args.fee, 0n);
      return closed.reduce((sum, { args }) => sum + args.providerPayout, withdrawn);
    },
    latestBlock: () => latestBlock(rpc),
  };
}
