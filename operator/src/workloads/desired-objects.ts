// Everything a verified lease becomes in the cluster. Pure: the controller applies the result
// with server-side apply and compares it with what exists.
import type {
  V1Deployment,
  V1Namespace,
  V1ResourceQuota,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { ComputeLeaseSpec, type ComputeLease } from '../api/computelease.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import { TenantIsolation } from '../api/provider.js';
import { withDefaults } from '../api/validate.js';
import type { KubeObject, Wire } from '../kube/objects.js';
import { serviceDeployment } from './deployment.js';
import {
  leaseEgressPolicy,
  leaseIngressPolicy,
  leaseLimitRange,
  leaseNamespace,
  leaseResourceQuota,
  workloadServiceAccount,
} from './isolation.js';
import type { WireLimitRange, WireNetworkPolicy } from './objects.js';
import { serviceService } from './service.js';

export interface DesiredObjectsOptions {
  /** The Provider's tenant-isolation policy (defaults fill what it leaves out). */
  readonly isolation?: Partial<TenantIsolation>;
}

export interface DesiredObjects {
  readonly namespace: Wire<V1Namespace>;
  readonly serviceAccount: Wire<V1ServiceAccount>;
  readonly resourceQuota: Wire<V1ResourceQuota>;
  readonly limitRange: WireLimitRange;
  readonly networkPolicies: readonly WireNetworkPolicy[];
  readonly deployments: readonly Wire<V1Deployment>[];
  readonly services: readonly Wire<V1Service>[];
}

/**
 * The objects of a lease: namespace, isolation objects, and a Deployment and (with ports) a
 * Service per manifest service. Call it only with a lease that passed `verifyLease`.
 *
 * @example
 * const desired = desiredObjects(lease, pool, { isolation: provider.spec.tenantIsolation });
 * for (const object of applyOrder(desired)) await apply(object);
 */
export function desiredObjects(
  lease: ComputeLease,
  pool: GpuNodePool,
  options: DesiredObjectsOptions = {},
): DesiredObjects {
  // The API server fills in defaults; a lease built in memory gets the same ones here.
  const defaultedLease: ComputeLease = {
    ...lease,
    spec: withDefaults(ComputeLeaseSpec, lease.spec) as ComputeLeaseSpec,
  };
  const manifest = defaultedLease.spec.manifest;
  const isolation = withDefaults(TenantIsolation, options.isolation ?? {}) as TenantIsolation;
  return {
    namespace: leaseNamespace(defaultedLease),
    serviceAccount: workloadServiceAccount(defaultedLease),
    resourceQuota: leaseResourceQuota(defaultedLease, manifest, pool.spec.extendedResourceName),
    limitRange: leaseLimitRange(defaultedLease),
    networkPolicies: [
      leaseIngressPolicy(defaultedLease, manifest, isolation),
      leaseEgressPolicy(defaultedLease, isolation),
    ],
    deployments: manifest.services.map((service) =>
      serviceDeployment(defaultedLease, pool, service),
    ),
    services: manifest.services.flatMap((service) => serviceService(defaultedLease, service) ?? []),
  };
}

/**
 * The objects in the order to apply them: the namespace first, then the walls (quota, limits,
 * policies, identity) before anything that runs, so no pod ever starts unconfined.
 */
export function applyOrder(desired: DesiredObjects): KubeObject[] {
  return [
    desired.namespace,
    desired.resourceQuota,
    desired.limitRange,
    ...desired.networkPolicies,
    desired.serviceAccount,
    ...desired.services,
    ...desired.deployments,
  ] as KubeObject[];
}
