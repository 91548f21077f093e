import { FakeClock } from '../kube/testing/fake-clock.js';
import { LeaseFacts } from './lease-facts.js';
import type { ChainLease } from './lease-reader.js';
import { chainLease } from './testing/chain-lease.js';

function setup() {
  const onChain = new Map<bigint, ChainLease>([[1n, chainLease(1n)]]);
  const reads: bigint[] = [];
  const changed: bigint[] = [];
  const clock = new FakeClock();
  const facts = new LeaseFacts({
    reader: {
      lease: async (id) => {
        reads.push(id);
        return onChain.get(id)!;
      },
      leases: async (ids) =>
        ids.map((id) => {
          reads.push(id);
          return onChain.get(id)!;
        }),
    },
    onChange: (id) => changed.push(id),
    clock,
  });
  const change = (patch: Partial<ChainLease>) => onChain.set(1n, chainLease(1n, patch));
  return { facts, reads, changed, clock, change };
}

describe('LeaseFacts', () => {
  describe('read', () => {
    it('tells a change of what verification reads, and only that', async () => {
      const { facts, changed, change } = setup();
      await facts.read(1n);
      change({ accrued: 77n, remaining: 5n });
      await facts.read(1n);
      expect(changed).toEqual([]);
      change({ manifestHash: `0x${'ef'.repeat(32)}` });
      await facts.read(1n);
      expect(changed).toEqual([1n]);
      change({ manifestHash: `0x${'ef'.repeat(32)}`, active: false });
      await facts.read(1n);
      expect(changed).toEqual([1n, 1n]);
    });

    it('tells nothing on the first read of a lease (nothing was decided on it yet)', async () => {
      const { facts, changed } = setup();
      await facts.read(1n);
      expect(changed).toEqual([]);
    });
  });

  describe('readMany', () => {
    it('reads in one batch, remembers each lease and tells a change as read does', async () => {
      const { facts, reads, changed, change } = setup();
      await facts.read(1n);
      change({ active: false });
      expect(await facts.readMany([1n])).toEqual([expect.objectContaining({ active: false })]);
      expect(changed).toEqual([1n]);
      expect(facts.cached(1n, 0)).toMatchObject({ active: false });
      expect(reads).toEqual([1n, 1n]);
    });

    it('reads nothing for no ids', async () => {
      const { facts, reads } = setup();
      expect(await facts.readMany([])).toEqual([]);
      expect(reads).toEqual([]);
    });
  });

  describe('cached', () => {
    it('answers from the last read while it is young enough, never reading', async () => {
      const { facts, reads, clock } = setup();
      expect(facts.cached(1n, 60_000)).toBeUndefined();
      const read = await facts.read(1n);
      await clock.advance(60_000);
      expect(facts.cached(1n, 60_000)).toBe(read);
      await clock.advance(1);
      expect(facts.cached(1n, 60_000)).toBeUndefined();
      expect(reads).toEqual([1n]);
    });
  });

  describe('forget', () => {
    it('forgets one lease: nothing to compare its next read with', async () => {
      const { facts, changed, change } = setup();
      await facts.read(1n);
      facts.forget(1n);
      expect(facts.cached(1n, Number.POSITIVE_INFINITY)).toBeUndefined();
      change({ active: false });
      await facts.read(1n);
      expect(changed).toEqual([]);
    });
  });

  describe('markAllStale', () => {
    it('answers no read of the old fork any more', async () => {
      const { facts } = setup();
      await facts.read(1n);
      facts.markAllStale();
      expect(facts.cached(1n, Number.POSITIVE_INFINITY)).toBeUndefined();
      await facts.read(1n);
      expect(facts.cached(1n, Number.POSITIVE_INFINITY)).toBeDefined();
    });

    it('tells a lease the reorg took away when it is read again', async () => {
      // The regression: a reorg dropped the tenant's acceptBid; forgetting every read left the
      // next read nothing to compare with, and the lease's object ran on with no lease on chain.
      const { facts, changed, change } = setup();
      await facts.read(1n);
      facts.markAllStale();
      change({ exists: false, active: false });
      await facts.readMany([1n]);
      expect(changed).toEqual([1n]);
    });
  });
});
