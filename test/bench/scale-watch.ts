// The scale bench's own view of the cluster: three informers scoped by label to the run's pools
// and leases, each object cut down to the few fields the bench reads, so that watching 10,000
// lease namespaces costs the bench little memory. It records when each lease namespace first had
// a pod Running and when each lease's status first said Running.
import { leaseConditionTypes, type ComputeLease } from '../../operator/src/api/computelease.js';
import { labels } from '../../operator/src/api/constants.js';
import { ComputeLeaseKind } from '../../operator/src/api/kinds.js';
import { clientListerWatcher, Informer } from '../../operator/src/kube/informer.js';
import {
  NamespaceKind,
  PodKind,
  type KubeClient,
  type KubeObject,
  type ResourceKind,
} from '../../operator/src/kube/index.js';
import { testRunLabel } from '../harness/test-run-operator.js';

/** What the bench keeps of a pod, namespace or lease. */
interface Slim extends KubeObject {
  readonly status?: { readonly phase?: string; readonly verified?: boolean };
}

function slim(object: KubeObject & { status?: unknown }): Slim {
  const status = object.status as
    { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  const verified = status?.conditions?.some(
    (c) => c.type === leaseConditionTypes.Verified && c.status === 'True',
  );
  return {
    metadata: {
      name: object.metadata?.name,
      namespace: object.metadata?.namespace,
      resourceVersion: object.metadata?.resourceVersion,
    },
    status: { phase: status?.phase, ...(verified === undefined ? {} : { verified }) },
  };
}

/** The times and states the bench reads while leases come up, sit at rest and restart. */
export class ScaleWatch {
  /** When the bench sent each lease namespace's first create (the ComputeLease). */
  readonly appliedAt = new Map<string, number>();
  /** When a pod of each started namespace was first seen Running. */
  readonly podRunningAt = new Map<string, number>();
  /** When each lease (by name) of the operator's run first had status.phase Running. */
  readonly leaseRunningAt = new Map<string, number>();
  private readonly pods: Informer<Slim>;
  private readonly namespaces: Informer<Slim>;
  private readonly leases: Informer<Slim>;

  constructor(client: KubeClient, pools: readonly string[], run: string) {
    const inPools = `${labels.pool} in (${pools.join(',')})`;
    const informer = (kind: ResourceKind, labelSelector: string): Informer<Slim> =>
      new Informer<Slim>(
        clientListerWatcher(client, kind as ResourceKind<Slim>, { labelSelector }),
        { name: `bench ${kind.kind}`, transform: slim },
      );
    this.pods = informer(PodKind, inPools);
    this.namespaces = informer(NamespaceKind, inPools);
    this.leases = informer(ComputeLeaseKind, `${testRunLabel}=${run}`);
    const onPod = (pod: Slim): void => {
      const namespace = pod.metadata?.namespace ?? '';
      if (
        pod.status?.phase === 'Running' &&
        this.appliedAt.has(namespace) &&
        !this.podRunningAt.has(namespace)
      ) {
        this.podRunningAt.set(namespace, Date.now());
      }
    };
    this.pods.addHandler({ onAdd: onPod, onUpdate: (_old, pod) => onPod(pod) });
    const onLease = (lease: Slim): void => {
      const name = lease.metadata?.name ?? '';
      if (lease.status?.phase === 'Running' && !this.leaseRunningAt.has(name)) {
        this.leaseRunningAt.set(name, Date.now());
      }
    };
    this.leases.addHandler({ onAdd: onLease, onUpdate: (_old, lease) => onLease(lease) });
  }

  async start(): Promise<void> {
    for (const informer of [this.pods, this.namespaces, this.leases]) informer.start();
    await Promise.all([this.pods, this.namespaces, this.leases].map((i) => i.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all([this.pods, this.namespaces, this.leases].map((i) => i.stop()));
  }

  /** Marks a lease namespace as started now (call right before creating its lease). */
  applied(namespace: string): void {
    this.appliedAt.set(namespace, Date.now());
  }

  /** True when every given namespace has had a pod Running. */
  allPodsRunning(namespaces: readonly string[]): boolean {
    return namespaces.every((namespace) => this.podRunningAt.has(namespace));
  }

  /** True when none of the given namespaces exists any more. */
  allGone(namespaces: readonly string[]): boolean {
    return namespaces.every((namespace) => !this.namespaces.store.get(namespace));
  }

  /** The run's leases whose status is not (Running and Verified) right now, by name. */
  leasesNotRunning(names: readonly string[]): string[] {
    return names.filter((name) => {
      const status = this.leases.store.get(name)?.status;
      return status?.phase !== 'Running' || status.verified !== true;
    });
  }

  /** Milliseconds from each namespace's create to its first Running pod (only those that ran). */
  podsRunningMs(namespaces: readonly string[]): number[] {
    return namespaces
      .filter((namespace) => this.podRunningAt.has(namespace) && this.appliedAt.has(namespace))
      .map((namespace) => this.podRunningAt.get(namespace)! - this.appliedAt.get(namespace)!);
  }

  /** Milliseconds from each lease's create to its status Running. */
  leasesRunningMs(
    leases: readonly ComputeLease[],
    namespaceOf: (lease: ComputeLease) => string,
  ): number[] {
    return leases
      .map((lease) => ({
        applied: this.appliedAt.get(namespaceOf(lease)),
        running: this.leaseRunningAt.get(lease.metadata.name ?? ''),
      }))
      .filter(({ applied, running }) => applied !== undefined && running !== undefined)
      .map(({ applied, running }) => running! - applied!);
  }
}
