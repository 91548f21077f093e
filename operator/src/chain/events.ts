// The one decoder of the contracts' logs: the event follower, the event queries and the tenant
// CLI's receipts all turn logs into the same typed events here.
import type {
  Abi,
  AbiEvent,
  AbiParameterToPrimitiveType,
  ExtractAbiEvent,
  ExtractAbiEventNames,
} from 'abitype';
import { Interface, type EventFragment, type InterfaceAbi } from 'ethers';
import { marketplaceAbi, providerRegistryAbi } from './abi/index.js';
import { plainValue } from './plain-value.js';

/** The contracts the follower reads, by the name events carry. */
export interface FollowedContracts {
  readonly marketplace: string;
  readonly registry: string;
}

/** A log as eth_getLogs returns it (ethers' `Log` has this shape). */
export interface LogEntry {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** The log's index in its block. */
  readonly index: number;
  readonly transactionHash: string;
}

/** Where an event happened: enough to order, deduplicate and (after a reorg) discard it. */
export interface EventPosition {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly logIndex: number;
  readonly transactionHash: string;
}

/** An event's arguments by name, as decoded (outputs: bytes as hex strings, structs as objects). */
type EventArgs<E extends AbiEvent> = {
  readonly [P in E['inputs'][number] as P['name'] & string]: AbiParameterToPrimitiveType<
    P,
    'outputs'
  >;
};

/** Each decoded event of a contract's ABI, by event name. */
type EventsByName<A extends Abi, C extends keyof FollowedContracts> = {
  [N in ExtractAbiEventNames<A>]: {
    readonly contract: C;
    readonly name: N;
    readonly args: EventArgs<ExtractAbiEvent<A, N>>;
  };
};

type DecodedEvents<A extends Abi, C extends keyof FollowedContracts> = EventsByName<
  A,
  C
>[ExtractAbiEventNames<A>];

/**
 * A decoded event of the marketplace or the registry with its position, typed by the ABIs:
 * `if (event.name === 'OrderCreated') event.args.orderId // bigint`.
 */
export type ChainEvent = (
  | DecodedEvents<typeof marketplaceAbi, 'marketplace'>
  | DecodedEvents<typeof providerRegistryAbi, 'registry'>
) &
  EventPosition;

/** The name of a Marketplace event, e.g. `'LeaseCreated'`. */
export type MarketplaceEventName = ExtractAbiEventNames<typeof marketplaceAbi>;

/** A decoded Marketplace event named `N`, with its position. */
export type MarketplaceEvent<N extends MarketplaceEventName = MarketplaceEventName> = EventsByName<
  typeof marketplaceAbi,
  'marketplace'
>[N] &
  EventPosition;

/** The arguments of the Marketplace event `N` by name, as plain data (structs as objects). */
export type MarketplaceEventArgs<N extends MarketplaceEventName> = MarketplaceEvent<N>['args'];

const marketplaceInterface = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const registryInterface = new Interface(providerRegistryAbi as unknown as InterfaceAbi);

/**
 * A contract's events by topic hash. ethers' `parseLog` finds a log's event by hashing the
 * signatures of the ABI's events until one matches, for every log: as long again as decoding it
 * (a BidPlaced among the Marketplace's 21 events), the largest cost of a catch-up.
 */
function eventsByTopic(abi: Interface): ReadonlyMap<string, EventFragment> {
  const events = new Map<string, EventFragment>();
  abi.forEachEvent((fragment) => events.set(fragment.topicHash, fragment));
  return events;
}

interface Decoder {
  readonly contract: keyof FollowedContracts;
  readonly abi: Interface;
  readonly events: ReadonlyMap<string, EventFragment>;
}

const marketplaceDecoder: Decoder = {
  contract: 'marketplace',
  abi: marketplaceInterface,
  events: eventsByTopic(marketplaceInterface),
};
const registryDecoder: Decoder = {
  contract: 'registry',
  abi: registryInterface,
  events: eventsByTopic(registryInterface),
};

/**
 * Decodes the logs of the given contracts, in the order given; logs of other addresses or with
 * topics the ABIs do not know are left out. A contract left out of `contracts` is not decoded.
 *
 * @example
 * decodeLogs(receipt.logs, { marketplace }) // the receipt's Marketplace events
 */
export function decodeLogs(
  logs: readonly LogEntry[],
  contracts: Partial<FollowedContracts>,
): ChainEvent[] {
  const byAddress = new Map<string, Decoder>();
  if (contracts.marketplace) byAddress.set(contracts.marketplace.toLowerCase(), marketplaceDecoder);
  if (contracts.registry) byAddress.set(contracts.registry.toLowerCase(), registryDecoder);
  const events: ChainEvent[] = [];
  for (const log of logs) {
    const source = byAddress.get(log.address.toLowerCase());
    const fragment = log.topics[0] && source?.events.get(log.topics[0].toLowerCase());
    if (!source || !fragment) continue;
    let args;
    try {
      args = source.abi.decodeEventLog(fragment, log.data, [...log.topics]);
    } catch {
      continue; // a known topic whose data does not decode: not one of ours
    }
    events.push({
      contract: source.contract,
      name: fragment.name,
      args: Object.fromEntries(
        fragment.inputs.map((input, i) => [input.name, plainValue(args[i], input)]),
      ),
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      logIndex: log.index,
      transactionHash: log.transactionHash,
    } as ChainEvent);
  }
  return events;
}

/**
 * The decoded events that are the Marketplace event `name`, in order, typed by that name.
 *
 * @example
 * const [created] = marketplaceEventsNamed(decodeLogs(receipt.logs, { marketplace }), 'OrderCreated');
 * created?.args.orderId // bigint
 */
export function marketplaceEventsNamed<N extends MarketplaceEventName>(
  events: readonly ChainEvent[],
  name: N,
): MarketplaceEvent<N>[] {
  // The contract and the name select the event type: the union member for `N`.
  return events.filter(
    (event) => event.contract === 'marketplace' && event.name === name,
  ) as unknown as MarketplaceEvent<N>[];
}
