import { ZeroAddress, type ContractRunner } from 'ethers';
import type { ContractReturnType, marketplaceAbi } from '../abi/index.js';
import { readView } from './read-view.js';

/** The contract's `LeaseView` as plain data, typed by the ABI. */
type LeaseView = ContractReturnType<typeof marketplaceAbi, 'getLease'>;

/**
 * A lease as the marketplace holds it as of the latest block: the contract's `LeaseView`
 * (integers as bigints; `fundedUntil` is the close time once closed), its id, and whether a lease
 * was ever started under the id. Lease ids are order ids; an open, cancelled or unknown order
 * reads as `exists: false`, `active: false`, with only the order's tenant set.
 */
export type MarketplaceLease = Readonly<LeaseView> & {
  readonly leaseId: bigint;
  readonly exists: boolean;
};

export interface ReadLeaseParameters {
  /** The Marketplace contract's address. */
  readonly marketplace: string;
  readonly leaseId: bigint;
}

export type ReadLeaseReturnType = MarketplaceLease;

export interface ReadLeasesParameters {
  /** The Marketplace contract's address. */
  readonly marketplace: string;
  /** At most the contract's `MAX_BATCH_READ` ids (500); more revert. */
  readonly leaseIds: readonly bigint[];
}

export type ReadLeasesReturnType = MarketplaceLease[];

/**
 * Reads a lease (`getLease`): the one reader of a lease, for the operator (over its RPC pool) and
 * the tenant CLI alike.
 *
 * @example
 * const lease = await readLease(provider, { marketplace, leaseId: 7n });
 * if (lease.exists && lease.active) console.log(lease.remaining);
 */
export async function readLease(
  runner: ContractRunner,
  { marketplace, leaseId }: ReadLeaseParameters,
): Promise<ReadLeaseReturnType> {
  const view = await readView(runner, { marketplace, method: 'getLease', args: [leaseId] });
  return marketplaceLease(leaseId, view);
}

/**
 * Reads many leases in one call (`getLeases`), in the order of `leaseIds`, each as
 * {@link readLease} reads it: what a reader of every active lease builds on.
 *
 * @example
 * const leases = await readLeases(provider, { marketplace, leaseIds: [7n, 8n] });
 */
export async function readLeases(
  runner: ContractRunner,
  { marketplace, leaseIds }: ReadLeasesParameters,
): Promise<ReadLeasesReturnType> {
  const views = await readView(runner, { marketplace, method: 'getLeases', args: [leaseIds] });
  return views.map((view, i) => marketplaceLease(leaseIds[i]!, view));
}

function marketplaceLease(leaseId: bigint, view: LeaseView): MarketplaceLease {
  return { ...view, leaseId, exists: view.provider !== ZeroAddress };
}
