// The marketplace reads the bid engine makes, over the RPC pool: the engine decides from contract
// state, never from the event alone, so a replayed or duplicated event changes nothing.
import { connectContract, marketplaceAbi } from '../chain/abi/index.js';
import { findMarketplaceEvents, indexedTopic } from '../chain/event-query.js';
import type { RpcPool } from '../chain/rpc.js';
import { orderResources, type MarketOrder } from './order.js';

/** The contract's OrderStatus enum. */
export const orderStatus = { None: 0, Open: 1, Leased: 2, Cancelled: 3 } as const;

/** An order as the contract holds it now (the manifest bytes are only in its event). */
export interface OrderState extends Omit<MarketOrder, 'manifest'> {
  readonly status: number;
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
  const market = (provider: Parameters<Parameters<RpcPool['call']>[1]>[0]) =>
    connectContract(marketplaceAbi, address, provider);
  return {
    async order(orderId) {
      const view = await rpc.call('Marketplace.getOrder', (p) => market(p).getOrder(orderId));
      return {
        orderId,
        tenant: view.tenant,
        status: Number(view.status),
        resources: orderResources(view.resources),
        maxPricePerSecond: view.maxPricePerSecond,
        biddingDeadline: Number(view.biddingDeadline),
        manifestHash: view.manifestHash,
        bestBidder: view.bestBidder,
      };
    },
    bidOf: (orderId, provider) =>
      rpc.call('Marketplace.getBid', (p) => market(p).getBid(orderId, provider)),
    async ordersBidOn(provider, fromBlock, toBlock) {
      const bids = await findMarketplaceEvents(rpc, address, {
        event: 'BidPlaced',
        indexed: [null, indexedTopic(provider)],
        fromBlock,
        toBlock,
      });
      return [...new Set(bids.map(({ args }) => BigInt(args.orderId)))];
    },
    latestBlock: () => latestBlock(rpc),
  };
}

/** The latest block's number and time (unix seconds). */
export async function latestBlock(
  rpc: RpcPool,
): Promise<{ readonly number: number; readonly timestamp: number }> {
  const block = await rpc.call('eth_getBlockByNumber', (p) => p.getBlock('latest'));
  if (!block) throw new Error('the node returned no latest block');
  return { number: block.number, timestamp: block.timestamp };
}
