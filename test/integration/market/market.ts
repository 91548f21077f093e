// Helpers of the market tests: the Provider, its wallet Secret and pools of the test's own on the
// shared cluster, orders with canonical manifests on a private anvil, and metric reads.
import { toUtf8Bytes, type Wallet } from 'ethers';
import type { GpuNodePool } from '../../../operator/src/api/gpunodepool.js';
import type { Provider } from '../../../operator/src/api/provider.js';
import {
  connectContract,
  marketplaceAbi,
  mockErc20Abi,
} from '../../../operator/src/chain/abi/index.js';
import { gpuModelId } from '../../../operator/src/chain/identifiers.js';
import { ProviderKind } from '../../../operator/src/controllers/kinds.js';
import { SecretKind, type KubeClient } from '../../../operator/src/kube/index.js';
import { canonicalManifest } from '../../../operator/src/workloads/canonical.js';
import { mined, type TestChain } from '../chain-side/chain.js';
import { testPool } from '../controllers/helpers.js';
import { testRunLabel } from '../controllers/operator.js';

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

/** A one-service manifest (JSON value) asking `gpus` per replica. */
export function workload(gpus: number, replicas = 1, extra: Record<string, unknown> = {}): unknown {
  return {
    version: 'v1',
    services: [
      {
        name: 'worker',
        image: 'registry.example.com/team/worker:1.0',
        replicas,
        resources: {
          gpus,
          cpuMillis: 1000,
          memoryMiB: 1024,
          ephemeralStorageMiB: 1024,
          shmMiB: 64,
        },
        ...extra,
      },
    ],
  };
}

export interface OrderRequest {
  readonly model: string;
  readonly gpus: number;
  readonly replicas?: number;
  readonly maxPricePerSecond: bigint;
  /** A manifest other than `workload(gpus, replicas)`. */
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
  const body = request.manifest ?? workload(request.gpus, replicas);
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
export { counterTotal as metricValue } from '../controllers/operator.js';
