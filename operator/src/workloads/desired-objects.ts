// Everything a verified lease becomes in the cluster. Pure: the controller applies the result
// with server-side apply and compares it with what exists.
import type {
  V1Deployment,
  V1Ingress,
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
import { leaseIngress, type IngressSettings } from './ingress.js';
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
  /** How the provider publishes HTTP ports; absent: no Ingress, HTTP ports are plain TCP ports. */
  readonly ingress?: IngressSettings;
}

export interface DesiredObjects {
  readonly namespace: Wire<V1Namespace>;
  readonly serviceAccount: Wire<V1ServiceAccount>;
  readonly resourceQuota: Wire<V1ResourceQuota>;
  readonly limitRange: WireLimitRange;
  readonly networkPolicies: readonly WireNetworkPolicy[];
  readonly deployments: readonly Wire<V1Deployment>[];
  readonly services: readonly Wire<V1Service>[];
  /** The HTTP ports' hosts, when the provider has an ingress domain and the manifest HTTP ports. */
  readonly ingress?: Wire<V1Ingress>;
}

/**
 * The objects of a lease: namespace, isolation objects, a Deployment and (with ports) a Service
 * per manifest service, and an Ingress for its HTTP ports. Call it only with a lease that passed
 * `verifyLease`.
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
  const { ingress: settings } = options;
  const ingress = leaseIngress(defaultedLease, manifest, settings);
  return {
    namespace: leaseNamespace(defaultedLease),
    serviceAccount: workloadServiceAccount(defaultedLease),
    resourceQuota: leaseResourceQuota(
      defaultedLease,
      manifest,
      pool.spec.extendedResourceName,
      settings,
    ),
    limitRange: leaseLimitRange(defaultedLease),
    networkPolicies: [
      leaseIngressPolicy(defaultedLease, manifest, isolation, settings),
      leaseEgressPolicy(defaultedLease, isolation),
    ],
    deployments: manifest.services.map((service) =>
      serviceDeployment(defaultedLease, pool, service),
    ),
    services: manifest.services.flatMap(
      (service) => serviceService(defaultedLease, service, settings) ?? [],
    ),
    ...(ingress ? { ingress } : {}),
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
    ...(desired.ingress ? [desired.ingress] : []),
    ...desired.deployments,
  ] as KubeObject[];
}
