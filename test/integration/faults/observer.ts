// What the cluster did during the fault suite, watched (informers, so nothing between two polls is
// missed while the API server answers): which leases were ever Running, and the most Deployments
// one lease namespace held at once and the most ComputeLeases that named one lease id at once
// (more than one of either is a doubled lease).
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { ComputeLeaseKind } from '../../../operator/src/api/kinds.js';
import {
  DeploymentKind,
  InformerCache,
  type KubeClient,
} from '../../../operator/src/kube/index.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import { testRunLabel } from '../../harness/test-run-operator.js';

export class ClusterObserver {
  readonly cache: InformerCache;
  /** Lease ids whose ComputeLease was seen Running. */
  readonly runningSeen = new Set<string>();
  /** Lease id → the most Deployments its namespace held at once. */
  readonly maxDeployments = new Map<string, number>();
  /** Lease id → the most ComputeLeases of the run that named it at once. */
  readonly maxObjects = new Map<string, number>();
  /** Lease namespace → lease id, for the leases of the run. */
  private readonly namespaces = new Map<string, string>();

  constructor(
    client: KubeClient,
    private readonly run: string,
  ) {
    this.cache = new InformerCache(client);
  }

  async start(): Promise<void> {
    const onLease = (lease: ComputeLease): void => {
      if (lease.metadata.labels?.[testRunLabel] !== this.run) return;
      const id = lease.spec.leaseId;
      this.namespaces.set(leaseNamespaceName(id), id);
      if (lease.status?.phase === 'Running') this.runningSeen.add(id);
      const named = this.leases().filter((l) => l.spec.leaseId === id).length;
      this.maxObjects.set(id, Math.max(this.maxObjects.get(id) ?? 0, named));
      this.countDeployments(leaseNamespaceName(id));
    };
    this.cache.informer(ComputeLeaseKind).addHandler({
      onAdd: onLease,
      onUpdate: (_old, lease) => onLease(lease),
    });
    const onDeployment = (deployment: { metadata?: { namespace?: string } }): void =>
      this.countDeployments(deployment.metadata?.namespace ?? '');
    this.cache.informer(DeploymentKind).addHandler({
      onAdd: onDeployment,
      onUpdate: (_old, deployment) => onDeployment(deployment),
    });
    this.cache.start();
    await this.cache.waitForSync();
  }

  /** The run's ComputeLeases, as last seen. */
  leases(): ComputeLease[] {
    return this.cache
      .list(ComputeLeaseKind)
      .filter((lease) => lease.metadata.labels?.[testRunLabel] === this.run);
  }

  /** The ComputeLease of a lease id, as last seen. */
  lease(leaseId: bigint | string): ComputeLease | undefined {
    return this.cache.get(ComputeLeaseKind, leaseNamespaceName(leaseId.toString()));
  }

  private countDeployments(namespace: string): void {
    const id = this.namespaces.get(namespace);
    if (id === undefined) return;
    const count = this.cache
      .list(DeploymentKind)
      .filter((d) => d.metadata?.namespace === namespace).length;
    this.maxDeployments.set(id, Math.max(this.maxDeployments.get(id) ?? 0, count));
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }
}
