// The chain facts of leases in one place: every read of a lease goes through here (the lease
// sync, the settlement, the chain verifier), the last read is kept for readers that accept an
// age, and a change of what verification depends on is told to `onChange` (which wakes the
// lease's reconcile). One reader, one cache, one change notification.
import { systemClock, type Clock } from '../base/clock.js';
import type { ChainLease, LeaseReader } from './lease-reader.js';

export interface LeaseFactsOptions {
  readonly reader: Pick<LeaseReader, 'lease' | 'leases'>;
  /** Called with a lease id whose verification facts differ from the previous read. */
  readonly onChange?: (leaseId: bigint) => void;
  readonly clock?: Clock;
}

/** The lease facts verification depends on. */
function verificationFacts(lease: ChainLease): string {
  return JSON.stringify([
    lease.exists,
    lease.active,
    lease.provider.toLowerCase(),
    lease.manifestHash,
  ]);
}

/**
 * @example
 * const facts = new LeaseFacts({ reader, onChange: (id) => leaseKeys.emit({ name: `lease-${id}` }) });
 * const lease = facts.cached(id, 15_000) ?? (await facts.read(id));
 * const active = await facts.readMany(ids); // two calls per 500 leases
 */
export class LeaseFacts {
  private readonly facts = new Map<
    bigint,
    { readonly lease: ChainLease; readonly readAt: number; readonly stale?: true }
  >();
  private readonly clock: Clock;

  constructor(private readonly options: LeaseFactsOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The lease on chain, read now (and remembered). */
  async read(leaseId: bigint): Promise<ChainLease> {
    return this.remember(await this.options.reader.lease(leaseId));
  }

  /** Many leases on chain, read now in batches (and remembered), in the order of `leaseIds`. */
  async readMany(leaseIds: readonly bigint[]): Promise<ChainLease[]> {
    if (leaseIds.length === 0) return [];
    const leases = await this.options.reader.leases(leaseIds);
    return leases.map((lease) => this.remember(lease));
  }

  /** The last read of the lease if it is at most `maxAgeMs` old. */
  cached(leaseId: bigint, maxAgeMs: number): ChainLease | undefined {
    const entry = this.facts.get(leaseId);
    return entry && !entry.stale && this.clock.now() - entry.readAt <= maxAgeMs
      ? entry.lease
      : undefined;
  }

  private remember(lease: ChainLease): ChainLease {
    const before = this.facts.get(lease.leaseId)?.lease;
    this.facts.set(lease.leaseId, { lease, readAt: this.clock.now() });
    if (before && verificationFacts(before) !== verificationFacts(lease)) {
      this.options.onChange?.(lease.leaseId);
    }
    return lease;
  }

  /** Forgets one lease (closed: read again if it ever matters). */
  forget(leaseId: bigint): void {
    this.facts.delete(leaseId);
  }

  /**
   * After a reorg: no read of the old fork is answered any more, but each stays the base the
   * next read is compared with, so a lease the reorg changed (a dropped acceptBid, a close
   * taken back) is told to `onChange` when it is read again.
   */
  markAllStale(): void {
    for (const [leaseId, entry] of this.facts) {
      this.facts.set(leaseId, { ...entry, stale: true });
    }
  }
}
