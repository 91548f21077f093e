// What the end-to-end suite (and the fault suite and market benchmark) do on top of the market
// suites' world (market-fixtures.ts): the tenant's moves and the chain's clock, and waiting for
// the ComputeLease a lease becomes.
import type { Wallet } from 'ethers';
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import { connectContract, marketplaceAbi } from '../../operator/src/chain/abi/index.js';
import type { KubeClient } from '../../operator/src/kube/index.js';
import { computeLeaseName, leaseNamespaceName } from '../../operator/src/workloads/names.js';
import { mined, type TestChain } from './test-chain.js';
import { waitForLease } from './cluster-fixtures.js';

/** The marketplace as `signer` (tenant, provider or anyone). */
export function marketplaceAs(chain: TestChain, signer: Wallet) {
  return connectContract(marketplaceAbi, chain.contracts.marketplace, signer);
}

/** Moves the chain's clock forward and mines a block at the new time. */
export async function advanceChainTime(chain: TestChain, seconds: number): Promise<void> {
  await chain.rpc('evm_increaseTime', [seconds]);
  await chain.mine(1);
}

/** The tenant accepts `provider`'s bid at the price it reads now: the lease starts. */
export async function acceptBid(
  chain: TestChain,
  tenant: Wallet,
  orderId: bigint,
  provider: string,
): Promise<void> {
  const market = marketplaceAs(chain, tenant);
  await mined(market.acceptBid(orderId, provider, await market.getBid(orderId, provider)));
}

/** Waits for the ComputeLease the chain made for `leaseId`; returns it. */
export function waitForChainLease(
  client: KubeClient,
  leaseId: bigint,
  what: string,
  check: (lease: ComputeLease) => boolean,
  timeoutMs = 90_000,
): Promise<ComputeLease> {
  return waitForLease(client, computeLeaseName(leaseId.toString()), what, check, timeoutMs);
}

export const phase =
  (wanted: string) =>
  (lease: ComputeLease): boolean =>
    lease.status?.phase === wanted && lease.status.observedGeneration === lease.metadata.generation;

export { leaseNamespaceName };
