import type {
  Abi,
  AbiFunction,
  AbiParametersToPrimitiveTypes,
  ExtractAbiFunction,
  ExtractAbiFunctionNames,
} from 'abitype';
import { Interface, type InterfaceAbi } from 'ethers';

/**
 * What the chain says about an intent before it is sent: send it, or skip it because what it
 * would do is already done (the bid is there at that price, the provider is registered as wanted).
 */
export type PrecheckResult =
  { readonly send: true } | { readonly send: false; readonly reason: string };

/** One thing to do on chain: a contract call, keyed, with a check of the chain before sending. */
export interface TransactionIntent {
  /**
   * Names what the intent achieves, e.g. `placeBid/7/1000`: a send with the key of one already
   * queued or in flight joins it instead of sending twice.
   */
  readonly key: string;
  /** The contract method, for logs and metric labels. */
  readonly method: string;
  readonly to: string;
  /** ABI-encoded calldata. */
  readonly data: string;
  /** Native currency sent along, in wei. */
  readonly value?: bigint;
  /**
   * Reads the chain just before sending (after every earlier transaction of the wallet is mined)
   * and says whether the transaction is still needed. This is what makes a retried intent, or one
   * re-issued after a restart, harmless.
   */
  readonly precheck?: () => Promise<PrecheckResult>;
}

type WriteFunctionNames<A extends Abi> = ExtractAbiFunctionNames<A, 'nonpayable' | 'payable'>;
type Inputs<F extends AbiFunction> = AbiParametersToPrimitiveTypes<F['inputs'], 'inputs'>;

/** The `to`, `data` and `method` of an intent calling `method` of the contract at `address`. */
export type ContractCall = Pick<TransactionIntent, 'to' | 'data' | 'method'>;

const interfaces = new WeakMap<object, Interface>();

/**
 * Encodes a call of a state-changing method of a typed ABI; spread it into an intent.
 *
 * @example
 * sender.send({
 *   ...contractCall(marketplaceAbi, marketplace, 'placeBid', [orderId, price]),
 *   key: `placeBid/${orderId}/${price}`,
 *   precheck: async () => ((await market.getBid(orderId, me)) === price ? { send: false, reason: 'bid already placed' } : { send: true }),
 * });
 */
export function contractCall<const A extends Abi, N extends WriteFunctionNames<A>>(
  abi: A,
  address: string,
  method: N,
  args: Inputs<ExtractAbiFunction<A, N>>,
): ContractCall {
  let contractInterface = interfaces.get(abi);
  if (!contractInterface) {
    contractInterface = new Interface(abi as unknown as InterfaceAbi);
    interfaces.set(abi, contractInterface);
  }
  return {
    to: address,
    method,
    data: contractInterface.encodeFunctionData(method, args as readonly unknown[]),
  };
}
