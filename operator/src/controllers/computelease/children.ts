// The objects a lease owns, as the cache shows them: which kind each desired object is, whether
// an object belongs to the lease, and what exists in the lease namespace.
import type { ComputeLease } from '../../api/computelease.js';
import type { InformerCache } from '../../kube/informer-cache.js';
import {
  DeploymentKind,
  IngressKind,
  LimitRangeKind,
  NamespaceKind,
  NetworkPolicyKind,
  ResourceQuotaKind,
  ServiceAccountKind,
  ServiceKind,
  type KubeObject,
  type ObjectOf,
  type ResourceKind,
} from '../../kube/objects.js';

/** Every kind a lease becomes, by `kind` (the controller owns and watches them all). */
export const leaseChildKinds = {
  Namespace: NamespaceKind,
  ResourceQuota: ResourceQuotaKind,
  LimitRange: LimitRangeKind,
  NetworkPolicy: NetworkPolicyKind,
  ServiceAccount: ServiceAccountKind,
  Service: ServiceKind,
  Ingress: IngressKind,
  Deployment: DeploymentKind,
} as const satisfies Record<string, ResourceKind>;

/** The namespaced ones: what may be left over in the lease namespace and pruned. */
export const namespacedChildKinds: readonly ResourceKind[] = Object.values(leaseChildKinds).filter(
  (kind) => kind.namespaced,
);

/** The ResourceKind of a desired object. */
export function childKind(object: KubeObject): ResourceKind {
  const kind = leaseChildKinds[object.kind as keyof typeof leaseChildKinds];
  if (!kind)
    throw new Error(
      `desiredObjects returned a ${object.kind}, which the controller does not manage`,
    );
  return kind;
}

/** True when the lease (this very object, by uid) is the object's controlling owner. */
export function ownedBy(object: KubeObject | undefined, lease: ComputeLease): boolean {
  return (
    object?.metadata?.ownerReferences?.some(
      (owner) => owner.controller === true && owner.uid === lease.metadata.uid,
    ) ?? false
  );
}

/** What the lease namespace is, as far as this lease is concerned. */
export type NamespaceState =
  | { readonly state: 'absent' }
  | { readonly state: 'active' | 'terminating'; readonly uid: string }
  /** A namespace of that name exists and is not this lease's: never adopted. */
  | { readonly state: 'foreign'; readonly owner: string; readonly terminating: boolean };

export function namespaceState(
  cache: InformerCache,
  lease: ComputeLease,
  name: string,
): NamespaceState {
  const namespace = cache.get(NamespaceKind, name);
  if (!namespace) return { state: 'absent' };
  if (!ownedBy(namespace, lease)) {
    const owner = namespace.metadata?.ownerReferences?.find((ref) => ref.controller);
    return {
      state: 'foreign',
      owner: owner ? `${owner.kind} ${owner.name} (uid ${owner.uid})` : 'no ComputeLease',
      terminating: namespace.metadata?.deletionTimestamp !== undefined,
    };
  }
  return {
    state: namespace.metadata?.deletionTimestamp ? 'terminating' : 'active',
    uid: namespace.metadata?.uid ?? '',
  };
}

/** The objects of a kind in the lease namespace that the lease owns. */
export function ownedChildren<T extends KubeObject>(
  cache: InformerCache,
  kind: ResourceKind<T>,
  namespace: string,
  lease: ComputeLease,
): T[] {
  return cache
    .list(kind, { name: 'namespace', value: namespace })
    .filter((object) => ownedBy(object, lease));
}

export type Deployment = ObjectOf<typeof DeploymentKind>;
export type Service = ObjectOf<typeof ServiceKind>;
