import { defaultWorkloadPolicy } from '../workloads/verify.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import { gpuModelId } from '../chain/identifiers.js';
import { canonicalManifest, canonicalManifestHash } from '../workloads/canonical.js';
import { decideBid, skipReasons, type DecideBidParameters, type PoolCandidate } from './decide.js';
import type { MarketOrder } from './order.js';
import { marginOverFloorStrategy, poolPriceStrategy } from './pricing.js';

const h100Model = 'NVIDIA-H100-80GB-HBM3';
const a100Model = 'NVIDIA-A100-SXM4-40GB';

function pool(name: string, model: string, free: number, perGpuHour = '3600000'): GpuNodePool {
  return {
    apiVersion: 'supercloud.dev/v1alpha1',
    kind: 'GpuNodePool',
    metadata: { name },
    spec: {
      nodeSelector: { 'supercloud.dev/pool': name },
      gpu: { vendor: 'nvidia', model, memoryMiB: model === h100Model ? 81_559 : 40_960 },
      extendedResourceName: 'nvidia.com/gpu',
      tolerations: [],
      prices: { perGpuHour, perCpuCoreHour: '0', perGiBMemoryHour: '0', perGiBStorageHour: '0' },
      reservedGpus: 0,
    },
    status: {
      gpus: {
        capacity: 16,
        allocatable: 16,
        allocated: 16 - free,
        free,
        largestFreeOnNode: Math.min(8, free),
      },
    },
  };
}

function manifest(gpus: number, replicas = 1, extra: Record<string, unknown> = {}): unknown {
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

function order(
  gpus: number,
  options: Partial<MarketOrder> & { model?: string; body?: unknown } = {},
): MarketOrder {
  const body = options.body ?? manifest(gpus);
  return {
    orderId: 7n,
    tenant: '0x1111111111111111111111111111111111111111',
    resources: {
      gpuModel: gpuModelId(options.model ?? h100Model),
      gpuCount: gpus,
      gpuMemoryMiB: 0,
      cpuMillicores: 1000,
      memoryMiB: 1024,
      storageMiB: 1024,
    },
    maxPricePerSecond: 10_000n,
    biddingDeadline: 2_000,
    manifestHash: canonicalManifestHash(body),
    manifest: canonicalManifest(body),
    ...options,
  };
}

const candidates = (...pools: GpuNodePool[]): PoolCandidate[] =>
  pools.map((p) => ({ pool: p, reservedGpus: 0 }));

function decide(overrides: Partial<DecideBidParameters>): ReturnType<typeof decideBid> {
  return decideBid({
    order: order(1),
    pools: candidates(pool('h100', h100Model, 8), pool('a100', a100Model, 8)),
    policy: {
      enabled: true,
      maxOutstandingBids: 100,
      minPricePerSecond: 0n,
      workloads: defaultWorkloadPolicy,
    },
    strategy: poolPriceStrategy,
    outstandingBids: 0,
    provider: '0x2222222222222222222222222222222222222222',
    now: 1_000,
    ...overrides,
  });
}

describe('decideBid', () => {
  it('bids the pool price on the pool with the model', () => {
    expect(decide({ order: order(2) })).toMatchObject({
      bid: true,
      pool: 'h100',
      pricePerSecond: 2000n,
      gpus: 2,
    });
    expect(decide({ order: order(1, { model: a100Model }) })).toMatchObject({
      bid: true,
      pool: 'a100',
      pricePerSecond: 1000n,
    });
  });

  it('never bids a GPU pool on an order that buys no GPU', () => {
    expect(decide({ order: order(0) })).toMatchObject({
      bid: false,
      reason: skipReasons.noGpusOrdered,
    });
  });

  it('never bids on a manifest that would make the node pull from inside the datacenter', () => {
    const body = manifest(1, 1, { image: '169.254.169.254/latest/meta-data:1' });
    expect(decide({ order: order(1, { body }) })).toMatchObject({
      bid: false,
      reason: skipReasons.manifestRejected,
      detail: expect.stringMatching(/services\[0\]\.image: .*IP address/),
    });
  });

  it("bids only on images from the Provider's allowed registries when it lists some", () => {
    const allowOnly = (allowedRegistries: string[]) => ({
      policy: {
        enabled: true,
        maxOutstandingBids: 100,
        minPricePerSecond: 0n,
        workloads: { allowedRegistries },
      },
    });
    expect(decide(allowOnly(['ghcr.io']))).toMatchObject({
      bid: false,
      detail: expect.stringMatching(/not in the provider's allowed registries/),
    });
    expect(decide(allowOnly(['registry.example.com/team']))).toMatchObject({ bid: true });
  });

  it('never bids on a manifest that sets a variable the GPU runtime reads', () => {
    const body = manifest(1, 1, { env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }] });
    expect(decide({ order: order(1, { body }) })).toMatchObject({
      bid: false,
      reason: skipReasons.manifestRejected,
      detail: expect.stringMatching(/env\[0\]\.name: NVIDIA_VISIBLE_DEVICES is read by/),
    });
  });

  it('picks the cheapest of several pools with the model', () => {
    const pools = candidates(
      pool('h100-a', h100Model, 8, '7200000'),
      pool('h100-b', h100Model, 8, '3600000'),
    );
    expect(decide({ pools })).toMatchObject({ bid: true, pool: 'h100-b' });
  });

  it('skips an unknown GPU model', () => {
    expect(decide({ order: order(1, { model: 'NVIDIA-B200' }) })).toMatchObject({
      bid: false,
      reason: skipReasons.unknownGpuModel,
    });
  });

  it('skips when more memory per GPU is asked than the pool has', () => {
    const o = order(1);
    expect(
      decide({ order: { ...o, resources: { ...o.resources, gpuMemoryMiB: 100_000 } } }),
    ).toMatchObject({
      bid: false,
      reason: skipReasons.gpuMemoryTooSmall,
    });
  });

  it('skips when the GPUs free beside reservations do not suffice', () => {
    expect(
      decide({ order: order(4), pools: [{ pool: pool('h100', h100Model, 8), reservedGpus: 6 }] }),
    ).toMatchObject({
      bid: false,
      reason: skipReasons.noFreeCapacity,
    });
    expect(
      decide({ order: order(4), pools: [{ pool: pool('h100', h100Model, 8), reservedGpus: 4 }] }),
    ).toMatchObject({ bid: true });
  });

  it('skips a replica bigger than any node: GPUs, CPU or memory', () => {
    expect(
      decide({
        order: order(16, { body: manifest(16) }),
        pools: candidates(pool('h100', h100Model, 16)),
      }),
    ).toMatchObject({
      bid: false,
      reason: skipReasons.replicaExceedsNode,
    });
    const small = {
      pool: pool('h100', h100Model, 8),
      reservedGpus: 0,
      largestNode: { cpuMillis: 500, memoryMiB: 65_536 },
    };
    expect(decide({ pools: [small] })).toMatchObject({
      bid: false,
      reason: skipReasons.replicaExceedsNode,
    });
  });

  it('skips when the price is above the tenant max, and honours the minimum price', () => {
    expect(decide({ order: order(1, { maxPricePerSecond: 999n }) })).toMatchObject({
      bid: false,
      reason: skipReasons.priceAboveMax,
    });
    expect(
      decide({
        policy: {
          enabled: true,
          maxOutstandingBids: 100,
          minPricePerSecond: 5000n,
          workloads: defaultWorkloadPolicy,
        },
      }),
    ).toMatchObject({ bid: true, pricePerSecond: 5000n });
  });

  it('prices with the strategy', () => {
    expect(decide({ strategy: marginOverFloorStrategy(2000) })).toMatchObject({
      bid: true,
      pricePerSecond: 1200n,
    });
  });

  it('skips a manifest the ComputeLease controller would reject', () => {
    const privileged = manifest(1, 1, { privileged: true });
    expect(decide({ order: order(1, { body: privileged }) })).toMatchObject({
      bid: false,
      reason: skipReasons.manifestRejected,
    });
    // Needs more GPUs than bought.
    expect(decide({ order: order(1, { body: manifest(2) }) })).toMatchObject({
      bid: false,
      reason: skipReasons.manifestRejected,
    });
    // A hash that is not the manifest's.
    expect(decide({ order: { ...order(1), manifestHash: `0x${'ab'.repeat(32)}` } })).toMatchObject({
      bid: false,
      reason: skipReasons.manifestRejected,
    });
    expect(decide({ order: { ...order(1), manifest: 'not: [valid' } })).toMatchObject({
      bid: false,
      reason: skipReasons.manifestRejected,
    });
  });

  it('skips when bidding is off, the bid limit is reached or the deadline passed', () => {
    expect(
      decide({
        policy: {
          enabled: false,
          maxOutstandingBids: 100,
          minPricePerSecond: 0n,
          workloads: defaultWorkloadPolicy,
        },
      }),
    ).toMatchObject({
      reason: skipReasons.biddingDisabled,
    });
    expect(decide({ outstandingBids: 100 })).toMatchObject({
      reason: skipReasons.outstandingBidsLimit,
    });
    expect(decide({ now: 2_000 })).toMatchObject({ reason: skipReasons.deadlinePassed });
  });
});
