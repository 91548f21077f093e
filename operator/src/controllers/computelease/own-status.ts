// Reading a lease's status as this process last wrote it. The cache learns of a status write only
// when its watch delivers the update, which lags the write (seconds behind a burst). A reconcile
// woken meanwhile (by the lease's own objects appearing) would read the status from before the
// write, compute the same status again, find it "changed", write it and announce the transition
// a second time. Reading the lease with the status just written avoids both.
import type { ComputeLease } from '../../api/computelease.js';
import type { ControllerLeaseStatus } from './status.js';

/** Status fields this controller writes (the chain side writes the others). */
export const controllerStatusKeys = [
  'phase',
  'observedGeneration',
  'namespace',
  'replicas',
  'readyReplicas',
  'endpoints',
  'closeReason',
  'message',
  'conditions',
] as const satisfies readonly (keyof ControllerLeaseStatus)[];

/**
 * `lease` with the controller's part of its status replaced by `status` (the other managers'
 * fields and conditions kept).
 */
export function withControllerStatus(
  lease: ComputeLease,
  status: ControllerLeaseStatus,
): ComputeLease {
  const ours = new Set<string>(controllerStatusKeys);
  const others = Object.fromEntries(
    Object.entries(lease.status ?? {}).filter(([key]) => !ours.has(key)),
  );
  const written = new Set(status.conditions.map((c) => c.type));
  const otherConditions = (lease.status?.conditions ?? []).filter((c) => !written.has(c.type));
  return {
    ...lease,
    status: { ...others, ...status, conditions: [...otherConditions, ...status.conditions] },
  } as ComputeLease;
}

/**
 * The last status this process wrote to each lease, kept only while the cache still shows the
 * lease as it was read for that write (its resourceVersion then).
 *
 * @example
 * const lease = ownStatus.current(cache.get(ComputeLeaseKind, name));
 * await applyStatus(client, ComputeLeaseKind, lease, status);
 * ownStatus.wrote(cached, status);
 */
export class OwnStatusWrites {
  private readonly written = new Map<
    string,
    { readonly before: string; readonly status: ControllerLeaseStatus }
  >();

  /** The lease as the cached copy, or with the status written since if the cache lags it. */
  current(cached: ComputeLease): ComputeLease {
    const name = cached.metadata.name ?? '';
    const entry = this.written.get(name);
    if (!entry) return cached;
    if (entry.before !== cached.metadata.resourceVersion) {
      this.written.delete(name); // the cache caught up (or another writer came): it is the truth
      return cached;
    }
    return withControllerStatus(cached, entry.status);
  }

  /** Records a status written to the lease read as `cached`. */
  wrote(cached: ComputeLease, status: ControllerLeaseStatus): void {
    const before = cached.metadata.resourceVersion;
    if (before) this.written.set(cached.metadata.name ?? '', { before, status });
  }

  forget(name: string): void {
    this.written.delete(name);
  }

  get size(): number {
    return this.written.size;
  }
}
