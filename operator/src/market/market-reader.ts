// The marketplace reads the bid engine makes, over the RPC pool: the engine decides from contract
// state, never from the event alone, so a replayed or duplicated event changes nothing. Orders and
// bids are read many at a time with the batch views (a burst of orders costs a few calls, not two
// per order); the orders come from the one order reader the tenant CLI uses too
// (chain/marketplace/read-order.ts).
import type { OrderStatus } from '../chain/abi/index.js';
import { findMarketplaceEvents, indexedTopic } from '../chain/event-query.js';
import { readBidsOf } from '../chain/marketplace/read-bids-of.js';
import { readOrders } from '../chain/marketplace/read-order.js';
import { readLatestBlock } from '../chain/read-latest-block.js';
import type { RpcPool } from '../chain/rpc.js';
import { mapInChunks } from './concurrency.js';
import { orderResources, type MarketOrder } from './order.js';

/** The Marketplace's MAX_BATCH_READ: the most ids one getOrders, getLeases or getBidsOf reads. */
export const maxBatchRead = 500;

/** Batch calls of one read in flight at once. */
export const batchConcurrency = 4;

/** An order as the contract holds it now (the manifest bytes are only in its event). */
export interface OrderState extends Omit<MarketOrder, 'manifest'> {
  readonly status: OrderStatus;
  readonly bestBidder: string;
  /** Live bids on the order (at most the contract's 32): what placing one more walks past. */
  readonly bidCount: number;
}

export interface MarketReader {
  /** The orders, in the order of `orderIds` (an unknown id reads as status None). */
  orders(orderIds: readonly bigint[]): Promise<OrderState[]>;
  /**
   * The provider's live bid on each order, in the order of `orderIds`, in token base units per
   * second; 0 where it has none.
   */
  bidsOf(orderIds: readonly bigint[], provider: string): Promise<bigint[]>;
  /** Ids of the orders `provider` bid on in the block range (from BidPlaced logs). */
  ordersBidOn(provider: string, fromBlock: number, toBlock: number): Promise<bigint[]>;
  /** The latest block's number, time (unix seconds) and gas limit (when the reader knows it). */
  latestBlock(): Promise<LatestBlock>;
}

/** The chain's latest block as the market reads it; no gas limit: a default is assumed. */
export interface LatestBlock {
  readonly number: number;
  readonly timestamp: number;
  readonly gasLimit?: bigint;
}

/** A {@link MarketReader} of the marketplace at `address`, over the RPC pool. */
export function rpcMarketReader(rpc: RpcPool, address: string): MarketReader {
  return {
    orders: (orderIds) =>
      mapInChunks(orderIds, maxBatchRead, batchConcurrency, async (ids) =>
        (
          await rpc.call('Marketplace.getOrders', (p) =>
            readOrders(p, { marketplace: address, orderIds: ids }),
          )
        ).map((order) => ({
          orderId: order.orderId,
          tenant: order.tenant,
          status: order.status,
          resources: orderResources(order.resources),
          maxPricePerSecond: order.maxPricePerSecond,
          biddingDeadline: Number(order.biddingDeadline),
          manifestHash: order.manifestHash,
          bestBidder: order.bestBidder,
          bidCount: Number(order.bidCount),
        })),
      ),
    bidsOf: (orderIds, provider) =>
      mapInChunks(orderIds, maxBatchRead, batchConcurrency, (ids) =>
        rpc.call('Marketplace.getBidsOf', (p) =>
          readBidsOf(p, { marketplace: address, orderIds: ids, provider }),
        ),
      ),
    async ordersBidOn(provider, fromBlock, toBlock) {
      const bids = await findMarketplaceEvents(rpc, address, {
        event: 'BidPlaced',
        indexed: [null, indexedTopic(provider)],
        fromBlock,
        toBlock,
      });
      return [...new Set(bids.map(({ args }) => args.orderId))];
    },
    latestBlock: () => latestBlock(rpc),
  };
}

/** The latest block's number, time (unix seconds) and gas limit, over the RPC pool. */
export function latestBlock(rpc: RpcPool): Promise<LatestBlock> {
  return rpc.call('eth_getBlockByNumber', (p) => readLatestBlock(p));
}
