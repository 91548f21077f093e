// The ComputeLease controller, declared: what wakes a lease. Its own objects wake it through
// their owner reference (a deleted or edited child is restored); its pool and the Provider's
// isolation policy wake the leases they shape; pods and nodes coming and going wake the leases
// waiting for room on their pool.
import type { ComputeLease } from '../../api/computelease.js';
import type { Registry } from 'prom-client';
import type { LabelSelector } from '../../config/label-selector.js';
import type { ChannelSource } from '../../kube/channel-source.js';
import { controller, type ControllerSpec } from '../../kube/controller.js';
import { specOrMetadataChanged } from '../../kube/predicates.js';
import { NodeKind, PodKind } from '../../kube/objects.js';
import {
  nodeAccountingChanged,
  podAccountingChanged,
  poolCountingNode,
} from '../../capacity/pool-gpus.js';
import { leasesOfPool, poolOfPod } from '../indexes.js';
import { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../../api/kinds.js';
import { onGenerationChange } from '../watch-filters.js';
import { leaseChildKinds } from './children.js';
import { computeLeaseReconciler } from './reconciler.js';
import type { IngressSettings } from '../../workloads/ingress.js';
import type { Verifier } from './verifier.js';

export interface ComputeLeaseControllerOptions {
  readonly verifier: Verifier;
  /** Ingress namespace of the NetworkPolicies when no Provider object sets the isolation policy. */
  readonly ingressNamespace: string;
  /** How HTTP ports are published (an Ingress per lease); absent: no Ingress. */
  readonly ingress?: IngressSettings;
  /** Only leases whose labels match are reconciled. */
  readonly leaseSelector?: LabelSelector;
  /** Where the lease phase timings are exported; absent: not timed. */
  readonly registry?: Registry;
  /**
   * Concurrent reconciles (never two for one lease); default 32. A reconcile mostly waits on the
   * API server (a new lease's is several round trips), so a burst of leases needs many at once.
   */
  readonly workers?: number;
  /** Lease keys from outside the cluster (the chain side). */
  readonly sources?: readonly ChannelSource[];
}

/** Name of the controller in metrics and logs. */
export const computeLeaseControllerName = 'computelease';

/**
 * @example manager.add(computeLeaseController({ verifier: clusterVerifier(), ingressNamespace: 'supercloud-system' }))
 */
export function computeLeaseController(
  options: ComputeLeaseControllerOptions,
): ControllerSpec<ComputeLease> {
  const selector = options.leaseSelector;
  return controller<ComputeLease>({
    name: computeLeaseControllerName,
    for: ComputeLeaseKind,
    ...(selector
      ? { filter: (lease: ComputeLease) => selector.matches(lease.metadata.labels) }
      : {}),
    // Its own status writes (and the settlement's) change nothing a reconcile reads.
    updatePredicate: specOrMetadataChanged,
    owns: Object.values(leaseChildKinds),
    watches: [
      // The lease reads the pool's and the Provider's spec, not their status (written often).
      {
        kind: GpuNodePoolKind,
        map: onGenerationChange((pool, cache) =>
          leasesOfPool(cache, pool.metadata.name ?? '', 'all'),
        ),
      },
      {
        kind: ProviderKind,
        map: onGenerationChange((_provider, cache) =>
          cache.list(ComputeLeaseKind).map((lease) => ({ name: lease.metadata.name ?? '' })),
        ),
      },
      {
        kind: PodKind,
        map: (pod, cache) => {
          const pool = poolOfPod(pod, cache);
          return pool ? leasesOfPool(cache, pool.metadata.name ?? '', 'waiting') : [];
        },
        // Room on a pool changes with what the accounting reads, not with a pod's timestamps.
        updatePredicate: podAccountingChanged,
      },
      {
        kind: NodeKind,
        map: (node, cache) => {
          const pool = poolCountingNode(cache.list(GpuNodePoolKind), node);
          return pool ? leasesOfPool(cache, pool.metadata.name ?? '', 'waiting') : [];
        },
        updatePredicate: nodeAccountingChanged,
      },
    ],
    ...(options.sources ? { sources: options.sources } : {}),
    workers: options.workers ?? 32,
    reconcile: computeLeaseReconciler(options),
  });
}
