import type { Provider } from 'ethers';

/**
 * The latest block's number, time and gas limit: the chain's "now" (anvil's may run ahead of the
 * clock).
 */
export interface ReadLatestBlockReturnType {
  readonly number: number;
  /** Unix seconds. */
  readonly timestamp: number;
  /** The block's gas limit: what batched calls size their transactions by. */
  readonly gasLimit: bigint;
}

/**
 * The latest block's number, timestamp and gas limit.
 *
 * @example
 * const { timestamp } = await rpc.call('eth_getBlockByNumber', (p) => readLatestBlock(p));
 * @throws Error when the node returns no block.
 */
export async function readLatestBlock(provider: Provider): Promise<ReadLatestBlockReturnType> {
  const block = await provider.getBlock('latest');
  if (!block) throw new Error('the node returned no latest block');
  return { number: block.number, timestamp: block.timestamp, gasLimit: block.gasLimit };
}
