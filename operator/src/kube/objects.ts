import type {
  V1ConfigMap,
  V1Deployment,
  V1Ingress,
  V1LimitRange,
  V1Namespace,
  V1ObjectMeta,
  V1OwnerReference,
  V1NetworkPolicy,
  V1Node,
  V1Pod,
  V1ResourceQuota,
  V1Secret,
  V1Service,
  V1ServiceAccount,
  V1Lease,
  EventsV1Event,
} from '@kubernetes/client-node';

/**
 * An object as the API server sends it over JSON. @kubernetes/client-node's model types declare
 * timestamps as `Date`, which is only true after its ObjectSerializer ran; the runtime keeps the
 * wire JSON (cheaper to cache, and exactly what apply sends back), so `Wire<V1Pod>` is the model
 * type with every `Date` as the RFC 3339 string the server sent.
 */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [P in keyof T]: Wire<T[P]> }
      : T;

/** An owner reference as stored in metadata.ownerReferences. */
export type OwnerReference = Wire<V1OwnerReference>;

/** The metadata every object has (wire JSON). */
export type ObjectMeta = Wire<V1ObjectMeta>;

/** Any Kubernetes object (wire JSON). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/**
 * How to reach one kind of object on the API server. The runtime needs the plural resource name
 * for URLs; giving it here (instead of asking discovery) keeps every request predictable.
 */
export interface ResourceKind<T extends KubeObject = KubeObject> {
  /** `v1`, `apps/v1`, `supercloud.dev/v1alpha1`. */
  readonly apiVersion: string;
  readonly kind: string;
  /** The URL segment: `configmaps`, `deployments`, `computeleases`. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Type-only marker carrying T; never set at run time. */
  readonly __type?: T;
}

/** Declares a ResourceKind; `T` is the wire JSON type of its objects. */
export function resourceKind<T extends KubeObject>(
  apiVersion: string,
  kind: string,
  plural: string,
  namespaced: boolean,
): ResourceKind<T> {
  return { apiVersion, kind, plural, namespaced };
}

/** The object type a ResourceKind describes. */
export type ObjectOf<R> = R extends ResourceKind<infer T> ? T : never;

// The built-in kinds the operator works with. Custom resources declare theirs beside their types.
export const ConfigMapKind = resourceKind<Wire<V1ConfigMap>>('v1', 'ConfigMap', 'configmaps', true);
export const SecretKind = resourceKind<Wire<V1Secret>>('v1', 'Secret', 'secrets', true);
export const NamespaceKind = resourceKind<Wire<V1Namespace>>(
  'v1',
  'Namespace',
  'namespaces',
  false,
);
export const NodeKind = resourceKind<Wire<V1Node>>('v1', 'Node', 'nodes', false);
export const PodKind = resourceKind<Wire<V1Pod>>('v1', 'Pod', 'pods', true);
export const ServiceKind = resourceKind<Wire<V1Service>>('v1', 'Service', 'services', true);
export const ServiceAccountKind = resourceKind<Wire<V1ServiceAccount>>(
  'v1',
  'ServiceAccount',
  'serviceaccounts',
  true,
);
export const ResourceQuotaKind = resourceKind<Wire<V1ResourceQuota>>(
  'v1',
  'ResourceQuota',
  'resourcequotas',
  true,
);
export const LimitRangeKind = resourceKind<Wire<V1LimitRange>>(
  'v1',
  'LimitRange',
  'limitranges',
  true,
);
export const DeploymentKind = resourceKind<Wire<V1Deployment>>(
  'apps/v1',
  'Deployment',
  'deployments',
  true,
);
export const NetworkPolicyKind = resourceKind<Wire<V1NetworkPolicy>>(
  'networking.k8s.io/v1',
  'NetworkPolicy',
  'networkpolicies',
  true,
);
export const IngressKind = resourceKind<Wire<V1Ingress>>(
  'networking.k8s.io/v1',
  'Ingress',
  'ingresses',
  true,
);
export const LeaseKind = resourceKind<Wire<V1Lease>>(
  'coordination.k8s.io/v1',
  'Lease',
  'leases',
  true,
);
export const EventKind = resourceKind<Wire<EventsV1Event>>(
  'events.k8s.io/v1',
  'Event',
  'events',
  true,
);

/** A reconcile request: which object to converge. `namespace` is absent for cluster-scoped kinds. */
export interface ObjectKey {
  readonly namespace?: string;
  readonly name: string;
}

/** client-go's MetaNamespaceKeyFunc: `namespace/name`, or `name` for cluster-scoped objects. */
export function keyOf(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

/** The cache key of an object. */
export function objectKey(object: KubeObject): string {
  return keyOf({ namespace: object.metadata?.namespace, name: object.metadata?.name ?? '' });
}

/** The inverse of `keyOf`. */
export function parseKey(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return slash === -1
    ? { name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** An owner reference that makes `owner` the controller of the object carrying it. */
export function controllerReference(kind: ResourceKind, owner: KubeObject): OwnerReference {
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!name || !uid) {
    throw new Error(
      `cannot reference a ${kind.kind} without metadata.name and metadata.uid: read it from the API server first`,
    );
  }
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
