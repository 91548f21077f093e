import type {
  Abi,
  AbiEvent,
  AbiParameterToPrimitiveType,
  ExtractAbiEvent,
  ExtractAbiEventNames,
} from 'abitype';
import { Interface, type InterfaceAbi, type ParamType, type Result } from 'ethers';
import { marketplaceAbi, providerRegistryAbi } from './abi/index.js';

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

type EventArgs<E extends AbiEvent> = {
  readonly [P in E['inputs'][number] as P['name'] & string]: AbiParameterToPrimitiveType<P>;
};

type DecodedEvents<A extends Abi, C extends keyof FollowedContracts> = {
  [N in ExtractAbiEventNames<A>]: {
    readonly contract: C;
    readonly name: N;
    readonly args: EventArgs<ExtractAbiEvent<A, N>>;
  };
}[ExtractAbiEventNames<A>];

/**
 * A decoded event of the marketplace or the registry with its position, typed by the ABIs:
 * `if (event.name === 'OrderCreated') event.args.orderId // bigint`.
 */
export type ChainEvent = (
  | DecodedEvents<typeof marketplaceAbi, 'marketplace'>
  | DecodedEvents<typeof providerRegistryAbi, 'registry'>
) &
  EventPosition;

const marketplaceInterface = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const registryInterface = new Interface(providerRegistryAbi as unknown as InterfaceAbi);

/**
 * Decodes the logs of the followed contracts, in the order given; logs of other addresses or
 * with topics the ABIs do not know are left out.
 */
export function decodeLogs(logs: readonly LogEntry[], contracts: FollowedContracts): ChainEvent[] {
  const byAddress = new Map<string, { contract: keyof FollowedContracts; abi: Interface }>([
    [contracts.marketplace.toLowerCase(), { contract: 'marketplace', abi: marketplaceInterface }],
    [contracts.registry.toLowerCase(), { contract: 'registry', abi: registryInterface }],
  ]);
  const events: ChainEvent[] = [];
  for (const log of logs) {
    const source = byAddress.get(log.address.toLowerCase());
    if (!source) continue;
    let parsed;
    try {
      parsed = source.abi.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      continue; // a known topic whose data does not decode: not one of ours
    }
    if (!parsed) continue;
    events.push({
      contract: source.contract,
      name: parsed.name,
      args: Object.fromEntries(
        parsed.fragment.inputs.map((input, i) => [input.name, plain(parsed.args[i], input)]),
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
 * An ABI value as plain data, the shape the types above promise: tuples as objects by component
 * name, arrays as arrays (ethers' `Result.toObject(true)` turns arrays of tuples into objects).
 */
function plain(value: unknown, param: ParamType): unknown {
  if (param.isArray()) {
    return Array.from(value as Result, (item) => plain(item, param.arrayChildren));
  }
  if (param.isTuple()) {
    return Object.fromEntries(
      param.components.map((component, i) => [
        component.name,
        plain((value as Result)[i], component),
      ]),
    );
  }
  return value;
}
