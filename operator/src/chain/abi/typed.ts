// Written by hand (not generated): ethers v6 contract types from the generated `as const` ABIs,
// so that calls, their arguments and their results are type-checked.
import type {
  Abi,
  AbiFunction,
  AbiParametersToPrimitiveTypes,
  ExtractAbiFunction,
  ExtractAbiFunctionNames,
} from 'abitype';
import {
  Contract,
  type BaseContract,
  type ContractRunner,
  type ContractTransactionResponse,
  type InterfaceAbi,
  type Overrides,
} from 'ethers';

// How ethers v6 takes and returns values: every integer as a bigint whatever its width (abitype
// maps (u)int8..48 to number by default), addresses as strings, bytes in as hex or Uint8Array.
declare module 'abitype' {
  interface Register {
    intType: bigint;
    addressType: string;
    bytesType: { inputs: string | Uint8Array; outputs: string };
  }
}

type Inputs<F extends AbiFunction> = AbiParametersToPrimitiveTypes<F['inputs'], 'inputs'>;
type Outputs<F extends AbiFunction> = AbiParametersToPrimitiveTypes<F['outputs'], 'outputs'>;

/** What an ethers call resolves to: nothing, the single value, or the tuple of values. */
type Returned<F extends AbiFunction> =
  Outputs<F> extends readonly []
    ? void
    : Outputs<F> extends readonly [infer Only]
      ? Only
      : Outputs<F>;

/**
 * What the contract function `N` of `A` returns through ethers, typed by the ABI (structs by field
 * name; at run time an ethers `Result`, see `plainValue` for plain data).
 */
export type ContractReturnType<A extends Abi, N extends ExtractAbiFunctionNames<A>> = Returned<
  ExtractAbiFunction<A, N>
>;

type Arguments<F extends AbiFunction> = [...Inputs<F>, overrides?: Overrides];

type ViewMethod<F extends AbiFunction> = (...args: Arguments<F>) => Promise<Returned<F>>;

type SendMethod<F extends AbiFunction> = ((
  ...args: Arguments<F>
) => Promise<ContractTransactionResponse>) & {
  /** Simulates the call and returns what it would return (reverts throw, with the error data). */
  staticCall: (...args: Arguments<F>) => Promise<Returned<F>>;
  estimateGas: (...args: Arguments<F>) => Promise<bigint>;
};

type Method<F extends AbiFunction> = F['stateMutability'] extends 'view' | 'pure'
  ? ViewMethod<F>
  : SendMethod<F>;

/**
 * An ethers `Contract` typed by its ABI (see {@link connectContract}). Structs come back as
 * ethers `Result`s, which also answer to the field names typed here.
 */
export type TypedContract<A extends Abi> = BaseContract & {
  readonly [N in ExtractAbiFunctionNames<A>]: Method<ExtractAbiFunction<A, N>>;
};

/**
 * An ethers contract at `address` with `abi`, typed by it.
 *
 * @example
 * const market = connectContract(marketplaceAbi, stack.contracts.marketplace, wallet);
 * const order = await market.getOrder(1n); // order.manifestHash: `0x${string}`
 */
export function connectContract<const A extends Abi>(
  abi: A,
  address: string,
  runner: ContractRunner,
): TypedContract<A> {
  return new Contract(
    address,
    abi as unknown as InterfaceAbi,
    runner,
  ) as unknown as TypedContract<A>;
}
