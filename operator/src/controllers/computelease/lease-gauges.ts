// The lease gauges of the dashboard and the alerts: leases by phase, the longest-deploying ones,
// and the escrow and earnings rate of the running ones, read from the informer cache at scrape
// time (no bookkeeping to drift, no API request). Every replica's cache holds every lease, so a
// standby replica exports the same values as the leader (queries take the max or min of them).
import { Gauge, type Registry } from 'prom-client';
import type { ComputeLease } from '../../api/computelease.js';
import { ComputeLeaseKind } from '../../api/kinds.js';
import { systemClock, type Clock } from '../../base/clock.js';
import type { LabelSelector } from '../../config/label-selector.js';
import type { InformerCache } from '../../kube/informer-cache.js';
import { leaseSummary, type LeaseSummary } from './lease-summary.js';

export interface LeaseGaugesParameters {
  readonly registry: Registry;
  readonly cache: InformerCache;
  /** The operator's lease selector: only the leases it serves count. */
  readonly selector?: LabelSelector;
  readonly clock?: Clock;
}

/**
 * Registers `supercloud_leases{phase}`, `supercloud_leases_deploying_oldest_seconds{reason}`,
 * `supercloud_running_leases_escrow`, `supercloud_running_leases_price_per_second` and
 * `supercloud_running_leases_funded_seconds_min` in `registry`.
 *
 * @example registerLeaseGauges({ registry: manager.registry, cache: manager.cache })
 */
export function registerLeaseGauges(parameters: LeaseGaugesParameters): void {
  const { registry, cache, selector, clock = systemClock } = parameters;
  const summary = (): LeaseSummary =>
    leaseSummary(
      cache
        .list<ComputeLease>(ComputeLeaseKind)
        .filter((lease) => !selector || selector.matches(lease.metadata.labels)),
      clock.now(),
    );
  const registers = [registry];
  /** A gauge set from a summary of the cached leases at each scrape. */
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    set: (gauge: Gauge<L>, summary: LeaseSummary) => void,
  ): void => {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        // A reason no Deploying lease has any more is dropped, not left at its last value.
        this.reset();
        set(this, summary());
      },
    });
  };
  gauge(
    'supercloud_leases',
    'ComputeLeases by phase (Pending until the first status)',
    ['phase'],
    (g, s) => {
      for (const [phase, count] of Object.entries(s.byPhase)) g.set({ phase }, count);
    },
  );
  gauge(
    'supercloud_leases_deploying_oldest_seconds',
    'Seconds since the oldest Deploying lease was verified, by the reason of its Available condition (InsufficientCapacity, SecretsMissing, Deploying)',
    ['reason'],
    (g, s) => {
      for (const [reason, seconds] of s.deployingOldestSeconds) g.set({ reason }, seconds);
    },
  );
  gauge(
    'supercloud_running_leases_escrow',
    'Escrow left on chain for the Running leases at their last check, in payment-token base units',
    [],
    (g, s) => g.set(s.running.escrow),
  );
  gauge(
    'supercloud_running_leases_price_per_second',
    'What the Running leases pay per second together (the earnings rate), in payment-token base units',
    [],
    (g, s) => g.set(s.running.pricePerSecond),
  );
  gauge(
    'supercloud_running_leases_funded_seconds_min',
    'Seconds until the escrow of the first Running lease to run out is exhausted (negative: it is and the lease is not closed yet; +Inf: no Running lease)',
    [],
    (g, s) => g.set(s.running.fundedSecondsMin),
  );
}
