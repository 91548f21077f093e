// The world of the end-to-end suite: the stack's anvil with the contracts, the local control plane
// with GPU nodes and pools of the suite's own, a Provider whose wallet is a fresh account, and the
// operator as a local process acting as the chart's ServiceAccount, following the chain.
import type { Wallet } from 'ethers';
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import type { Provider } from '../../operator/src/api/provider.js';
import { connectContract, marketplaceAbi } from '../../operator/src/chain/abi/index.js';
import { GpuNodePoolKind } from '../../operator/src/controllers/kinds.js';
import type { KubeClient } from '../../operator/src/kube/index.js';
import { computeLeaseName, leaseNamespaceName } from '../../operator/src/workloads/names.js';
import type { OperatorProcess } from '../harness/operator.js';
import { mined, type TestChain } from '../integration/chain-side/chain.js';
import { createPoolNodes, waitForLease } from '../integration/controllers/helpers.js';
import { startOperator } from '../integration/controllers/operator.js';
import {
  createProvider,
  createWalletSecret,
  marketPool,
  marketProvider,
} from '../integration/market/market.js';

/** One GPU pool of the suite: its name, the model it sells and its nodes. */
export interface SuitePool {
  readonly name: string;
  readonly model: string;
  readonly memoryMiB: number;
  nodes: string[];
}

/** Creates the pool's KWOK nodes (8 GPUs each) and its GpuNodePool. */
export async function createSuitePool(
  client: KubeClient,
  pool: SuitePool,
  nodeCount: number,
): Promise<void> {
  pool.nodes = await createPoolNodes(pool.name, nodeCount);
  await client.create(GpuNodePoolKind, marketPool(pool.name, pool.model, pool.memoryMiB));
}

export interface SuiteProviderOptions {
  /** The Provider's withdrawal schedule, in chain seconds. Default 10. */
  readonly withdrawIntervalSeconds?: number;
  /** The RPC URL the operator uses (a proxy to cut it off). Default: the chain's. */
  readonly rpcUrl?: string;
  /** Bids awaiting a result at most (the Provider's default is 100). */
  readonly maxOutstandingBids?: number;
}

/** A Provider that warns 5 minutes before escrows run out and withdraws on a short schedule. */
export async function createSuiteProvider(
  client: KubeClient,
  name: string,
  run: string,
  chain: TestChain,
  wallet: Wallet,
  options: SuiteProviderOptions = {},
): Promise<void> {
  const secret = `wallet-${run}`;
  await createWalletSecret(client, secret, wallet);
  const provider: Provider = marketProvider(name, run, chain, secret);
  provider.spec = {
    ...provider.spec,
    chain: { ...provider.spec.chain, rpcUrls: [options.rpcUrl ?? chain.rpcUrl] },
    ...(options.maxOutstandingBids
      ? {
          bidding: {
            enabled: true,
            maxOutstandingBids: options.maxOutstandingBids,
            minPricePerSecond: '0',
            strategy: 'PoolPrice',
            marginBps: 0,
          },
        }
      : {}),
    settlement: {
      withdrawIntervalSeconds: options.withdrawIntervalSeconds ?? 10,
      batchSize: 50,
      closeExhaustedLeases: true,
      minWithdrawAmount: '1',
      fundingWarningSeconds: 300,
    },
  };
  await createProvider(client, provider);
}

/** `supercloud-operator run` following the chain, for the leases and Providers of this run. */
export function startChainOperator(run: string): OperatorProcess {
  return startOperator({
    run,
    logLevel: 'debug',
    verification: 'chain',
    extraArgs: [
      '--chain-poll-ms',
      '250',
      '--chain-sweep-ms',
      '2000',
      '--settlement-interval-ms',
      '1000',
    ],
  });
}

/** The marketplace as `signer` (tenant, provider or anyone). */
export function marketplaceAs(chain: TestChain, signer: Wallet) {
  return connectContract(marketplaceAbi, chain.contracts.marketplace, signer);
}

/** Moves the chain's clock forward and mines a block at the new time. */
export async function advanceChainTime(chain: TestChain, seconds: number): Promise<void> {
  await chain.rpc('evm_increaseTime', [seconds]);
  await chain.mine(1);
}

/** The tenant accepts `provider`'s bid: the lease starts. */
export async function acceptBid(
  chain: TestChain,
  tenant: Wallet,
  orderId: bigint,
  provider: string,
): Promise<void> {
  await mined(marketplaceAs(chain, tenant).acceptBid(orderId, provider));
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
