// The marketplace reads the bid engine makes, over the RPC pool: the engine decides from contract
// state, never from the event alone, so a replayed or duplicated event changes nothing. The order
// itself comes from the one order reader the tenant CLI uses too (chain/marketplace/read-order.ts).
import type { OrderStatus } from '../chain/abi/index.js';
import { connectContract, marketplaceAbi } from '../chain/abi/index.js';
import { findMarketplaceEvents, indexedTopic } from '../chain/event-query.js';
import { readOrder } from '../chain/marketplace/read-order.js';
import { readLatestBlock } from '../chain/read-latest-block.js';
import type { RpcPool } from '../chain/rpc.js';
import { orderResources, type MarketOrder } from './order.js';

/** An order as the contract holds it now (the manifest bytes are only in its event). */
export interface OrderState extends Omit<MarketOrder, 'manifest'> {
  readonly status: OrderStatus;
  readonly bestBidder: string;
}

export interface MarketReader {
  order(orderId: bigint): Promise<OrderState>;
  /** Our live bid on the order in token base units per second; 0 when there is none. */
  bidOf(orderId: bigint, provider: string): Promise<bigint>;
  /** Ids of the orders `provider` bid on in the block range (from BidPlaced logs). */
  ordersBidOn(provider: string, fromBlock: number, toBlock: number): Promise<bigint[]>;
  /** The latest block's number and time (unix seconds). */
  latestBlock(): Promise<{ readonly number: number; readonly timestamp: number }>;
}

/** A {@link MarketReader} of the marketplace at `address`, over the RPC pool. */
export function rpcMarketReader(rpc: RpcPool, address: string): MarketReader {
  return {
    async order(orderId) {
      const order = await rpc.call('Marketplace.getOrder', (p) =>
        readOrder(p, { marketplace: address, orderId }),
      );
      return {
        orderId,
        tenant: order.tenant,
        status: order.status,
        resources: orderResources(order.resources),
        maxPricePerSecond: order.maxPricePerSecond,
        biddingDeadline: Number(order.biddingDeadline),
        manifestHash: order.manifestHash,
        bestBidder: order.bestBidder,
      };
    },
    bidOf: (orderId, provider) =>
      rpc.call('Marketplace.getBid', (p) =>
        connectContract(marketplaceAbi, address, p).getBid(orderId, provider),
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

/** The latest block's number and time (unix seconds), over the RPC pool. */
export function latestBlock(
  rpc: RpcPool,
): Promise<{ readonly number: number; readonly timestamp: number }> {
  return rpc.call('eth_getBlockByNumber', (p) => readLatestBlock(p));
}
