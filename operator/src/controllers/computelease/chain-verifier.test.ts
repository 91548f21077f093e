import type { ComputeLease } from '../../api/computelease.js';
import type { ChainLease } from '../../market/lease-reader.js';
import { chainSource, leaseSourceLabel } from '../../market/lease-spec.js';
import { corpusPool, validLease } from '../../workloads/testing/corpus.js';
import { chainVerifier, type ChainLeaseSource } from './chain-verifier.js';
import { clusterVerifier, type Verification, type Verifier } from './verifier.js';
import { defaultWorkloadPolicy } from '../../workloads/verify.js';

const handApplied = validLease('lease-5', 5);
const { tenant, provider, manifestHash } = handApplied.spec;
const stranger = '0x9999999999999999999999999999999999999999';

const chainMade: ComputeLease = {
  ...handApplied,
  metadata: { ...handApplied.metadata, labels: { [leaseSourceLabel]: chainSource } },
};

function chainLease(patch: Partial<ChainLease> = {}): ChainLease {
  return {
    leaseId: 5n,
    exists: true,
    // The chain's casing differs from the spec's: addresses compare case-insensitively.
    tenant: tenant.toLowerCase(),
    provider: provider.toLowerCase(),
    active: true,
    pricePerSecond: 1n,
    accrued: 0n,
    remaining: 100n,
    fundedUntil: 2_000_000_000,
    closedAt: 0,
    feeBps: 100,
    manifestHash,
    resources: {
      gpuModel: `0x${'cd'.repeat(32)}`,
      gpuCount: 2,
      gpuMemoryMiB: 80_000,
      cpuMillicores: 8000,
      memoryMiB: 32_768,
      storageMiB: 8192,
    },
    ...patch,
  };
}

/** A chain source answering `lease` (or throwing `error`), recording its reads. */
class FakeSource implements ChainLeaseSource {
  readonly reads: { leaseId: bigint; maxAgeMs: number }[] = [];
  constructor(
    public lease: ChainLease | undefined = chainLease(),
    public error?: Error,
    public last?: ChainLease,
  ) {}
  async chainLease(leaseId: bigint, maxAgeMs: number): Promise<ChainLease> {
    this.reads.push({ leaseId, maxAgeMs });
    if (this.error) throw this.error;
    return this.lease!;
  }
  lastKnownLease(): ChainLease | undefined {
    return this.last;
  }
}

/** A cluster verifier that verifies everything (the chain check is what is under test). */
const accepting: Verifier = {
  verify: async () => ({ verified: true, manifest: handApplied.spec.manifest }),
};

function verifierWith(
  source: ChainLeaseSource | undefined,
  providers = { addresses: [provider], allLoaded: true },
  cluster: Verifier = accepting,
) {
  const asked: string[] = [];
  const verifier = chainVerifier({
    cluster,
    chain: {
      sourceOf: (address) => {
        asked.push(address);
        return source;
      },
      providers: () => providers,
    },
    maxAgeMs: 5000,
  });
  return { verifier, asked };
}

const reasonOf = (result: Verification | { undecided: string }) =>
  'undecided' in result
    ? `undecided: ${result.undecided}`
    : result.verified
      ? 'verified'
      : result.reason;

describe('chainVerifier', () => {
  it('verifies a lease active on chain for this provider and tenant with the same hash', async () => {
    const source = new FakeSource();
    const { verifier, asked } = verifierWith(source);
    const result = await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy);
    expect(result).toMatchObject({ verified: true });
    expect(asked).toEqual([provider]);
    expect(source.reads).toEqual([{ leaseId: 5n, maxAgeMs: 5000 }]);
  });

  it('composes after the real cluster verifier', async () => {
    const { verifier } = verifierWith(new FakeSource(), undefined, clusterVerifier());
    expect(await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy)).toMatchObject({
      verified: true,
    });
  });

  it('rejects a lease that does not exist on chain', async () => {
    const { verifier } = verifierWith(new FakeSource(chainLease({ exists: false })));
    const result = await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy);
    expect(result).toMatchObject({ verified: false });
    expect(reasonOf(result)).toMatch(/^spec\.leaseId: there is no lease 5 on chain/);
  });

  it('rejects a lease won by another provider', async () => {
    const { verifier } = verifierWith(new FakeSource(chainLease({ provider: stranger })));
    const result = await verifier.verify(chainMade, corpusPool, defaultWorkloadPolicy);
    expect(result).toMatchObject({ verified: false });
    expect(reasonOf(result)).toContain(`won by ${stranger}`);
  });

  it('rejects a lease paid by another tenant', async () => {
    const { verifier } = verifierWith(new FakeSource(chainLease({ tenant: stranger })));
    const result = await verifier.verify(chainMade, corpusPool, defaultWorkloadPolicy);
    expect(result).toMatchObject({ verified: false });
    expect(reasonOf(result)).toMatch(/^spec\.tenant: lease 5 is paid by 0x9999/);
  });

  it('rejects a hand-applied lease whose hash is not the one on chain', async () => {
    const other = `0x${'ef'.repeat(32)}`;
    const { verifier } = verifierWith(new FakeSource(chainLease({ manifestHash: other })));
    const result = await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy);
    expect(result).toMatchObject({ verified: false });
    expect(reasonOf(result)).toMatch(/^spec\.manifestHash: .* on chain \(0xefef/);
  });

  it('rejects a hand-applied lease that closed on chain', async () => {
    const { verifier } = verifierWith(new FakeSource(chainLease({ active: false })));
    const result = await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy);
    expect(result).toEqual({
      verified: false,
      reason: 'spec.leaseId: lease 5 is closed on chain',
    });
  });

  it('leaves a chain-made lease that closed on chain to the lease sync', async () => {
    const { verifier } = verifierWith(new FakeSource(chainLease({ active: false })));
    const result = await verifier.verify(chainMade, corpusPool, defaultWorkloadPolicy);
    expect(reasonOf(result)).toMatch(/^undecided: lease 5 closed on chain/);
  });

  it('leaves a chain-made lease whose manifest changed on chain to the lease sync', async () => {
    const other = `0x${'ef'.repeat(32)}`;
    const { verifier } = verifierWith(new FakeSource(chainLease({ manifestHash: other })));
    const result = await verifier.verify(chainMade, corpusPool, defaultWorkloadPolicy);
    expect(reasonOf(result)).toMatch(/^undecided: the manifest of lease 5 changed on chain/);
  });

  it('still rejects a chain-made lease of another provider or tenant', async () => {
    for (const patch of [{ provider: stranger }, { tenant: stranger }, { exists: false }]) {
      const { verifier } = verifierWith(new FakeSource(chainLease(patch)));
      expect(await verifier.verify(chainMade, corpusPool, defaultWorkloadPolicy)).toMatchObject({
        verified: false,
      });
    }
  });

  it('is undecided without a source while not every Provider is loaded', async () => {
    const { verifier } = verifierWith(undefined, { addresses: [stranger], allLoaded: false });
    const result = await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy);
    expect(reasonOf(result)).toMatch(/^undecided: no Provider of this cluster is connected/);
  });

  it('is undecided without a source when there is no Provider yet', async () => {
    const { verifier } = verifierWith(undefined, { addresses: [], allLoaded: true });
    expect(await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy)).toHaveProperty(
      'undecided',
    );
  });

  it('rejects a lease of a provider that is none of the loaded Providers', async () => {
    const third = '0x8888888888888888888888888888888888888888';
    const { verifier } = verifierWith(undefined, { addresses: [stranger, third], allLoaded: true });
    const result = await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy);
    expect(result).toEqual({
      verified: false,
      reason: `spec.provider: ${provider} is not a provider of this cluster (${stranger}, ${third})`,
    });
  });

  it('decides from the last known lease when the chain cannot be read', async () => {
    const down = new Error('connect ECONNREFUSED 127.0.0.1:8545');
    const keeps = verifierWith(new FakeSource(undefined, down, chainLease()));
    expect(
      await keeps.verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy),
    ).toMatchObject({ verified: true });
    const closed = verifierWith(new FakeSource(undefined, down, chainLease({ active: false })));
    expect(
      await closed.verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy),
    ).toMatchObject({
      verified: false,
    });
  });

  it('is undecided with the error when the chain cannot be read and no lease is known', async () => {
    const source = new FakeSource(undefined, new Error('connect ECONNREFUSED 127.0.0.1:8545'));
    const { verifier } = verifierWith(source);
    const result = await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy);
    expect(reasonOf(result)).toMatch(/^undecided: the chain cannot be read now: /);
    expect(reasonOf(result)).toContain('ECONNREFUSED');
  });

  describe('with no read of its own yet (a replica that just took over)', () => {
    /** The lease as a previous leader left it: Verified at `generation`. */
    function verifiedAt(generation: number): ComputeLease {
      return {
        ...handApplied,
        metadata: { ...handApplied.metadata, generation: 2 },
        status: {
          conditions: [
            {
              type: 'Verified',
              status: 'True',
              reason: 'Verified',
              message: 'the lease checks out',
              lastTransitionTime: '2026-12-02T00:00:00Z',
              observedGeneration: generation,
            },
          ],
        },
      } as ComputeLease;
    }

    it('keeps a lease verified at its generation while no Provider is connected', async () => {
      const { verifier } = verifierWith(undefined, { addresses: [], allLoaded: true });
      expect(await verifier.verify(verifiedAt(2), corpusPool, defaultWorkloadPolicy)).toMatchObject(
        { verified: true },
      );
    });

    it('keeps a lease verified at its generation while the chain cannot be read', async () => {
      const down = new FakeSource(undefined, new Error('connect ECONNREFUSED 127.0.0.1:8545'));
      const { verifier } = verifierWith(down);
      expect(await verifier.verify(verifiedAt(2), corpusPool, defaultWorkloadPolicy)).toMatchObject(
        { verified: true },
      );
    });

    it('does not keep a verification of an earlier generation (the spec changed since)', async () => {
      const { verifier } = verifierWith(undefined, { addresses: [], allLoaded: true });
      expect(
        reasonOf(await verifier.verify(verifiedAt(1), corpusPool, defaultWorkloadPolicy)),
      ).toMatch(/^undecided: no Provider of this cluster is connected/);
    });

    it('still asks the chain when it can be read: the status is no answer then', async () => {
      const { verifier } = verifierWith(new FakeSource(chainLease({ active: false })));
      expect(await verifier.verify(verifiedAt(2), corpusPool, defaultWorkloadPolicy)).toMatchObject(
        { verified: false },
      );
    });
  });

  it("passes the cluster verifier's answer through without reading the chain", async () => {
    const source = new FakeSource();
    const rejecting: Verifier = {
      verify: async () => ({ verified: false, reason: 'spec.manifest: bad' }),
    };
    const undecided: Verifier = { verify: async () => ({ undecided: 'pool missing' }) };
    for (const cluster of [rejecting, undecided]) {
      const { verifier, asked } = verifierWith(source, undefined, cluster);
      expect(await verifier.verify(handApplied, corpusPool, defaultWorkloadPolicy)).toEqual(
        await cluster.verify(handApplied, corpusPool, defaultWorkloadPolicy),
      );
      expect(asked).toEqual([]);
    }
    expect(source.reads).toEqual([]);
  });
});
