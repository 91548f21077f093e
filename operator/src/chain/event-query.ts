// Looking events up by their indexed arguments over a block range (eth_getLogs in pages), for the
// level-based reads the follower does not cover: the leases a provider won since a block, the
// manifest of an order, how a lease was closed. Decoded by the follower's decoder (events.ts).
import { Interface, type InterfaceAbi } from 'ethers';
import { marketplaceAbi } from './abi/index.js';
import {
  decodeLogs,
  marketplaceEventsNamed,
  type MarketplaceEvent,
  type MarketplaceEventName,
} from './events.js';
import type { RpcPool } from './rpc.js';

const marketplaceInterface = new Interface(marketplaceAbi as unknown as InterfaceAbi);

/** Blocks per eth_getLogs call of a query. */
const queryPageBlocks = 10_000;

/** An indexed argument's topic: an address or a uint256, left-padded to 32 bytes. */
export function indexedTopic(value: string | bigint): string {
  const hex = typeof value === 'bigint' ? value.toString(16) : value.slice(2).toLowerCase();
  return `0x${hex.padStart(64, '0')}`;
}

export interface MarketplaceEventQuery<N extends MarketplaceEventName = MarketplaceEventName> {
  /** Name of a Marketplace event, e.g. 'LeaseCreated'. */
  readonly event: N;
  /** Topics of the indexed arguments in order (null: any). */
  readonly indexed: readonly (string | null)[];
  readonly fromBlock: number;
  readonly toBlock: number;
}

/** A matching event: its decoded arguments (by name, typed by the ABI) and where it happened. */
export type FoundEvent<N extends MarketplaceEventName = MarketplaceEventName> = MarketplaceEvent<N>;

/**
 * The Marketplace events matching a query, in chain order.
 *
 * @example await findMarketplaceEvents(rpc, marketplace, { event: 'LeaseClosed', indexed: [indexedTopic(leaseId)], fromBlock: 0, toBlock: head })
 */
export async function findMarketplaceEvents<N extends MarketplaceEventName>(
  rpc: RpcPool,
  marketplace: string,
  query: MarketplaceEventQuery<N>,
): Promise<FoundEvent<N>[]> {
  const fragment = marketplaceInterface.getEvent(query.event);
  if (!fragment) throw new Error(`the Marketplace ABI has no event ${query.event}`);
  const found: FoundEvent<N>[] = [];
  for (let from = Math.max(0, query.fromBlock); from <= query.toBlock; from += queryPageBlocks) {
    const to = Math.min(query.toBlock, from + queryPageBlocks - 1);
    const logs = await rpc.call('eth_getLogs', (p) =>
      p.getLogs({
        address: marketplace,
        topics: [fragment.topicHash, ...query.indexed],
        fromBlock: from,
        toBlock: to,
      }),
    );
    found.push(...marketplaceEventsNamed(decodeLogs(logs, { marketplace }), query.event));
  }
  return found;
}
