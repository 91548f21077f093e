// The walls around a lease: its namespace (Pod Security restricted), a quota equal to what was
// bought, a LimitRange, NetworkPolicies and a ServiceAccount without a token.
import type {
  V1Namespace,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
  V1ResourceQuota,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { ComputeLease } from '../api/computelease.js';
import type { Wire } from '../kube/objects.js';
import { annotations, labels } from '../api/constants.js';
import type { TenantIsolation } from '../api/provider.js';
import type { WorkloadManifest, WorkloadService } from '../api/workload-manifest.js';
import type { IngressSettings } from './ingress.js';
import { leaseNamespaceName } from './names.js';
import {
  childMetadata,
  leaseLabels,
  leaseOwnerReference,
  quantity,
  workloadServiceAccountName,
  type WireLimitRange,
  type WireNetworkPolicy,
} from './objects.js';
import { publishedByService } from './service.js';
import { manifestTotals } from './totals.js';

/** Label every namespace carries with its own name (set by the API server). */
const namespaceNameLabel = 'kubernetes.io/metadata.name';

export function leaseNamespace(lease: ComputeLease): Wire<V1Namespace> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: leaseNamespaceName(lease.spec.leaseId),
      labels: {
        ...leaseLabels(lease),
        [labels.podSecurityEnforce]: 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
      annotations: { [annotations.leaseId]: lease.spec.leaseId },
      ownerReferences: [leaseOwnerReference(lease)],
    },
  };
}

export function workloadServiceAccount(lease: ComputeLease): Wire<V1ServiceAccount> {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: childMetadata(lease, workloadServiceAccountName),
    automountServiceAccountToken: false,
  };
}

/**
 * The namespace may use exactly what was bought. Load balancers and node ports only when the
 * lease asks for them; no volume claims.
 */
export function leaseResourceQuota(
  lease: ComputeLease,
  manifest: WorkloadManifest,
  gpuResourceName: string,
  ingressSettings: IngressSettings | undefined,
): Wire<V1ResourceQuota> {
  const { resources, ingress } = lease.spec;
  // Only the Services that take the lease's service type count (see service.ts).
  const publicServices = manifest.services.filter((s) => publishedByService(s, ingressSettings));
  const publicPorts = publicServices.reduce((sum, s) => sum + s.ports.length, 0);
  const cpu = quantity.cpu(resources.cpuMillis);
  const memory = quantity.mebibytes(resources.memoryMiB);
  const storage = quantity.mebibytes(resources.storageMiB);
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: childMetadata(lease, 'bought'),
    spec: {
      hard: {
        'requests.cpu': cpu,
        'limits.cpu': cpu,
        'requests.memory': memory,
        'limits.memory': memory,
        'requests.ephemeral-storage': storage,
        'limits.ephemeral-storage': storage,
        // Extended resources are quota'd by request only (they cannot be overcommitted).
        [`requests.${gpuResourceName}`]: quantity.count(resources.gpus),
        // Twice the replicas leaves room for a rolling update's terminating pods; what they
        // use stays bounded by the compute quotas above.
        pods: quantity.count(manifestTotals(manifest).replicas * 2),
        'services.loadbalancers': quantity.count(
          ingress.serviceType === 'LoadBalancer' ? publicServices.length : 0,
        ),
        // Load balancers allocate node ports too.
        'services.nodeports': quantity.count(ingress.serviceType === 'ClusterIP' ? 0 : publicPorts),
        persistentvolumeclaims: '0',
      },
    },
  };
}

/** Defaults for a container that states no resources (none of ours), capped at what was bought. */
const containerDefaults = { cpuMillis: 100, memoryMiB: 128, storageMiB: 256 };

/** Per-container bounds: at most what was bought, requests equal to limits. */
export function leaseLimitRange(lease: ComputeLease): WireLimitRange {
  const { resources } = lease.spec;
  const max = {
    cpu: quantity.cpu(resources.cpuMillis),
    memory: quantity.mebibytes(resources.memoryMiB),
    'ephemeral-storage': quantity.mebibytes(resources.storageMiB),
  };
  const defaults = {
    cpu: quantity.cpu(Math.min(containerDefaults.cpuMillis, resources.cpuMillis)),
    memory: quantity.mebibytes(Math.min(containerDefaults.memoryMiB, resources.memoryMiB)),
    'ephemeral-storage': quantity.mebibytes(
      Math.min(containerDefaults.storageMiB, resources.storageMiB),
    ),
  };
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: childMetadata(lease, 'bounds'),
    spec: {
      limits: [
        {
          type: 'Container',
          max,
          default: defaults,
          defaultRequest: defaults,
          maxLimitRequestRatio: { cpu: '1', memory: '1' },
        },
      ],
    },
  };
}

/**
 * Ingress: everything from the lease's own namespace; exposed ports from the provider's ingress
 * namespace (its ingress controller reaches the HTTP ports' pods there), and from anywhere too
 * when their Service is a LoadBalancer or NodePort.
 */
export function leaseIngressPolicy(
  lease: ComputeLease,
  manifest: WorkloadManifest,
  isolation: TenantIsolation,
  ingressSettings: IngressSettings | undefined,
): WireNetworkPolicy {
  const exposedPorts = (services: readonly WorkloadService[]): V1NetworkPolicyPort[] =>
    services.flatMap((service) =>
      service.ports.filter((p) => p.expose).map((p) => ({ port: p.port, protocol: p.protocol })),
    );
  const reachableFromAnywhere = (service: WorkloadService) =>
    lease.spec.ingress.serviceType !== 'ClusterIP' && publishedByService(service, ingressSettings);
  const internal = exposedPorts(manifest.services.filter((s) => !reachableFromAnywhere(s)));
  const published = exposedPorts(manifest.services.filter(reachableFromAnywhere));
  const fromIngressNamespace: V1NetworkPolicyPeer = {
    namespaceSelector: { matchLabels: { [namespaceNameLabel]: isolation.ingressNamespace } },
  };
  const fromAnywhere: V1NetworkPolicyPeer[] = [
    { ipBlock: { cidr: '0.0.0.0/0' } },
    { ipBlock: { cidr: '::/0' } },
  ];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: childMetadata(lease, 'ingress'),
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ podSelector: {} }] },
        ...(internal.length > 0 ? [{ from: [fromIngressNamespace], ports: internal }] : []),
        ...(published.length > 0
          ? [{ from: [fromIngressNamespace, ...fromAnywhere], ports: published }]
          : []),
      ],
    },
  };
}

/**
 * Egress: the lease's own namespace, cluster DNS, and the internet except the denied ranges
 * (cluster networks, link-local metadata).
 */
export function leaseEgressPolicy(
  lease: ComputeLease,
  isolation: TenantIsolation,
): WireNetworkPolicy {
  const denied = isolation.deniedEgressCidrs;
  const deniedV4 = denied.filter((cidr) => !cidr.includes(':'));
  const deniedV6 = denied.filter((cidr) => cidr.includes(':'));
  const internet = (cidr: string, except: string[]): V1NetworkPolicyPeer => ({
    ipBlock: except.length > 0 ? { cidr, except } : { cidr },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: childMetadata(lease, 'egress'),
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: {} }] },
        {
          to: [
            {
              namespaceSelector: {
                matchLabels: { [namespaceNameLabel]: isolation.dnsNamespace },
              },
              podSelector: { matchLabels: { ...isolation.dnsPodLabels } },
            },
          ],
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
        { to: [internet('0.0.0.0/0', deniedV4), internet('::/0', deniedV6)] },
      ],
    },
  };
}
