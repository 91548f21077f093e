import type { ExtractAbiErrorNames } from 'abitype';
import { Interface, type InterfaceAbi } from 'ethers';
import { ierc20ErrorsAbi, marketplaceAbi, providerRegistryAbi } from './abi/index.js';

/**
 * The ABIs a revert of a call to the contracts can come from: the marketplace's and the
 * registry's custom errors, and the ERC-6093 errors of an OpenZeppelin payment token.
 */
export const contractErrorAbis = [marketplaceAbi, providerRegistryAbi, ierc20ErrorsAbi] as const;

/** The name of a custom error of {@link contractErrorAbis}, e.g. `Marketplace_BidAboveMax`. */
export type ContractErrorName = ExtractAbiErrorNames<(typeof contractErrorAbis)[number]>;

/**
 * What to do about some of the contracts' errors, keyed by error name: a name the ABIs do not
 * have (an error renamed or removed in the contracts) fails type-checking.
 */
export type RevertHints = Readonly<Partial<Record<ContractErrorName, string>>>;

/** A revert decoded through the contracts' ABIs: a custom error, `Error(string)` or `Panic`. */
export interface DecodedRevert {
  /** The error's name, e.g. `Marketplace_BidAboveMax`. */
  readonly name: string;
  /** e.g. `Marketplace_BidAboveMax(uint256,uint256,uint256)`. */
  readonly signature: string;
  /** The arguments in ABI order. */
  readonly args: readonly unknown[];
  /** The arguments by parameter name (unnamed parameters are left out). */
  readonly namedArgs: Readonly<Record<string, unknown>>;
}

/**
 * Decodes revert data with the first ABI that knows its selector. Built-in `Error(string)` and
 * `Panic(uint256)` decode with any ABI. Undefined when the data is empty or unknown.
 *
 * @example
 * decodeRevert(data, contractErrorAbis)
 * // { name: 'Marketplace_BidAboveMax', args: [1n, 1001n, 1000n], ... }
 */
export function decodeRevert(
  data: string | undefined,
  abis: readonly (Interface | InterfaceAbi)[],
): DecodedRevert | undefined {
  if (!data || !/^0x[0-9a-fA-F]{8}/.test(data)) return undefined;
  for (const abi of abis) {
    const contractInterface = abi instanceof Interface ? abi : new Interface(abi);
    let parsed;
    try {
      parsed = contractInterface.parseError(data);
    } catch {
      // The selector matched but the arguments did not decode: try the next ABI.
      continue;
    }
    if (!parsed) continue;
    const args = parsed.args.toArray(true);
    const namedArgs: Record<string, unknown> = {};
    parsed.fragment.inputs.forEach((input, index) => {
      if (input.name) namedArgs[input.name] = args[index];
    });
    return { name: parsed.name, signature: parsed.signature, args, namedArgs };
  }
  return undefined;
}

/**
 * The revert data inside an error thrown by ethers or a JSON-RPC node, wherever it sits: ethers'
 * CALL_EXCEPTION carries `data`; nodes put it in the JSON-RPC error's `data`, which ethers keeps
 * under `info.error` or `error`.
 */
export function revertDataOf(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const search = (value: unknown, depth: number): string | undefined => {
    if (depth > 5 || typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const data = record['data'];
    if (typeof data === 'string' && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    // Some nodes nest it one level more: { data: { data: '0x…' } }.
    for (const key of ['data', 'info', 'error', 'cause', 'revert']) {
      const found = search(record[key], depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return search(error, 0);
}

/** `Name(param=value, ...)`, bigints in decimal: for logs, conditions and error messages. */
export function formatRevert(revert: DecodedRevert): string {
  const named = Object.entries(revert.namedArgs);
  const shown =
    named.length === revert.args.length
      ? named.map(([key, value]) => `${key}=${formatValue(value)}`)
      : revert.args.map(formatValue);
  return `${revert.name}(${shown.join(', ')})`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

/**
 * The hint for a decoded revert, when `hints` has one for its error.
 *
 * @example revertHint({ Marketplace_NoBids: 'cancel the order' }, revert) // 'cancel the order' or undefined
 */
export function revertHint(hints: RevertHints, revert: DecodedRevert): string | undefined {
  return Object.hasOwn(hints, revert.name) ? hints[revert.name as ContractErrorName] : undefined;
}
