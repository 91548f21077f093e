// The lease's ResourceQuota fences its pods only once the quota's status lists its limits: quota
// admission matches a quota on status.hard, so a quota whose status the controller-manager has
// not computed yet constrains nothing, and a pod created meanwhile would run uncounted and
// unbounded. The controller-manager fills that status within milliseconds on a quiet cluster but
// seconds behind a burst of new namespaces. For a quota the operator has just created in a
// namespace where nothing it counts exists yet, that status is known: the limits it was created
// with and zero use. The operator writes it itself, as the quota controller would, with the
// quota's resourceVersion as a precondition, so a status the quota controller or quota admission
// wrote meanwhile is never overwritten. From then on admission counts every pod and service, and
// the quota controller keeps the status, as it does for any quota. Anywhere else (a quota whose
// spec changed, a namespace with pods or Services in it), the lease waits for the controller.
import type { V1ResourceQuota } from '@kubernetes/client-node';
import type { KubeClient } from '../../kube/client.js';
import { isConflict } from '../../kube/errors.js';
import type { InformerCache } from '../../kube/informer-cache.js';
import {
  DeploymentKind,
  PodKind,
  ResourceQuotaKind,
  ServiceKind,
  type ResourceKind,
  type Wire,
} from '../../kube/objects.js';
import { holdsDesired } from '../semantic.js';

export type ResourceQuota = Wire<V1ResourceQuota>;

/** True when quota admission enforces `desired` through `quota`: its status.hard is the desired hard. */
export function isQuotaEnforced(desired: ResourceQuota, quota: ResourceQuota | undefined): boolean {
  return holdsDesired(desired.spec?.hard, quota?.status?.hard, ['status', 'hard']);
}

/**
 * The status the quota controller computes for a quota in a namespace where nothing it counts
 * exists: every hard limit, each used at zero.
 */
export function emptyNamespaceQuotaStatus(quota: ResourceQuota): ResourceQuota['status'] {
  const hard = quota.spec?.hard ?? {};
  return {
    hard: { ...hard },
    used: Object.fromEntries(Object.keys(hard).map((resource) => [resource, '0'])),
  };
}

/** Kinds whose objects a lease quota counts, that may be in a namespace before its quota binds. */
const countedKinds: readonly ResourceKind[] = [PodKind, ServiceKind, DeploymentKind];

/**
 * True when the operator may write the quota's first status itself: the quota has never had one
 * (the quota controller has not seen it) and the namespace holds none of what it counts, nor a
 * Deployment that would make pods (from the cache: the operator creates those only after the
 * quota binds, and the tenant cannot create anything in a lease namespace).
 */
export function mayFenceQuota(cache: InformerCache, quota: ResourceQuota | undefined): boolean {
  const namespace = quota?.metadata?.namespace;
  if (!namespace || !quota?.metadata?.resourceVersion) return false;
  if (Object.keys(quota.status?.hard ?? {}).length > 0) return false;
  return countedKinds.every(
    (kind) => cache.list(kind, { name: 'namespace', value: namespace }).length === 0,
  );
}

/**
 * Binds lease quotas as soon as they are created, and remembers the ones it bound until the
 * cache shows their status: a reconcile woken before the cache has caught up with the write
 * (by the lease's own objects appearing) knows the quota binds without writing again.
 *
 * @example
 * const fence = new QuotaFence();
 * if (await fence.enforce(context, lease.metadata.name, desired.resourceQuota, quota)) applyWorkloads();
 */
export class QuotaFence {
  /** Lease name → the quota (uid) this process bound for it and the status it wrote. */
  private readonly fenced = new Map<
    string,
    { readonly uid: string; readonly status: ResourceQuota['status'] }
  >();

  /**
   * True when quota admission enforces `desired` through `quota` (the freshest copy at hand of
   * the quota of lease `lease`): its status says so, or this process wrote such a status to this
   * very quota since.
   */
  enforces(lease: string, desired: ResourceQuota, quota: ResourceQuota | undefined): boolean {
    if (isQuotaEnforced(desired, quota)) return true;
    const fenced = this.fenced.get(lease);
    if (!fenced || !quota) return false; // no quota in the cache yet: not known to bind
    if (fenced.uid !== quota.metadata?.uid || Object.keys(quota.status?.hard ?? {}).length > 0) {
      this.fenced.delete(lease); // another quota, or one whose status the cache now shows
      return false;
    }
    return isQuotaEnforced(desired, { status: fenced.status });
  }

  /**
   * Whether quota admission enforces `desired` through `quota`, after writing the quota's first
   * status where the operator may (`mayFenceQuota`): by PUT on the status subresource,
   * preconditioned on the resourceVersion read. When another writer came first (409, most
   * likely the quota controller with the same status) the quota is read back at once, rather
   * than after the cache, the work queue and another reconcile.
   */
  async enforce(
    { cache, client }: { readonly cache: InformerCache; readonly client: KubeClient },
    lease: string,
    desired: ResourceQuota,
    quota: ResourceQuota | undefined,
  ): Promise<boolean> {
    if (this.enforces(lease, desired, quota)) return true;
    if (!quota || !mayFenceQuota(cache, quota)) return false;
    const status = emptyNamespaceQuotaStatus(quota);
    try {
      const written = await client.replace(ResourceQuotaKind, { ...quota, status }, 'status');
      this.fenced.set(lease, { uid: written.metadata?.uid ?? '', status: written.status });
      return isQuotaEnforced(desired, written);
    } catch (error) {
      if (!isConflict(error)) throw error;
      const { name = '', namespace } = quota.metadata ?? {};
      return isQuotaEnforced(desired, await client.get(ResourceQuotaKind, name, namespace));
    }
  }

  /** Drops what is remembered of a lease's quota (the lease is gone or closing). */
  forget(lease: string): void {
    this.fenced.delete(lease);
  }
}
