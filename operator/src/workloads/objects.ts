// Shared pieces of the objects a lease becomes: the labels every one carries and the owner
// reference that lets the garbage collector remove them with the ComputeLease.
import type {
  V1ObjectMeta,
  V1LimitRange,
  V1LimitRangeItem,
  V1NetworkPolicy,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicySpec,
} from '@kubernetes/client-node';
import type { OwnerReference, Wire } from '../kube/objects.js';
import type { ComputeLease } from '../api/computelease.js';
import { computeLeaseNames } from '../api/computelease.js';
import { apiVersion, labels, managedByValue } from '../api/constants.js';
import { leaseKey, leaseNamespaceName, tenantLabelValue } from './names.js';

/** Name of the ServiceAccount workload pods run as (it has no token and no permissions). */
export const workloadServiceAccountName = 'workload';

/** The owner reference every child carries; `controller` marks the lease as the one in charge. */
export function leaseOwnerReference(lease: ComputeLease): OwnerReference {
  const { name, uid } = lease.metadata;
  if (!name || !uid) {
    throw new Error(
      'the ComputeLease has no metadata.name or metadata.uid; pass the object as read from the API server',
    );
  }
  return {
    apiVersion,
    kind: computeLeaseNames.kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Labels of every object of a lease: who manages it, which lease, tenant and pool. */
export function leaseLabels(lease: ComputeLease): Record<string, string> {
  return {
    [labels.managedBy]: managedByValue,
    [labels.lease]: leaseKey(lease.spec.leaseId),
    [labels.tenant]: tenantLabelValue(lease.spec.tenant),
    [labels.pool]: lease.spec.pool,
  };
}

/** Metadata of an object in the lease namespace. */
export function childMetadata(
  lease: ComputeLease,
  name: string,
  extraLabels: Record<string, string> = {},
): Wire<V1ObjectMeta> {
  return {
    name,
    namespace: leaseNamespaceName(lease.spec.leaseId),
    labels: { ...leaseLabels(lease), ...extraLabels },
    ownerReferences: [leaseOwnerReference(lease)],
  };
}

// @kubernetes/client-node's models call `from` and `default` `_from` and `_default` (its
// serializer renames them); the operator sends wire JSON, so these two kinds use the real names.

/** A NetworkPolicy as JSON on the wire. */
export type WireNetworkPolicy = Omit<Wire<V1NetworkPolicy>, 'spec'> & {
  spec: Omit<V1NetworkPolicySpec, 'ingress'> & {
    ingress?: (Omit<V1NetworkPolicyIngressRule, '_from'> & { from?: V1NetworkPolicyPeer[] })[];
  };
};

/** A LimitRange as JSON on the wire. */
export type WireLimitRange = Omit<Wire<V1LimitRange>, 'spec'> & {
  spec: { limits: (Omit<V1LimitRangeItem, '_default'> & { default?: Record<string, string> })[] };
};

/** Kubernetes quantity strings from the manifest's integer units. */
export const quantity = {
  cpu: (millis: number) => `${millis}m`,
  mebibytes: (mib: number) => `${mib}Mi`,
  count: (n: number) => String(n),
};
