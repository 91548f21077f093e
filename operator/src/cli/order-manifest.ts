// The manifest an order carries: only its OrderCreated event has the bytes (the contract keeps the
// hash). The CLI reads that event by the order id, in pages from the latest block back, never
// further back than the order can be: its bidding deadline less the longest bidding window.
import { Interface, type InterfaceAbi, type Provider } from 'ethers';
import { connectContract, marketplaceAbi } from '../chain/abi/index.js';
import { indexedTopic } from '../chain/event-query.js';
import { decodeLogs, marketplaceEventsNamed } from '../chain/events.js';
import { manifestText } from '../market/order.js';

/** Blocks per eth_getLogs request, within what hosted RPC endpoints take. */
const pageBlocks = 5_000;

const orderCreatedTopic = new Interface(marketplaceAbi as unknown as InterfaceAbi).getEvent(
  'OrderCreated',
)!.topicHash;

export interface ReadOrderManifestParameters {
  readonly marketplace: string;
  readonly orderId: bigint;
  /** The order's bidding deadline (unix seconds): the order was created less than the longest bidding window before. */
  readonly biddingDeadline: bigint;
}

/** The manifest text; `undefined` when the bytes are not UTF-8 or the event is not found. */
export type ReadOrderManifestReturnType = string | undefined;

/**
 * @example const manifest = await readOrderManifest(provider, { marketplace, orderId: 4n, biddingDeadline });
 */
export async function readOrderManifest(
  provider: Provider,
  { marketplace, orderId, biddingDeadline }: ReadOrderManifestParameters,
): Promise<ReadOrderManifestReturnType> {
  const longest = await connectContract(
    marketplaceAbi,
    marketplace,
    provider,
  ).MAX_BIDDING_DURATION();
  const earliest = biddingDeadline - longest;
  for (let to = await provider.getBlockNumber(); to >= 0; to -= pageBlocks) {
    const from = Math.max(0, to - pageBlocks + 1);
    const logs = await provider.getLogs({
      address: marketplace,
      topics: [orderCreatedTopic, indexedTopic(orderId)],
      fromBlock: from,
      toBlock: to,
    });
    const [created] = marketplaceEventsNamed(decodeLogs(logs, { marketplace }), 'OrderCreated');
    if (created) return manifestText(created.args.manifest);
    const start = await provider.getBlock(from);
    if (!start || BigInt(start.timestamp) < earliest) break;
  }
  return undefined;
}
