import type { ComputeLease } from '../api/computelease.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import type { ChainEvent } from '../chain/events.js';
import { gpuModelId } from '../chain/identifiers.js';
import { canonicalManifest, canonicalManifestHash } from '../workloads/canonical.js';
import { corpusPool, validManifest } from '../workloads/testing/corpus.js';
import { parseManifestYaml } from '../workloads/parse.js';
import type { ChainLease, LeaseClosing, LeaseReader } from './lease-reader.js';
import { chainComputeLease, leaseSourceLabel } from './lease-spec.js';
import { MemoryBidPools } from './bid-pools.js';
import { LeaseFacts } from './lease-facts.js';
import { LeaseSync, type LeaseClose, type LeaseObjects } from './lease-sync.js';

const me = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const other = '0x9999999999999999999999999999999999999999';
const tenant = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const providerLabels = { 'supercloud.dev/provider': 'main' };

/** The corpus manifest, with `image` changed to give another hash. */
function body(image = 'registry.example.com/team/app:1.0'): Record<string, unknown> {
  const manifest = validManifest() as { services: Record<string, unknown>[] };
  manifest.services[0]!.image = image;
  return manifest;
}

function pool(name: string, memoryMiB = 81_559): GpuNodePool {
  return {
    ...corpusPool,
    metadata: { name },
    spec: { ...corpusPool.spec, gpu: { ...corpusPool.spec.gpu, memoryMiB } },
  };
}

/** The marketplace's lease side in memory. */
class FakeChain implements LeaseReader {
  readonly onChain = new Map<bigint, ChainLease>();
  readonly manifests = new Map<bigint, string>();
  readonly closings = new Map<bigint, LeaseClosing>();
  /** LeaseCreated events: lease id, provider, block. */
  readonly created: { leaseId: bigint; provider: string; block: number }[] = [];
  head = 10;
  /** Lease ids in the order `lease` was asked for them. */
  readonly reads: bigint[] = [];
  /** Block ranges `leasesWonBy` was asked for. */
  readonly scans: [number, number][] = [];

  /** A lease won by `provider` in the next block, running `manifest`. */
  win(leaseId: bigint, provider = me, manifest = body()): ChainEvent {
    this.head += 1;
    this.created.push({ leaseId, provider, block: this.head });
    this.manifests.set(leaseId, canonicalManifest(manifest));
    this.onChain.set(leaseId, {
      leaseId,
      exists: true,
      tenant,
      provider,
      active: true,
      pricePerSecond: 1_000n,
      accrued: 0n,
      remaining: 1_000_000n,
      fundedUntil: 2_000_000_000,
      closedAt: 0,
      feeBps: 100,
      manifestHash: canonicalManifestHash(manifest),
      resources: {
        gpuModel: gpuModelId(corpusPool.spec.gpu.model),
        gpuCount: 2,
        gpuMemoryMiB: 80_000,
        cpuMillicores: 8000,
        memoryMiB: 32_768,
        storageMiB: 8192,
      },
    });
    return event('LeaseCreated', { leaseId, tenant, provider });
  }

  close(leaseId: bigint, closedBy: string, refund: bigint): ChainEvent {
    const lease = this.onChain.get(leaseId)!;
    this.onChain.set(leaseId, { ...lease, active: false, remaining: 0n, closedAt: 1 });
    this.closings.set(leaseId, { closedBy, providerPayout: 5n, refund, blockNumber: this.head });
    return event('LeaseClosed', { leaseId, tenant, provider: lease.provider, closedBy });
  }

  updateManifest(leaseId: bigint, manifest: unknown): ChainEvent {
    this.manifests.set(leaseId, canonicalManifest(manifest));
    const lease = this.onChain.get(leaseId)!;
    this.onChain.set(leaseId, { ...lease, manifestHash: canonicalManifestHash(manifest) });
    return event('ManifestUpdated', { leaseId, tenant });
  }

  async lease(leaseId: bigint): Promise<ChainLease> {
    this.reads.push(leaseId);
    return this.onChain.get(leaseId) ?? { ...absent, leaseId };
  }
  async leases(leaseIds: readonly bigint[]): Promise<ChainLease[]> {
    return Promise.all(leaseIds.map((id) => this.lease(id)));
  }
  async manifest(leaseId: bigint): Promise<string | undefined> {
    return this.manifests.get(leaseId);
  }
  async leasesWonBy(provider: string, from: number, to: number): Promise<bigint[]> {
    this.scans.push([from, to]);
    return this.created
      .filter((c) => c.provider.toLowerCase() === provider.toLowerCase())
      .filter((c) => c.block >= from && c.block <= to)
      .map((c) => c.leaseId);
  }
  async closing(leaseId: bigint): Promise<LeaseClosing | undefined> {
    return this.closings.get(leaseId);
  }
  async paidOutByLease(): Promise<Map<bigint, bigint>> {
    return new Map();
  }
  async latestBlock(): Promise<{ number: number; timestamp: number }> {
    return { number: this.head, timestamp: 1_000 + this.head };
  }
  async blockHash(number: number): Promise<string> {
    return `0x${number.toString(16)}`;
  }
}

/** What the contract answers for an id no lease was started under. */
const absent: ChainLease = {
  leaseId: 0n,
  exists: false,
  tenant: '0x0000000000000000000000000000000000000000',
  provider: '0x0000000000000000000000000000000000000000',
  active: false,
  pricePerSecond: 0n,
  accrued: 0n,
  remaining: 0n,
  fundedUntil: 0,
  closedAt: 0,
  feeBps: 0,
  manifestHash: `0x${'0'.repeat(64)}`,
  resources: {
    gpuModel: `0x${'0'.repeat(64)}`,
    gpuCount: 0,
    gpuMemoryMiB: 0,
    cpuMillicores: 0,
    memoryMiB: 0,
    storageMiB: 0,
  },
};

function event(name: string, args: Record<string, unknown>): ChainEvent {
  return {
    contract: 'marketplace',
    name,
    args,
    blockNumber: 1,
    blockHash: '0x01',
    logIndex: 0,
    transactionHash: '0x02',
  } as unknown as ChainEvent;
}

/** The cluster in memory; apply and requestClose change the objects as the API server would. */
class FakeObjects implements LeaseObjects {
  readonly objects = new Map<string, ComputeLease>();
  readonly applied: ComputeLease[] = [];
  readonly closed: { name: string; reason: string }[] = [];
  readonly removed: string[] = [];
  poolList: GpuNodePool[] = [pool('h100-b'), pool('h100-a')];

  list(): readonly ComputeLease[] {
    return [...this.objects.values()];
  }
  get(name: string): ComputeLease | undefined {
    return this.objects.get(name);
  }
  pools(): readonly GpuNodePool[] {
    return this.poolList;
  }
  labels(): Readonly<Record<string, string>> {
    return providerLabels;
  }
  async apply(lease: ComputeLease): Promise<void> {
    this.applied.push(lease);
    this.objects.set(lease.metadata.name!, lease);
  }
  async requestClose(lease: ComputeLease, close: LeaseClose): Promise<void> {
    const name = lease.metadata.name!;
    this.closed.push({ name, reason: close.reason });
    this.objects.set(name, { ...lease, spec: { ...lease.spec, closeRequested: close } });
  }
  async remove(lease: ComputeLease): Promise<void> {
    this.removed.push(lease.metadata.name!);
    this.objects.delete(lease.metadata.name!);
  }
}

function setup(options: { recorded?: [bigint, string][]; confirmations?: number } = {}) {
  const chain = new FakeChain();
  const objects = new FakeObjects();
  const bidPools = new MemoryBidPools();
  for (const [orderId, pool] of options.recorded ?? []) bidPools.pools.set(orderId, pool);
  const sync = new LeaseSync({
    ...syncOptions(chain, objects),
    bidPools,
    confirmations: options.confirmations ?? 0,
  });
  return { chain, objects, sync, bidPools };
}

/** A sync of `objects` reading `chain` (as after a restart: nothing remembered). */
function syncOptions(chain: FakeChain, objects: FakeObjects) {
  return {
    reader: chain,
    facts: new LeaseFacts({ reader: chain }),
    objects,
    provider: me,
    startBlock: 5,
    confirmations: 0,
    bidPools: new MemoryBidPools(),
  };
}

/** The object the sync should make for the lease on `poolName`. */
async function expected(chain: FakeChain, leaseId: bigint, poolName: string) {
  const manifest = parseManifestYaml((await chain.manifest(leaseId))!);
  return chainComputeLease(chain.onChain.get(leaseId)!, pool(poolName), manifest, providerLabels);
}

/** An object applied by hand (no source label) for a lease of this provider. */
async function handApplied(chain: FakeChain, leaseId: bigint): Promise<ComputeLease> {
  const lease = await expected(chain, leaseId, 'h100-b');
  return { ...lease, metadata: { name: lease.metadata.name } };
}

describe('LeaseSync', () => {
  it('creates the object of an active lease it won, on the first pool that fits', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    await sync.resync();
    expect(objects.applied).toEqual([await expected(chain, 1n, 'h100-a')]);
    expect(objects.applied[0]?.metadata.labels?.[leaseSourceLabel]).toBe('chain');
    expect(sync.activeLeases()).toEqual([1n]);
  });

  it("puts a new lease on the pool recorded for its bid, then drops the bid's record", async () => {
    const { chain, objects, sync, bidPools } = setup({ recorded: [[1n, 'h100-b']] });
    chain.win(1n);
    chain.win(2n);
    await sync.resync();
    expect(objects.applied.map((l) => l.spec.pool)).toEqual(['h100-b', 'h100-a']);
    expect([...bidPools.pools]).toEqual([]);
  });

  it('creates the lease once a pool can run it', async () => {
    const { chain, objects, sync } = setup();
    objects.poolList = [pool('small', 40_000)];
    chain.win(1n);
    await sync.resync();
    expect(objects.applied).toEqual([]);
    objects.poolList = [pool('small', 40_000), pool('h100-b')];
    await sync.resync();
    expect(objects.applied.map((l) => l.spec.pool)).toEqual(['h100-b']);
  });

  it('does not create a lease whose manifest on chain is not valid', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    chain.manifests.set(1n, 'services: [');
    await sync.resync();
    expect(objects.applied).toEqual([]);
  });

  it('does nothing for a lease won by another provider', async () => {
    const { chain, objects, sync } = setup();
    const created = chain.win(1n, other);
    await sync.resync();
    await sync.handle([created]);
    expect(objects.applied).toEqual([]);
    expect(chain.reads).toEqual([]);
    expect(sync.activeLeases()).toEqual([]);
  });

  it('leaves a hand-applied object naming this provider for a lease it did not win', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n, other);
    const object = await handApplied(chain, 1n);
    objects.objects.set('lease-1', { ...object, spec: { ...object.spec, provider: me } });
    await sync.resync();
    expect(chain.reads).toEqual([1n]);
    expect(objects.applied).toEqual([]);
    expect(objects.closed).toEqual([]);
    expect(sync.activeLeases()).toEqual([]);
  });

  it("never counts another provider's lease as active, not even while it is being read", async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n, other);
    const object = await handApplied(chain, 1n);
    objects.objects.set('lease-1', { ...object, spec: { ...object.spec, provider: me } });
    // The settlement asks while the resync waits for the chain: it must not see lease 1.
    let duringRead: bigint[] | undefined;
    const read = chain.lease.bind(chain);
    chain.lease = async (id) => {
      duringRead = sync.activeLeases();
      return read(id);
    };
    await sync.resync();
    expect(duringRead).toEqual([]);
  });

  it('sets a chain-made object closing with the reason when its lease closed', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    chain.win(2n);
    chain.win(3n);
    await sync.resync();
    await sync.handle([
      chain.close(1n, tenant, 500n),
      chain.close(2n, me, 0n),
      chain.close(3n, me, 500n),
    ]);
    expect(objects.closed).toEqual([
      { name: 'lease-1', reason: 'ClosedByTenant' },
      { name: 'lease-2', reason: 'EscrowExhausted' },
      { name: 'lease-3', reason: 'ClosedByProvider' },
    ]);
    expect(sync.activeLeases()).toEqual([]);
    await sync.resync();
    expect(objects.closed).toHaveLength(3);
  });

  it('sets an object closing only once the close is as deep as the confirmations', async () => {
    const { chain, objects, sync } = setup({ confirmations: 2 });
    chain.win(1n);
    await sync.resync();
    chain.close(1n, tenant, 500n);
    const closedAt = chain.head;
    await sync.sync(1n);
    chain.head += 1;
    await sync.resync();
    expect(objects.closed).toEqual([]);
    chain.head += 1;
    await sync.resync();
    expect(objects.get('lease-1')?.spec.closeRequested).toEqual({
      reason: 'ClosedByTenant',
      block: closedAt,
    });
  });

  it('makes anew, on its pool, an object whose close a reorg took back', async () => {
    // The bid was for h100-b; its record is dropped once the object exists: never guessed again.
    const { chain, objects, sync } = setup({ recorded: [[1n, 'h100-b']] });
    chain.win(1n);
    chain.win(2n);
    await sync.resync();
    const ancestor = chain.head;
    await sync.handle([chain.close(1n, tenant, 500n), chain.close(2n, tenant, 500n)]);
    // The new fork after `ancestor` lacks lease 1's close; lease 2 is closed in it too.
    chain.onChain.set(1n, { ...chain.onChain.get(1n)!, active: true, remaining: 1_000_000n });
    chain.closings.delete(1n);
    await sync.afterReorg(ancestor - 1);
    expect(objects.removed).toEqual(['lease-1']);
    expect(objects.get('lease-1')).toEqual(await expected(chain, 1n, 'h100-b'));
    expect(objects.get('lease-2')?.spec.closeRequested?.reason).toBe('ClosedByTenant');
    expect(sync.activeLeases()).toEqual([1n]);
  });

  it('makes anew an object whose close a reorg took back before the cache showed the close', async () => {
    const { chain, objects, sync } = setup({ recorded: [[1n, 'h100-b']] });
    chain.win(1n);
    await sync.resync();
    const beforeClose = objects.get('lease-1')!;
    const ancestor = chain.head;
    await sync.handle([chain.close(1n, tenant, 500n)]);
    expect(objects.get('lease-1')?.spec.closeRequested).toBeDefined();
    // The cache still shows the object from before the close was written.
    objects.objects.set('lease-1', beforeClose);
    chain.onChain.set(1n, { ...chain.onChain.get(1n)!, active: true, remaining: 1_000_000n });
    chain.closings.delete(1n);
    await sync.afterReorg(ancestor - 1);
    expect(objects.removed).toEqual(['lease-1']);
    expect(objects.get('lease-1')?.spec.closeRequested).toBeUndefined();
    expect(sync.activeLeases()).toEqual([1n]);
  });

  it('reads recent closes again at each resync: a reorg the follower did not report is found', async () => {
    const { chain, objects, sync } = setup({ recorded: [[1n, 'h100-b']] });
    chain.win(1n);
    await sync.resync();
    await sync.handle([chain.close(1n, tenant, 500n)]);
    chain.onChain.set(1n, { ...chain.onChain.get(1n)!, active: true, remaining: 1_000_000n });
    chain.closings.delete(1n);
    await sync.resync();
    expect(objects.removed).toEqual(['lease-1']);
    expect(sync.activeLeases()).toEqual([1n]);
  });

  it('leaves closed the objects whose close is at or below the reorg ancestor', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    await sync.resync();
    await sync.handle([chain.close(1n, tenant, 500n)]);
    // Even if the chain said otherwise, a close under the ancestor is not re-read.
    chain.onChain.set(1n, { ...chain.onChain.get(1n)!, active: true });
    await sync.afterReorg(chain.head);
    expect(objects.removed).toEqual([]);
  });

  it('never reopens an object set closing by hand (no close block), whatever the chain says', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    await sync.resync();
    const lease = objects.get('lease-1')!;
    objects.objects.set('lease-1', {
      ...lease,
      spec: { ...lease.spec, closeRequested: { reason: 'ClosedByProvider' } },
    });
    await sync.sync(1n);
    await sync.afterReorg(0);
    expect(objects.removed).toEqual([]);
  });

  it('closes a chain-made object whose lease closed while the operator was down', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    await sync.resync();
    chain.close(1n, tenant, 500n);
    const restarted = new LeaseSync(syncOptions(chain, objects));
    await restarted.resync();
    expect(objects.closed).toEqual([{ name: 'lease-1', reason: 'ClosedByTenant' }]);
  });

  it('does not touch a hand-applied object whose lease closed', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    objects.objects.set('lease-1', await handApplied(chain, 1n));
    await sync.resync();
    await sync.handle([chain.close(1n, tenant, 500n)]);
    await sync.resync();
    expect(objects.applied).toEqual([]);
    expect(objects.closed).toEqual([]);
  });

  it('does not touch a hand-applied object when the manifest changes on chain', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    objects.objects.set('lease-1', await handApplied(chain, 1n));
    await sync.handle([chain.updateManifest(1n, body('registry.example.com/team/app:2.0'))]);
    expect(objects.applied).toEqual([]);
  });

  it('never takes over an object of the same name made for another tenant', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n, me, body('registry.example.com/team/app:2.0'));
    const stale = await expected(chain, 1n, 'h100-b');
    const foreign = {
      ...stale,
      spec: { ...stale.spec, tenant: other, manifestHash: `0x${'0'.repeat(64)}` },
    };
    objects.objects.set('lease-1', foreign);
    await sync.resync();
    expect(objects.applied).toEqual([]);
    await sync.handle([chain.close(1n, tenant, 500n)]);
    expect(objects.closed).toEqual([]);
    expect(objects.get('lease-1')).toBe(foreign);
  });

  it('updates the spec of a chain-made object to a manifest changed on chain, on its pool', async () => {
    const { chain, objects, sync } = setup({ recorded: [[1n, 'h100-b']] });
    chain.win(1n);
    await sync.resync();
    const updated = body('registry.example.com/team/app:2.0');
    const restarted = new LeaseSync(syncOptions(chain, objects));
    await restarted.handle([chain.updateManifest(1n, updated)]);
    expect(objects.applied).toHaveLength(2);
    expect(objects.applied[1]).toEqual(await expected(chain, 1n, 'h100-b'));
    expect(objects.applied[1]?.spec.manifestHash).toBe(canonicalManifestHash(updated));
  });

  it('applies nothing again for a replayed event page', async () => {
    const { chain, objects, sync } = setup();
    const page = [
      chain.win(1n),
      chain.updateManifest(1n, body('registry.example.com/team/app:2.0')),
    ];
    await sync.handle(page);
    await sync.handle(page);
    await sync.resync();
    expect(objects.applied).toHaveLength(1);
    expect(objects.applied[0]?.spec.manifestHash).toBe(chain.onChain.get(1n)?.manifestHash);
  });

  it("handles only events of this provider's leases", async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n, other);
    chain.win(2n);
    chain.win(3n, other);
    await sync.handle([
      event('LeaseCreated', { leaseId: 1n, tenant, provider: other }),
      event('Withdrawn', { leaseId: 1n, provider: other }),
      event('LeaseClosed', { leaseId: 1n, tenant, provider: other }),
      event('ManifestUpdated', { leaseId: 3n, tenant }),
      event('Deposited', { leaseId: 3n, funder: tenant }),
      event('OrderCreated', { orderId: 2n, tenant }),
      { ...event('LeaseCreated', { leaseId: 2n, tenant, provider: me }), contract: 'registry' },
    ] as ChainEvent[]);
    expect(chain.reads).toEqual([]);
    await sync.handle([event('LeaseCreated', { leaseId: 2n, tenant, provider: me.toLowerCase() })]);
    expect(chain.reads).toEqual([2n]);
    await sync.handle([event('Deposited', { leaseId: 2n, funder: tenant })]);
    expect(chain.reads).toEqual([2n, 2n]);
    expect(objects.applied.map((l) => l.metadata.name)).toEqual(['lease-2']);
  });

  it('follows a ManifestUpdated of a lease known only by its object (after a restart)', async () => {
    const { chain, objects, sync } = setup();
    chain.win(1n);
    await sync.resync();
    const restarted = new LeaseSync(syncOptions(chain, objects));
    await restarted.handle([chain.updateManifest(1n, body('registry.example.com/team/app:2.0'))]);
    expect(objects.applied).toHaveLength(2);
  });

  it('scans for won leases only from the start block and each block once', async () => {
    const { chain, objects, sync } = setup();
    chain.head = 3;
    chain.win(1n); // block 4, before the start block
    chain.win(2n); // block 5
    await sync.resync();
    expect(objects.applied.map((l) => l.metadata.name)).toEqual(['lease-2']);
    chain.win(3n);
    await sync.resync();
    await sync.resync();
    expect(chain.scans).toEqual([
      [5, 5],
      [6, 6],
    ]);
    expect(objects.applied.map((l) => l.metadata.name)).toEqual(['lease-2', 'lease-3']);
  });
});
