// The market suites' world (shared with the fault, end-to-end and benchmark suites): the Provider,
// its wallet Secret and pools of the test's own on the shared cluster, orders with canonical
// manifests on a private anvil, and metric reads.
import { toUtf8Bytes, type Wallet } from 'ethers';
import type { GpuNodePool } from '../../operator/src/api/gpunodepool.js';
import type { Provider } from '../../operator/src/api/provider.js';
import {
  connectContract,
  marketplaceAbi,
  mockErc20Abi,
} from '../../operator/src/chain/abi/index.js';
import { gpuModelId } from '../../operator/src/chain/identifiers.js';
import { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../../operator/src/api/kinds.js';
import { SecretKind, type KubeClient } from '../../operator/src/kube/index.js';
import { canonicalManifest } from '../../operator/src/workloads/canonical.js';
import { mined, type TestChain } from './test-chain.js';
import type { OperatorProcess } from './operator.js';
import {
  createPoolNodes,
  deleteLeases,
  deleteNodes,
  deletePools,
  gpuManifest,
  testPool,
} from './cluster-fixtures.js';
import { startOperator, testRunLabel } from './test-run-operator.js';

export const walletNamespace = 'supercloud-system';

/** Prices of the test pools: 1,000 token units per GPU-second, 10 per core-second. */
export const testPrices = {
  perGpuHour: '3600000',
  perCpuCoreHour: '36000',
  perGiBMemoryHour: '0',
  perGiBStorageHour: '0',
};

/** A pool of the test's own nodes selling `model` (unique per run, so no other suite's pool matches). */
export function marketPool(name: string, model: string, memoryMiB: number): GpuNodePool {
  const base = testPool(name);
  return {
    ...base,
    spec: {
      ...base.spec,
      gpu: { ...base.spec.gpu, model, memoryMiB },
      prices: testPrices,
      reservedGpus: 0,
    },
  };
}

export async function createWalletSecret(
  client: KubeClient,
  name: string,
  wallet: Wallet,
): Promise<void> {
  await client.create(SecretKind, {
    metadata: { name, namespace: walletNamespace },
    type: 'Opaque',
    data: { privateKey: Buffer.from(wallet.privateKey).toString('base64') },
  });
}

export function marketProvider(
  name: string,
  run: string,
  chain: TestChain,
  secret: string,
): Provider {
  return {
    apiVersion: 'supercloud.dev/v1alpha1',
    kind: 'Provider',
    metadata: { name, labels: { [testRunLabel]: run } },
    spec: {
      chain: {
        chainId: chain.chainId,
        rpcUrls: [chain.rpcUrl],
        marketplace: chain.contracts.marketplace,
        registry: chain.contracts.registry,
        confirmations: 0,
        startBlock: chain.contracts.deployBlock,
      },
      walletSecretRef: { name: secret, namespace: walletNamespace, key: 'privateKey' },
      gatewayUrl: 'https://gpu.test.example',
      attributes: { region: 'test' },
    } as unknown as Provider['spec'], // the API server fills in the defaults of the policies
  };
}

export async function createProvider(client: KubeClient, provider: Provider): Promise<void> {
  await client.create(ProviderKind, provider);
}

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
  /** The RPC URL the operator uses (a proxy to cut it off). Default: the chain's. */
  readonly rpcUrl?: string;
  /** Blocks the follower stays behind the head. Default 0. */
  readonly confirmations?: number;
  /** Bids awaiting a result at most (default: the API server's, 100). */
  readonly maxOutstandingBids?: number;
  /**
   * Settle on a short schedule: withdraw every this many chain seconds, any amount, and warn
   * 5 minutes before an escrow runs out (default: the API server's settlement policy).
   */
  readonly withdrawIntervalSeconds?: number;
  /** The gateway URL registered on chain (default: a placeholder nothing serves). */
  readonly gatewayUrl?: string;
  /**
   * Sign through this remote signer (it holds the wallet's key) instead of a wallet Secret; its
   * bearer token, if any, goes in the run's Secret (`wallet-<run>`) under `token`.
   */
  readonly remoteSigner?: { readonly url: string; readonly token?: string };
}

/**
 * The run's Provider and its wallet Secret (`wallet-<run>`: the key, or a remote signer's token);
 * what is not set the API server defaults.
 */
export async function createSuiteProvider(
  client: KubeClient,
  name: string,
  run: string,
  chain: TestChain,
  wallet: Wallet,
  options: SuiteProviderOptions = {},
): Promise<void> {
  const secret = `wallet-${run}`;
  const { remoteSigner } = options;
  if (!remoteSigner) await createWalletSecret(client, secret, wallet);
  else if (remoteSigner.token) {
    await client.create(SecretKind, {
      metadata: { name: secret, namespace: walletNamespace },
      type: 'Opaque',
      data: { token: Buffer.from(remoteSigner.token).toString('base64') },
    });
  }
  const provider: Provider = marketProvider(name, run, chain, secret);
  const { walletSecretRef, ...spec } = provider.spec;
  provider.spec = {
    ...spec,
    ...(remoteSigner
      ? {
          remoteSigner: {
            url: remoteSigner.url,
            address: wallet.address,
            timeoutSeconds: 2,
            ...(remoteSigner.token
              ? {
                  credentialsSecretRef: {
                    name: secret,
                    namespace: walletNamespace,
                    tokenKey: 'token',
                    caKey: 'ca.crt',
                  },
                }
              : {}),
          },
        }
      : { walletSecretRef }),
    chain: {
      ...provider.spec.chain,
      rpcUrls: [options.rpcUrl ?? chain.rpcUrl],
      confirmations: options.confirmations ?? 0,
    },
    ...(options.gatewayUrl ? { gatewayUrl: options.gatewayUrl } : {}),
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
    ...(options.withdrawIntervalSeconds
      ? {
          settlement: {
            withdrawIntervalSeconds: options.withdrawIntervalSeconds,
            batchSize: 50,
            closeExhaustedLeases: true,
            minWithdrawAmount: '1',
            fundingWarningSeconds: 300,
          },
        }
      : {}),
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

/**
 * Removes what a market suite made: the run's ComputeLeases (their namespaces go with them), the
 * Provider and its wallet Secret, the pools and their nodes.
 */
export async function removeSuite(
  client: KubeClient,
  run: string,
  provider: string,
  pools: readonly SuitePool[],
): Promise<void> {
  const leases = (await client.list(ComputeLeaseKind)).items.filter(
    (lease) => lease.metadata.labels?.[testRunLabel] === run,
  );
  await deleteLeases(
    client,
    leases.map((lease) => lease.metadata.name ?? ''),
  ).catch(() => undefined);
  await client.delete(ProviderKind, provider).catch(() => undefined);
  await client
    .delete(SecretKind, `wallet-${run}`, { namespace: walletNamespace })
    .catch(() => undefined);
  await deletePools(
    client,
    pools.map((pool) => pool.name),
  ).catch(() => undefined);
  await deleteNodes(
    client,
    pools.flatMap((pool) => pool.nodes),
  ).catch(() => undefined);
}

export interface OrderRequest {
  readonly model: string;
  readonly gpus: number;
  readonly replicas?: number;
  readonly maxPricePerSecond: bigint;
  /** A manifest other than `gpuManifest(gpus, replicas)`. */
  readonly manifest?: unknown;
  readonly biddingSeconds?: bigint;
}

/** Creates an order whose manifest is canonical JSON and whose resources are exactly what it needs. */
export async function placeOrder(
  chain: TestChain,
  tenant: Wallet,
  request: OrderRequest,
): Promise<bigint> {
  const replicas = request.replicas ?? 1;
  const body = request.manifest ?? gpuManifest(request.gpus, replicas);
  const market = connectContract(marketplaceAbi, chain.contracts.marketplace, tenant);
  const token = connectContract(mockErc20Abi, chain.contracts.token, tenant);
  const deposit = request.maxPricePerSecond * (await market.minRunSeconds());
  if ((await token.allowance(tenant.address, chain.contracts.marketplace)) < deposit) {
    await mined(token.approve(chain.contracts.marketplace, 2n ** 255n));
  }
  const receipt = await mined(
    market.createOrder(
      {
        gpuModel: gpuModelId(request.model),
        gpuCount: BigInt(request.gpus * replicas),
        gpuMemoryMiB: 0n,
        cpuMillicores: BigInt(1000 * replicas),
        memoryMiB: BigInt(1024 * replicas),
        storageMiB: BigInt(1024 * replicas),
      },
      request.maxPricePerSecond,
      request.biddingSeconds ?? 3600n,
      deposit,
      toUtf8Bytes(canonicalManifest(body)),
    ),
  );
  const created = receipt.logs
    .map((log) => market.interface.parseLog(log))
    .find((event) => event?.name === 'OrderCreated');
  if (!created) throw new Error('createOrder emitted no OrderCreated');
  return created.args.orderId as bigint;
}

/** The value of a gauge or counter line of Prometheus text (summed over matching label sets). */
export { counterTotal as metricValue } from './test-run-operator.js';
