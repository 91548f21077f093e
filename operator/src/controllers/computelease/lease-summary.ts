// What the lease gauges show, computed from ComputeLease objects. Pure: the gauges call it with
// the cached leases at scrape time.
import {
  leaseConditionTypes,
  leasePhases,
  type ComputeLease,
  type LeasePhase,
} from '../../api/computelease.js';

/** The money side of the Running leases, in payment-token base units. */
export interface RunningLeasesSummary {
  /** Escrow left on chain at the last check, all Running leases together. */
  readonly escrow: number;
  /** What they pay per second together: the provider's earnings rate. */
  readonly pricePerSecond: number;
  /**
   * Seconds until the first of their escrows runs out (negative: it already did and the lease
   * is not closed yet); +Inf when no Running lease has a funded-until time.
   */
  readonly fundedSecondsMin: number;
}

export interface LeaseSummary {
  /** Leases by phase, every phase present; a lease without a status yet counts as Pending. */
  readonly byPhase: Readonly<Record<LeasePhase, number>>;
  /**
   * For each reason of the Available condition among Deploying leases (InsufficientCapacity,
   * SecretsMissing, Deploying): seconds since the oldest of them was verified.
   */
  readonly deployingOldestSeconds: ReadonlyMap<string, number>;
  readonly running: RunningLeasesSummary;
}

/**
 * Counts leases by phase, finds the longest-deploying ones and sums the escrow and rates of the
 * running ones, at `now` (ms since the epoch).
 *
 * @example leaseSummary(cache.list(ComputeLeaseKind), Date.now()).byPhase.Running
 */
export function leaseSummary(leases: readonly ComputeLease[], now: number): LeaseSummary {
  const byPhase = Object.fromEntries(leasePhases.map((phase) => [phase, 0])) as Record<
    LeasePhase,
    number
  >;
  const deployingOldestSeconds = new Map<string, number>();
  let escrow = 0;
  let pricePerSecond = 0;
  let fundedSecondsMin = Number.POSITIVE_INFINITY;
  for (const lease of leases) {
    const phase = lease.status?.phase ?? 'Pending';
    byPhase[phase] += 1;
    if (phase === 'Deploying') {
      const reason = condition(lease, leaseConditionTypes.Available)?.reason ?? 'Deploying';
      const seconds = Math.max(0, (now - deployingSince(lease, now)) / 1000);
      deployingOldestSeconds.set(
        reason,
        Math.max(deployingOldestSeconds.get(reason) ?? 0, seconds),
      );
    }
    if (phase === 'Running') {
      escrow += Number(lease.status?.escrowBalance ?? 0);
      pricePerSecond += Number(lease.status?.pricePerSecond ?? 0);
      const fundedUntil = Date.parse(lease.status?.fundedUntil ?? '');
      if (!Number.isNaN(fundedUntil)) {
        fundedSecondsMin = Math.min(fundedSecondsMin, (fundedUntil - now) / 1000);
      }
    }
  }
  return { byPhase, deployingOldestSeconds, running: { escrow, pricePerSecond, fundedSecondsMin } };
}

function condition(lease: ComputeLease, type: string) {
  return lease.status?.conditions?.find((c) => c.type === type);
}

/**
 * A lease deploys from its verification on (before that it is Pending); a lease without the
 * time of it counts from its creation.
 */
function deployingSince(lease: ComputeLease, now: number): number {
  const verified = condition(lease, leaseConditionTypes.Verified);
  const since = Date.parse(
    (verified?.status === 'True' ? verified.lastTransitionTime : undefined) ??
      lease.metadata.creationTimestamp ??
      '',
  );
  return Number.isNaN(since) ? now : since;
}
