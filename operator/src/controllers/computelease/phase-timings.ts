// How long a lease takes to reach each step on its way to Running, measured from the first
// reconcile that saw it fresh (creationTimestamp has only second resolution, too coarse for
// steps of tens of milliseconds). Pure bookkeeping: the reconciler says which phases a reconcile
// found done and when, the tracker answers which of them are new for the lease and since when.

/** The steps, in the order a lease passes them. */
export const leasePhases = [
  'verified',
  'namespace_applied',
  'walls_applied',
  'quota_enforced',
  'deployments_applied',
  'running',
] as const;

export type LeasePhase = (typeof leasePhases)[number];

/** A lease as the tracker needs it. */
export interface TrackedLease {
  readonly name: string;
  readonly uid: string;
  /**
   * True while the lease has not been past Pending (no status yet, or Pending): a lease first seen
   * further on (after a restart) is not timed, its start being unknown.
   */
  readonly fresh: boolean;
}

export interface PhaseTiming {
  readonly phase: LeasePhase;
  readonly seconds: number;
}

interface Progress {
  readonly uid: string;
  readonly startedMs: number;
  readonly recorded: Set<LeasePhase>;
}

/**
 * Per-lease memory of the phases already recorded, so each is recorded once per lease. An entry
 * lives from a fresh lease's first reconcile until it is Running, deleted or torn down; at most
 * `maxLeases` are timed at once (beyond that new leases go untimed rather than grow the map).
 *
 * @example
 * const tracker = new LeasePhaseTracker();
 * tracker.start(lease, Date.now());
 * for (const { phase, seconds } of tracker.reached(lease, [['verified', Date.now()]])) observe(phase, seconds);
 */
export class LeasePhaseTracker {
  private readonly leases = new Map<string, Progress>();

  constructor(private readonly maxLeases = 10_000) {}

  /** Begins timing a fresh lease (a no-op for one already timed or not fresh). */
  start(lease: TrackedLease, nowMs: number): void {
    const current = this.leases.get(lease.name);
    if (current?.uid === lease.uid) return;
    this.leases.delete(lease.name); // a lease re-created under the same name starts over
    if (!lease.fresh || this.leases.size >= this.maxLeases) return;
    this.leases.set(lease.name, { uid: lease.uid, startedMs: nowMs, recorded: new Set() });
  }

  /**
   * The phases in `done` (each with when it was reached) not recorded yet for the lease, with the
   * seconds since its start; the lease is forgotten once Running (nothing is left to time).
   */
  reached(lease: TrackedLease, done: Iterable<readonly [LeasePhase, number]>): PhaseTiming[] {
    const progress = this.leases.get(lease.name);
    if (progress?.uid !== lease.uid) return [];
    const timings: PhaseTiming[] = [];
    for (const [phase, atMs] of done) {
      if (progress.recorded.has(phase)) continue;
      progress.recorded.add(phase);
      timings.push({ phase, seconds: Math.max(0, atMs - progress.startedMs) / 1000 });
    }
    if (progress.recorded.has('running')) this.leases.delete(lease.name);
    return timings;
  }

  /** Drops a lease (deleted, closing or rejected). */
  forget(name: string): void {
    this.leases.delete(name);
  }

  /** Leases being timed. */
  get size(): number {
    return this.leases.size;
  }
}
