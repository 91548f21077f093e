import { Histogram, type Registry } from 'prom-client';
import { leasePhases, type LeasePhase } from './phase-timings.js';

/** From tens of milliseconds (one reconcile) to a minute (a lease waiting for its quota or pods). */
const phaseBuckets = [
  0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10, 15, 20, 30, 45, 60,
];

const byRegistry = new WeakMap<Registry, Histogram<'phase'>>();

/**
 * `supercloud_lease_phase_seconds{phase}`, registered in `registry` on first use (a controller
 * re-created after losing the leader lease shares it).
 */
export function leasePhaseSeconds(registry: Registry): Histogram<'phase'> {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const histogram = new Histogram({
    name: 'supercloud_lease_phase_seconds',
    help: "Seconds from a lease's first reconcile to each step on its way to Running (each step once per lease)",
    labelNames: ['phase'],
    buckets: phaseBuckets,
    registers: [registry],
  });
  // Every phase exported at zero before the first lease.
  for (const phase of leasePhases) histogram.zero({ phase } satisfies Record<'phase', LeasePhase>);
  byRegistry.set(registry, histogram);
  return histogram;
}
