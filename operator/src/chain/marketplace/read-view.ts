import type {
  AbiParametersToPrimitiveTypes,
  ExtractAbiFunction,
  ExtractAbiFunctionNames,
} from 'abitype';
import { isCallException, type ContractRunner } from 'ethers';
import { connectContract, marketplaceAbi, type ContractReturnType } from '../abi/index.js';
import { decodeStaticResult } from '../decode-static.js';
import { plainValue } from '../plain-value.js';

/** A view of the Marketplace returning one value, e.g. `'getOrder'`. */
export type MarketplaceViewName = ExtractAbiFunctionNames<typeof marketplaceAbi, 'view'>;

export interface ReadViewParameters<N extends MarketplaceViewName> {
  /** The Marketplace contract's address. */
  readonly marketplace: string;
  readonly method: N;
  readonly args: AbiParametersToPrimitiveTypes<
    ExtractAbiFunction<typeof marketplaceAbi, N>['inputs'],
    'inputs'
  >;
}

/**
 * Calls a view of the Marketplace and returns its result as plain data typed by the ABI (structs
 * as objects by field name, not ethers `Result`s): what the order and lease readers build on.
 *
 * @example
 * const view = await readView(provider, { marketplace, method: 'getLease', args: [7n] });
 * view.fundedUntil // bigint
 */
export async function readView<N extends MarketplaceViewName>(
  runner: ContractRunner,
  { marketplace, method, args }: ReadViewParameters<N>,
): Promise<ContractReturnType<typeof marketplaceAbi, N>> {
  const market = connectContract(marketplaceAbi, marketplace, runner);
  const [output, ...more] = market.interface.getFunction(method)?.outputs ?? [];
  if (!output || more.length > 0) {
    throw new Error(`the Marketplace ABI has no view ${method} returning one value`);
  }
  // As the contract's staticCall, but decoding the result here: ethers' decoder takes time that
  // grows with the square of a batch view's result (decode-static.ts).
  if (!runner.call) throw new Error(`reading ${method} needs a runner that can call (a provider)`);
  const transaction = await market.getFunction(method).populateTransaction(...args);
  let data: string;
  try {
    data = await runner.call(transaction);
  } catch (error) {
    if (isCallException(error) && error.data) {
      throw market.interface.makeError(error.data, transaction);
    }
    throw error;
  }
  const value =
    decodeStaticResult(output, data) ??
    plainValue(market.interface.decodeFunctionResult(method, data)[0], output);
  return value as ContractReturnType<typeof marketplaceAbi, N>;
}
