import { KubeApiError } from './errors.js';
import { LeaderElector, type Lease, type LeaseStore } from './leader-election.js';
import { FakeClock, flushPromises } from './testing/fake-clock.js';

/** An in-memory Lease with optimistic concurrency, and a switch to make the API unreachable. */
class MemoryLeaseStore implements LeaseStore {
  lease: Lease | undefined;
  down = false;
  reads = 0;
  writes = 0;
  private version = 0;

  async get(): Promise<Lease | undefined> {
    this.check();
    this.reads++;
    return this.lease && structuredClone(this.lease);
  }

  async create(lease: Lease): Promise<Lease> {
    this.check();
    if (this.lease) throw new KubeApiError('POST', 'lease', 409, { reason: 'AlreadyExists' });
    return this.write(lease);
  }

  async update(lease: Lease): Promise<Lease> {
    this.check();
    if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
      throw new KubeApiError('PUT', 'lease', 409, { reason: 'Conflict' });
    }
    return this.write(lease);
  }

  get holder(): string | undefined {
    return this.lease?.spec?.holderIdentity;
  }

  private write(lease: Lease): Lease {
    this.writes++;
    this.lease = {
      ...structuredClone(lease),
      metadata: { resourceVersion: String(++this.version) },
    };
    return structuredClone(this.lease);
  }

  private check(): void {
    if (this.down) throw new Error('connect ECONNREFUSED');
  }
}

function candidate(store: LeaseStore, clock: FakeClock, identity: string) {
  const log: string[] = [];
  const abort = new AbortController();
  const elector = new LeaderElector(
    store,
    { name: 'supercloud-operator', identity, clock, random: () => 0 },
    {
      onStartedLeading: () => void log.push(`${identity} started`),
      onStoppedLeading: () => void log.push(`${identity} stopped`),
    },
  );
  const done = elector.run(abort.signal);
  return { elector, log, stop: async () => (abort.abort(), await done), done };
}

describe('LeaderElector', () => {
  it('acquires a free lease at once and renews it every retry period', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushPromises();
    expect(a.elector.isLeader).toBe(true);
    expect(store.lease?.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    const firstRenew = store.lease?.spec?.renewTime;
    await clock.advance(2_000);
    expect(store.lease?.spec?.renewTime).not.toBe(firstRenew);
    expect(a.log).toEqual(['a started']);
    await a.stop();
  });

  it('renews with one write and no read while it leads, and reads again after a conflict', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushPromises();
    const [reads, writes] = [store.reads, store.writes];
    await clock.advance(10_000);
    expect(store.reads).toBe(reads);
    expect(store.writes).toBe(writes + 5);
    // Someone else wrote the lease (a's version is stale): a reads it, then renews on it.
    store.lease = { ...store.lease!, metadata: { resourceVersion: 'other' } };
    await clock.advance(2_000);
    expect(store.reads).toBe(reads + 1);
    expect(store.holder).toBe('a');
    expect(a.elector.isLeader).toBe(true);
    await a.stop();
  });

  it('lets exactly one of two candidates lead', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    await clock.advance(30_000);
    expect([a.elector.isLeader, b.elector.isLeader].filter(Boolean)).toHaveLength(1);
    await a.stop();
    await b.stop();
  });

  it('takes over a dead leader’s lease once it went unrenewed for the lease duration', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushPromises();
    const b = candidate(store, clock, 'b');
    await clock.advance(10_000);
    expect(b.elector.isLeader).toBe(false);

    // a dies without releasing (kill -9): its renewals stop.
    const killedAt = clock.now();
    const renew = store.update.bind(store);
    store.update = async (lease) => {
      if (lease.spec?.holderIdentity === 'a') throw new Error('process gone');
      return renew(lease);
    };
    while (!b.elector.isLeader) await clock.advance(100);
    const takeover = clock.now() - killedAt;
    // Expiry counts from when b last saw a change (≤ one retry period before the kill) and b
    // checks every retry period (2 s, +20% jitter at most).
    expect(takeover).toBeGreaterThanOrEqual(15_000 - 2_400);
    expect(takeover).toBeLessThanOrEqual(15_000 + 2_400);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.stop();
    await a.stop();
  });

  it('releases the lease on stop so a successor takes over within one retry period', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushPromises();
    const b = candidate(store, clock, 'b');
    await clock.advance(5_000);
    await a.stop();
    expect(store.lease?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(a.log).toEqual(['a started', 'a stopped']);
    const releasedAt = clock.now();
    while (!b.elector.isLeader) await clock.advance(100);
    expect(clock.now() - releasedAt).toBeLessThanOrEqual(2_400);
    await b.stop();
  });

  it('steps down when it cannot renew within the renew deadline, before the lease expires', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushPromises();
    await clock.advance(2_000);
    const lastRenewal = clock.now();
    store.down = true;
    while (a.elector.isLeader) await clock.advance(100);
    const ledFor = clock.now() - lastRenewal;
    expect(ledFor).toBeGreaterThan(10_000);
    expect(ledFor).toBeLessThan(15_000); // no other replica could have taken it yet
    expect(a.log).toEqual(['a started', 'a stopped']);

    store.down = false; // campaigns again and gets it back
    while (!a.elector.isLeader) await clock.advance(100);
    expect(a.log).toEqual(['a started', 'a stopped', 'a started']);
    await a.stop();
  });

  it('treats a hung renewal as failed at the deadline', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await flushPromises();
    // The API server stops answering: neither the leader's renewal nor a read ever returns.
    const hang = (): Promise<never> => new Promise(() => undefined);
    store.get = hang;
    store.update = hang;
    const hungAt = clock.now();
    while (a.elector.isLeader) await clock.advance(100);
    expect(clock.now() - hungAt).toBeLessThanOrEqual(2_000 + 10_000 + 100);
    await a.stop();
  });
});
