import type { GpuNodePool } from '../api/gpunodepool.js';
import { gpuModelId } from '../chain/identifiers.js';
import { canonicalManifestHash } from '../workloads/canonical.js';
import { corpusPool, validManifest } from '../workloads/testing/corpus.js';
import { parseManifestYaml } from '../workloads/parse.js';
import { defaultWorkloadPolicy, verifyLease } from '../workloads/verify.js';
import type { ChainLease, LeaseClosing } from './lease-reader.js';
import { poolPricePerSecond } from './pricing.js';
import {
  chainComputeLease,
  chainSource,
  choosePool,
  closeReason,
  closeReasons,
  leaseSourceLabel,
  type LeaseSpecParameters,
} from './lease-spec.js';

const h100 = corpusPool.spec.gpu.model;
const a100 = 'NVIDIA-A100-SXM4-40GB';
const tenant = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const provider = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const zeroHash = `0x${'0'.repeat(64)}`;

function pool(name: string, model = h100, memoryMiB = 81_559): GpuNodePool {
  return {
    ...corpusPool,
    metadata: { name },
    spec: { ...corpusPool.spec, gpu: { vendor: 'nvidia', model, memoryMiB } },
  };
}

/** A won lease of 2 H100s (80000 MiB each) running the corpus manifest. */
function wonLease(
  patch: Partial<Omit<LeaseSpecParameters, 'pool'>> = {},
): Omit<LeaseSpecParameters, 'pool'> {
  const body = validManifest();
  return {
    leaseId: 7n,
    tenant,
    provider,
    resources: {
      gpuModel: gpuModelId(h100),
      gpuCount: 2,
      gpuMemoryMiB: 80_000,
      cpuMillicores: 8000,
      memoryMiB: 32_768,
      storageMiB: 8192,
    },
    manifest: parseManifestYaml(JSON.stringify(body)),
    manifestHash: canonicalManifestHash(body),
    pricePerSecond: 1_388_888_888_888_888n,
    ...patch,
  };
}

/** The corpus manifest with no GPU, for a CPU-only order. */
function cpuOnlyLease(): Omit<LeaseSpecParameters, 'pool'> {
  const body = validManifest() as { services: { resources: Record<string, number> }[] };
  body.services[0]!.resources.gpus = 0;
  const lease = wonLease();
  return {
    ...lease,
    resources: { ...lease.resources, gpuModel: zeroHash, gpuCount: 0, gpuMemoryMiB: 0 },
    manifest: parseManifestYaml(JSON.stringify(body)),
    manifestHash: canonicalManifestHash(body),
  };
}

const names = (found: GpuNodePool | undefined) => found?.metadata.name;

describe('choosePool', () => {
  it('prefers the pool whose list price is the lease price (the bid it won)', () => {
    const cheap = pool('a-h100');
    const listed = {
      ...pool('b-h100'),
      spec: { ...pool('b-h100').spec, prices: { ...cheap.spec.prices, perGpuHour: '7200' } },
    };
    const price = poolPricePerSecond(listed.spec.prices, wonLease().resources);
    expect(price).not.toBe(poolPricePerSecond(cheap.spec.prices, wonLease().resources));
    expect(
      names(
        choosePool([cheap, listed], wonLease({ pricePerSecond: price }), defaultWorkloadPolicy),
      ),
    ).toBe('b-h100');
    expect(
      names(choosePool([cheap, listed], wonLease({ pricePerSecond: 1n }), defaultWorkloadPolicy)),
    ).toBe('a-h100');
  });

  it('picks the first pool by name with the lease model, whatever the list order', () => {
    const pools = [pool('h100-b'), pool('a100-a', a100, 40_960), pool('h100-a')];
    expect(names(choosePool(pools, wonLease(), defaultWorkloadPolicy))).toBe('h100-a');
  });

  it('skips a pool of the model whose GPUs have too little memory', () => {
    const pools = [pool('h100-b'), pool('h100-a', h100, 40_000)];
    expect(names(choosePool(pools, wonLease(), defaultWorkloadPolicy))).toBe('h100-b');
  });

  it('skips pools of another model even when they come first by name', () => {
    const pools = [pool('b-h100'), pool('a-a100', a100, 81_559)];
    expect(names(choosePool(pools, wonLease(), defaultWorkloadPolicy))).toBe('b-h100');
  });

  it('is undefined when no pool can run the lease', () => {
    expect(
      choosePool([pool('a100', a100, 40_960)], wonLease(), defaultWorkloadPolicy),
    ).toBeUndefined();
    expect(
      choosePool([pool('h100', h100, 40_000)], wonLease(), defaultWorkloadPolicy),
    ).toBeUndefined();
    expect(choosePool([], wonLease(), defaultWorkloadPolicy)).toBeUndefined();
  });

  it('is undefined when the manifest needs more than the lease bought', () => {
    const lease = wonLease();
    const small = { ...lease, resources: { ...lease.resources, cpuMillicores: 1000 } };
    expect(choosePool([pool('h100')], small, defaultWorkloadPolicy)).toBeUndefined();
  });

  it('gives a CPU-only lease no pool: GPU pools serve only leases that buy GPUs', () => {
    const pools = [pool('h100'), pool('a100', a100, 40_960)];
    expect(choosePool(pools, cpuOnlyLease(), defaultWorkloadPolicy)).toBeUndefined();
  });

  it('returns a pool on which the lease spec verifies', () => {
    const lease = wonLease();
    const chosen = choosePool(
      [pool('h100-a', h100, 40_000), pool('h100-b')],
      lease,
      defaultWorkloadPolicy,
    );
    expect(chosen).toBeDefined();
    const spec = chainComputeLease(chainLease(), chosen!, lease.manifest, {}).spec;
    expect(verifyLease(spec, chosen!, defaultWorkloadPolicy)).toMatchObject({ verified: true });
  });
});

function chainLease(patch: Partial<ChainLease> = {}): ChainLease {
  const lease = wonLease();
  return {
    leaseId: lease.leaseId,
    exists: true,
    tenant,
    provider,
    active: true,
    pricePerSecond: lease.pricePerSecond,
    accrued: 0n,
    remaining: 10n ** 18n,
    fundedUntil: 2_000_000_000,
    closedAt: 0,
    feeBps: 100,
    manifestHash: lease.manifestHash.toUpperCase().replace(/^0X/, '0x'),
    resources: lease.resources,
    ...patch,
  };
}

describe('chainComputeLease', () => {
  const chain = chainLease({ leaseId: 42n, pricePerSecond: 12_345_678_901_234_567_890n });
  const lease = chainComputeLease(chain, pool('h100-b'), wonLease().manifest, {
    'supercloud.dev/provider': 'main',
  });

  it('is named lease-<id> and labelled as made by the chain, with the given labels', () => {
    expect(lease.metadata.name).toBe('lease-42');
    expect(lease.metadata.labels).toEqual({
      'supercloud.dev/provider': 'main',
      [leaseSourceLabel]: chainSource,
    });
    expect(leaseSourceLabel).toBe('supercloud.dev/source');
    expect(chainSource).toBe('chain');
  });

  it('does not let a given label override the source label', () => {
    const labelled = chainComputeLease(chain, pool('h100'), wonLease().manifest, {
      [leaseSourceLabel]: 'gitops',
    });
    expect(labelled.metadata.labels?.[leaseSourceLabel]).toBe(chainSource);
  });

  it('takes the spec from the chain lease and the pool', () => {
    expect(lease.spec).toMatchObject({
      leaseId: '42',
      orderId: '42',
      tenant,
      provider,
      pool: 'h100-b',
      pricePerSecond: '12345678901234567890',
      manifestHash: canonicalManifestHash(validManifest()),
      ingress: { serviceType: 'ClusterIP' },
      resources: {
        gpus: 2,
        gpuModel: h100,
        gpuMemoryMiB: 80_000,
        cpuMillis: 8000,
        memoryMiB: 32_768,
        storageMiB: 8192,
      },
    });
    expect(lease.spec.manifest).toEqual(wonLease().manifest);
    expect(lease.spec.closeRequested).toBeUndefined();
  });

  it('lower-cases the manifest hash', () => {
    expect(chain.manifestHash).not.toBe(chain.manifestHash.toLowerCase());
    expect(lease.spec.manifestHash).toBe(chain.manifestHash.toLowerCase());
  });

  it('names the model of the pool for a CPU-only lease, which verification refuses', () => {
    const cpu = cpuOnlyLease();
    const made = chainComputeLease(
      chainLease({ resources: cpu.resources, manifestHash: cpu.manifestHash }),
      pool('a100', a100, 40_960),
      cpu.manifest,
      {},
    );
    expect(made.spec.resources).toMatchObject({ gpus: 0, gpuModel: a100, gpuMemoryMiB: 0 });
    expect(verifyLease(made.spec, pool('a100', a100, 40_960), defaultWorkloadPolicy)).toMatchObject(
      { verified: false, issues: [{ path: 'spec.resources.gpus' }] },
    );
  });
});

describe('closeReason', () => {
  const closing = (closedBy: string, refund: bigint): LeaseClosing => ({
    closedBy,
    providerPayout: 5n,
    refund,
    blockNumber: 9,
  });

  it('is ClosedByTenant when the tenant closed it, whatever the refund', () => {
    expect(closeReason(closing(tenant.toLowerCase(), 100n), tenant)).toBe(closeReasons.tenant);
    expect(closeReason(closing(tenant, 0n), tenant)).toBe('ClosedByTenant');
  });

  it('is ClosedByProvider when the provider closed it with escrow left to refund', () => {
    expect(closeReason(closing(provider, 1n), tenant)).toBe('ClosedByProvider');
  });

  it('is EscrowExhausted when someone other than the tenant closed it with nothing to refund', () => {
    expect(closeReason(closing(provider, 0n), tenant)).toBe('EscrowExhausted');
    const stranger = '0x9999999999999999999999999999999999999999';
    expect(closeReason(closing(stranger, 0n), tenant)).toBe(closeReasons.exhausted);
  });

  it('is ClosedByProvider when no closing event is found', () => {
    expect(closeReason(undefined, tenant)).toBe('ClosedByProvider');
  });
});
