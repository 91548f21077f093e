import type { ContractRunner } from 'ethers';
import { readView } from './read-view.js';

export interface ReadBidsOfParameters {
  /** The Marketplace contract's address. */
  readonly marketplace: string;
  /** At most the contract's `MAX_BATCH_READ` ids (500); more revert. */
  readonly orderIds: readonly bigint[];
  readonly provider: string;
}

/** The provider's live bid on each order, in token base units per second; 0n for none. */
export type ReadBidsOfReturnType = bigint[];

/**
 * Reads a provider's bids on many orders in one call (`getBidsOf`), in the order of `orderIds`.
 *
 * @example
 * const [mine] = await readBidsOf(provider, { marketplace, orderIds: [7n], provider: wallet });
 * if (mine === 0n) ... // no live bid of ours on order 7
 */
export async function readBidsOf(
  runner: ContractRunner,
  { marketplace, orderIds, provider }: ReadBidsOfParameters,
): Promise<ReadBidsOfReturnType> {
  return [
    ...(await readView(runner, { marketplace, method: 'getBidsOf', args: [orderIds, provider] })),
  ];
}
