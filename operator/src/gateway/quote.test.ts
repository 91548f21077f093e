// The quote desk against the in-memory API server: the bid engine's decision on the pools, nodes
// and Provider in the cache, its live bids counted from the Provider status.
import type { GpuNodePool } from '../api/gpunodepool.js';
import { GpuNodePoolKind, ProviderKind } from '../api/kinds.js';
import type { Provider } from '../api/provider.js';
import { gpuModelId } from '../chain/identifiers.js';
import { InformerCache } from '../kube/informer-cache.js';
import { NodeKind, type ObjectOf } from '../kube/objects.js';
import { FakeClock } from '../kube/testing/fake-clock.js';
import { FakeKubeClient } from '../kube/testing/fake-client.js';
import { poolPricePerSecond } from '../market/pricing.js';
import { GatewayError } from './errors.js';
import { QuoteDesk } from './quote.js';
import type { QuoteRequest } from './quote-request.js';

const model = 'NVIDIA-H100-80GB-HBM3';
const address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const marketplace = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0';
const prices = {
  perGpuHour: '3600000',
  perCpuCoreHour: '36000',
  perGiBMemoryHour: '0',
  perGiBStorageHour: '0',
};

function pool(name: string, free: number, perGpuHour = prices.perGpuHour): GpuNodePool {
  return {
    apiVersion: 'supercloud.dev/v1alpha1',
    kind: 'GpuNodePool',
    metadata: { name },
    spec: {
      nodeSelector: { 'supercloud.dev/pool': name },
      gpu: { vendor: 'nvidia', model, memoryMiB: 81_559 },
      extendedResourceName: 'nvidia.com/gpu',
      tolerations: [],
      prices: { ...prices, perGpuHour },
      reservedGpus: 0,
    },
    status: {
      gpus: { capacity: 8, allocatable: 8, allocated: 8 - free, free, largestFreeOnNode: free },
    },
  };
}

function provider(
  name: string,
  status: Provider['status'] = {},
  bidding: Partial<Provider['spec']['bidding']> = {},
): Provider {
  return {
    apiVersion: 'supercloud.dev/v1alpha1',
    kind: 'Provider',
    metadata: { name },
    spec: {
      chain: { chainId: 31337, rpcUrls: [], marketplace, registry: marketplace },
      bidding: {
        enabled: true,
        maxOutstandingBids: 100,
        minPricePerSecond: '0',
        strategy: 'PoolPrice',
        marginBps: 0,
        ...bidding,
      },
    } as unknown as Provider['spec'],
    status: { providerAddress: address, registered: true, ...status },
  };
}

/** A node of `pool` with this much allocatable CPU and memory. */
function node(pool: string, cpu: string, memory: string): ObjectOf<typeof NodeKind> {
  return {
    metadata: { name: `${pool}-0`, labels: { 'supercloud.dev/pool': pool } },
    status: { allocatable: { cpu, memory, 'nvidia.com/gpu': '8' } },
  };
}

const manifest = (gpus: number) => `version: v1
services:
  - name: worker
    image: registry.example.com/team/worker:1.0
    resources: { gpus: ${gpus}, cpuMillis: 1000, memoryMiB: 1024, ephemeralStorageMiB: 1024 }
`;

function request(gpus: number, more: Partial<QuoteRequest> = {}): QuoteRequest {
  return {
    manifest: manifest(gpus),
    resources: {
      gpuModel: gpuModelId(model),
      gpuCount: gpus,
      gpuMemoryMiB: 0,
      cpuMillicores: 1000,
      memoryMiB: 1024,
      storageMiB: 1024,
    },
    maxPricePerSecond: 100_000n,
    ...more,
  };
}

const listPrice = (gpus: number) =>
  poolPricePerSecond(prices, {
    gpuCount: gpus,
    cpuMillicores: 1000,
    memoryMiB: 1024,
    storageMiB: 1024,
  });

describe('QuoteDesk', () => {
  let cache: InformerCache | undefined;
  afterEach(() => cache?.stop());

  async function desk(
    seed: (api: FakeKubeClient) => void,
  ): Promise<(request: QuoteRequest) => ReturnType<QuoteDesk['answer']>> {
    const clock = new FakeClock();
    const api = new FakeKubeClient({ clock });
    seed(api);
    cache = new InformerCache(api.client, { clock, listerWatcher: api.listerWatcher });
    const quotes = new QuoteDesk(cache);
    cache.start();
    await cache.waitForSync();
    return (request) => quotes.answer(request, 1_000_000);
  }

  it("bids the cheapest fitting pool's list price, per second and per hour", async () => {
    const quote = await desk((api) => {
      api.seed(ProviderKind, provider('acme'));
      api.seed(GpuNodePoolKind, pool('dear', 8, '7200000'));
      api.seed(GpuNodePoolKind, pool('cheap', 8));
    });
    expect(quote(request(2))).toEqual({
      provider: address,
      chainId: 31337,
      marketplace,
      bid: true,
      pool: 'cheap',
      gpuModel: model,
      pricePerSecond: listPrice(2).toString(),
      pricePerHour: (listPrice(2) * 3600n).toString(),
      floorPerSecond: listPrice(2).toString(),
      strategy: 'pool-price',
    });
  });

  it('answers the price the tenant would exceed with its reason and detail', async () => {
    const quote = await desk((api) => {
      api.seed(ProviderKind, provider('acme'));
      api.seed(GpuNodePoolKind, pool('h100', 8));
    });
    expect(quote(request(1, { maxPricePerSecond: listPrice(1) - 1n }))).toMatchObject({
      bid: false,
      reason: 'price_above_max',
      detail: expect.stringContaining(`pool h100 prices the order at ${listPrice(1)}/s`),
    });
  });

  it('counts each live bid the Provider status records as one GPU held on its pool', async () => {
    const bidPools = Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((id) => [String(id), 'h100']));
    const quote = await desk((api) => {
      api.seed(ProviderKind, provider('acme', { bidPools: { ...bidPools, '8': 'other' } }));
      api.seed(GpuNodePoolKind, pool('h100', 8));
    });
    expect(quote(request(1))).toMatchObject({ bid: true, pool: 'h100' });
    expect(quote(request(2))).toMatchObject({
      bid: false,
      reason: 'no_free_capacity',
      detail: 'the order needs 2 GPUs, pool h100 has 1 free beside 7 reserved for live bids',
    });
  });

  it("refuses as the engine does once the Provider's outstanding bids are at its limit", async () => {
    const quote = await desk((api) => {
      api.seed(
        ProviderKind,
        provider('acme', { bidPools: { '1': 'h100', '2': 'h100' } }, { maxOutstandingBids: 2 }),
      );
      api.seed(GpuNodePoolKind, pool('h100', 8));
    });
    expect(quote(request(1))).toMatchObject({ bid: false, reason: 'outstanding_bids_limit' });
  });

  it("refuses a replica larger than the pool's largest node", async () => {
    const quote = await desk((api) => {
      api.seed(ProviderKind, provider('acme'));
      api.seed(GpuNodePoolKind, pool('h100', 8));
      api.seed(NodeKind, node('h100', '500m', '64Gi'));
    });
    expect(quote(request(1))).toMatchObject({
      bid: false,
      reason: 'replica_exceeds_node',
      detail: expect.stringContaining('the largest node of pool h100 has 500m'),
    });
  });

  it("refuses a manifest that does not parse, or does not hash to the order's hash", async () => {
    const quote = await desk((api) => {
      api.seed(ProviderKind, provider('acme'));
      api.seed(GpuNodePoolKind, pool('h100', 8));
    });
    expect(quote(request(1, { manifest: 'services: [' }))).toMatchObject({
      bid: false,
      reason: 'manifest_rejected',
      detail: expect.stringContaining('not valid YAML'),
    });
    expect(quote(request(1, { manifestHash: `0x${'00'.repeat(32)}` }))).toMatchObject({
      bid: false,
      reason: 'manifest_rejected',
      detail: expect.stringContaining('is not the hash of spec.manifest'),
    });
  });

  it.each([
    [
      'a provider it does not serve',
      [provider('acme')],
      `0x${'1'.repeat(40)}`,
      { status: 404, code: 'NoSuchProvider' },
    ],
    [
      'no provider when it serves several',
      [provider('acme'), provider('other', { providerAddress: `0x${'2'.repeat(40)}` })],
      undefined,
      { status: 400, code: 'BadQuote' },
    ],
    [
      'a provider not registered on chain yet',
      [provider('acme', { registered: false })],
      undefined,
      { status: 503, code: 'ProviderNotReady' },
    ],
  ])('refuses a quote for %s', async (_what, providers, named, refusal) => {
    const quote = await desk((api) => {
      for (const p of providers) api.seed(ProviderKind, p);
      api.seed(GpuNodePoolKind, pool('h100', 8));
    });
    let thrown: unknown;
    try {
      quote(request(1, named ? { provider: named } : {}));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect(thrown).toMatchObject(refusal);
  });
});
