// The ComputeLease reconcile: read the lease, its pool and the isolation policy from the cache;
// verify; then either tear down (closing, rejected), wait (no room on the pool), or apply what
// differs from the desired objects; and write the status once at the end. Level-based: it reads
// the world each time and never depends on which event woke it.
import type { ComputeLease } from '../../api/computelease.js';
import type { GpuNodePool } from '../../api/gpunodepool.js';
import type { TenantIsolation } from '../../api/provider.js';
import type { WorkloadManifest } from '../../api/workload-manifest.js';
import type { Registry } from 'prom-client';
import type { LabelSelector } from '../../config/label-selector.js';
import { apply, applyStatus } from '../../kube/apply.js';
import type { ReconcileContext, ReconcileRequest, Reconciler } from '../../kube/controller.js';
import { KubeApiError, TerminalError, isNotFound } from '../../kube/errors.js';
import type { InformerCache } from '../../kube/informer-cache.js';
import {
  DeploymentKind,
  IngressKind,
  NamespaceKind,
  ResourceQuotaKind,
  ServiceKind,
  objectKey,
  type KubeObject,
} from '../../kube/objects.js';
import { waitForCapacityReason } from '../../capacity/wait-reason.js';
import {
  applyOrder,
  desiredObjects,
  type DesiredObjects,
} from '../../workloads/desired-objects.js';
import type { IngressSettings } from '../../workloads/ingress.js';
import { leaseNamespaceName } from '../../workloads/names.js';
import {
  describeAwaitingSecrets,
  servicesAwaitingSecrets,
} from '../../workloads/tenant-secrets.js';
import { manifestTotals } from '../../workloads/totals.js';
import type { WorkloadPolicy } from '../../workloads/verify.js';
import { podRequest } from '../../capacity/pool-gpus.js';
import { workloadPolicy } from '../provider/policy.js';
import { indexes, poolNodesAndPods } from '../indexes.js';
import { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../../api/kinds.js';
import { holdsDesired, jsonEqual } from '../semantic.js';
import {
  childKind,
  namespaceState,
  namespacedChildKinds,
  ownedChildren,
  type NamespaceState,
} from './children.js';
import { poolHeadroom, type AdmittedLease } from '../../capacity/headroom.js';
import {
  computeLeaseStatus,
  leaseTransitionEvent,
  type ControllerLeaseStatus,
  type ObservedLease,
} from './status.js';
import type { Verification, Verifier } from './verifier.js';
import { leasePhaseSeconds } from './metrics.js';
import { controllerStatusKeys, OwnStatusWrites } from './own-status.js';
import { QuotaFence, type ResourceQuota } from './quota-fence.js';
import { LeasePhaseTracker, type LeasePhase, type TrackedLease } from './phase-timings.js';

export interface ComputeLeaseReconcilerOptions {
  readonly verifier: Verifier;
  /** Ingress namespace of the NetworkPolicies when no Provider object sets the isolation policy. */
  readonly ingressNamespace: string;
  /** How HTTP ports are published; absent: no Ingress. */
  readonly ingress?: IngressSettings;
  /** Only leases whose labels match are reconciled. */
  readonly leaseSelector?: LabelSelector;
  /** Where `supercloud_lease_phase_seconds` is exported; absent: phases are not timed. */
  readonly registry?: Registry;
  readonly now?: () => Date;
}

/** What one reconcile found out, gathered before anything is decided. */
interface Scope {
  readonly lease: ComputeLease;
  readonly namespace: string;
  readonly namespaceState: NamespaceState;
  readonly pool: GpuNodePool | undefined;
  readonly verification: Verification | undefined;
  /** Why verification has no answer now (the chain is unreachable, the Provider not ready). */
  readonly undecided?: string;
}

/** What the phase functions tell the status. */
interface Outcome {
  namespace: ObservedLease['namespace'];
  waitingForCapacity?: string;
  waitingForSecrets?: string;
  /** Why the lease cannot make progress, when the API server refused one of its objects. */
  failure?: string;
  /** Overrides the status message while the lease waits for something verification needs. */
  pendingReason?: string;
  /** The steps to Running this reconcile found done, and when (timed once per lease). */
  readonly reached: Map<LeasePhase, number>;
}

/**
 * The reconcile function of the ComputeLease controller.
 *
 * @example manager.add(controller({ name: 'computelease', for: ComputeLeaseKind, reconcile: computeLeaseReconciler({ verifier: clusterVerifier(), ingressNamespace: 'supercloud-system' }) }))
 */
export function computeLeaseReconciler(options: ComputeLeaseReconcilerOptions): Reconciler {
  const now = options.now ?? (() => new Date());
  // Leases whose workload this process applied but whose Deployments the cache may not show yet:
  // counted as using their GPUs, so the next lease on the pool does not take the same ones.
  const admitted = new Map<string, AdmittedLease>();
  const ownStatus = new OwnStatusWrites();
  const fence = new QuotaFence();
  const phases = options.registry ? leasePhaseTimer(options.registry) : undefined;

  return async ({ name }: ReconcileRequest, context: ReconcileContext) => {
    const { cache } = context;
    const cached = cache.get(ComputeLeaseKind, name);
    if (
      !cached ||
      cached.metadata.deletionTimestamp ||
      (options.leaseSelector && !options.leaseSelector.matches(cached.metadata.labels))
    ) {
      // Deleted: the garbage collector removes the namespace through its owner reference.
      admitted.delete(name);
      ownStatus.forget(name);
      fence.forget(name);
      phases?.tracker.forget(name);
      return;
    }
    const lease = ownStatus.current(cached);
    const tracked = trackedLease(lease);
    phases?.tracker.start(tracked, now().getTime());
    const log = context.log.child({ leaseId: lease.spec.leaseId, orderId: lease.spec.orderId });
    const isolation = isolationPolicy(cache, options.ingressNamespace);
    const scope = await gather(lease, cache, options.verifier, workloadPolicy(isolation));
    const outcome: Outcome = {
      namespace: observedNamespace(scope.namespaceState),
      reached: new Map(),
    };
    if (scope.verification?.verified) outcome.reached.set('verified', now().getTime());
    try {
      if (lease.spec.closeRequested || scope.verification?.verified === false) {
        admitted.delete(name);
        fence.forget(name);
        phases?.tracker.forget(name);
        outcome.namespace = await tearDown(scope, context);
      } else if (!scope.pool) {
        outcome.pendingReason = `waiting for GpuNodePool ${lease.spec.pool}, which does not exist`;
      } else if (scope.namespaceState.state === 'foreign') {
        outcome.pendingReason = `waiting for the namespace ${scope.namespace} of a deleted lease to be removed`;
      } else if (scope.undecided) {
        outcome.pendingReason = `waiting for verification: ${scope.undecided}`;
      } else if (scope.verification?.verified) {
        await deploy(scope, scope.pool, scope.verification.manifest, context, outcome, {
          admitted,
          fence,
          isolation,
          ingress: options.ingress,
          now,
        });
      }
    } catch (error) {
      if (!(error instanceof KubeApiError) || (error.code !== 400 && error.code !== 422)) {
        throw error; // transient: retried with backoff
      }
      outcome.failure = error.message;
    } finally {
      const written = await writeStatus(scope, outcome, context, log, now());
      if (written) ownStatus.wrote(cached, written);
      if (written?.phase === 'Running') outcome.reached.set('running', now().getTime());
      phases?.record(tracked, outcome.reached);
    }
    if (outcome.failure) {
      throw new TerminalError(`the API server refused an object of lease ${name}`, {
        details: outcome.failure,
        action: 'fix the operator or the manifest; the lease is retried when it changes',
      });
    }
    // The chain side wakes a lease when what it waits for changes; looking again anyway means no
    // lost wake-up can leave a lease waiting for good.
    if (scope.undecided) return { requeueAfterMs: undecidedRetryMs };
  };
}

/** How soon a lease the chain could not decide yet is looked at again without a wake-up. */
const undecidedRetryMs = 15_000;

/** The phase tracker and the histogram it feeds. */
function leasePhaseTimer(registry: Registry) {
  const histogram = leasePhaseSeconds(registry);
  const tracker = new LeasePhaseTracker();
  return {
    tracker,
    record(lease: TrackedLease, done: ReadonlyMap<LeasePhase, number>): void {
      for (const { phase, seconds } of tracker.reached(lease, done)) {
        histogram.observe({ phase }, seconds);
      }
    },
  };
}

/** A lease not yet past Pending is fresh: its way to Running is timed from this reconcile. */
function trackedLease(lease: ComputeLease): TrackedLease {
  const phase = lease.status?.phase;
  return {
    name: lease.metadata.name ?? '',
    uid: lease.metadata.uid ?? '',
    fresh: phase === undefined || phase === 'Pending',
  };
}

async function gather(
  lease: ComputeLease,
  cache: InformerCache,
  verifier: Verifier,
  policy: WorkloadPolicy,
): Promise<Scope> {
  const namespace = leaseNamespaceName(lease.spec.leaseId);
  const state = namespaceState(cache, lease, namespace);
  const pool = cache.get(GpuNodePoolKind, lease.spec.pool);
  const answer = pool ? await verifier.verify(lease, pool, policy) : undefined;
  const undecided = answer && 'undecided' in answer ? answer.undecided : undefined;
  let verification = answer && !('undecided' in answer) ? answer : undefined;
  if (state.state === 'foreign' && !state.terminating) {
    // Two leases with one id, or a namespace made by hand: never take it over.
    verification = {
      verified: false,
      reason: `spec.leaseId: the namespace ${namespace} of lease id ${lease.spec.leaseId} already exists and belongs to ${state.owner}`,
    };
  }
  return {
    lease,
    namespace,
    namespaceState: state,
    pool,
    verification,
    ...(undecided ? { undecided } : {}),
  };
}

function observedNamespace(state: NamespaceState): ObservedLease['namespace'] {
  return state.state === 'active' || state.state === 'terminating' ? state.state : 'absent';
}

/** The Provider's isolation policy (one Provider per cluster), else the operator's default. */
function isolationPolicy(cache: InformerCache, ingressNamespace: string): Partial<TenantIsolation> {
  const [provider] = cache.list(ProviderKind);
  return provider?.spec?.tenantIsolation ?? { ingressNamespace };
}

/** Closing or rejected: the workload must not exist. Deletes the namespace (everything in it goes). */
async function tearDown(
  scope: Scope,
  { client, log }: ReconcileContext,
): Promise<ObservedLease['namespace']> {
  const state = scope.namespaceState;
  if (state.state !== 'active') return observedNamespace(state);
  log.info('deleting the lease namespace', { namespace: scope.namespace });
  const deleted = await client.delete(NamespaceKind, scope.namespace, {
    uid: state.uid,
    propagationPolicy: 'Background',
  });
  return deleted ? 'terminating' : 'absent';
}

interface DeployDependencies {
  readonly admitted: Map<string, AdmittedLease>;
  readonly fence: QuotaFence;
  readonly isolation: Partial<TenantIsolation>;
  readonly ingress?: IngressSettings;
  readonly now: () => Date;
}

/**
 * A verified, open lease: if its workload is not admitted yet, check the pool has room; then
 * apply every object that differs from what it should be, and prune what it no longer declares.
 */
async function deploy(
  scope: Scope,
  pool: GpuNodePool,
  manifest: WorkloadManifest,
  context: ReconcileContext,
  outcome: Outcome,
  { admitted, fence, isolation, ingress, now }: DeployDependencies,
): Promise<void> {
  const { lease, namespace } = scope;
  const { cache } = context;
  const name = lease.metadata.name ?? '';
  if (scope.namespaceState.state === 'terminating') {
    // Deleted by hand: it is re-created once it is gone (its deletion wakes the lease).
    return;
  }
  const desired = desiredObjects(lease, pool, { isolation, ingress });
  const deployed = ownedChildren(cache, DeploymentKind, namespace, lease).length > 0;
  if (!deployed && !admitted.has(name)) {
    const reason = waitForCapacityReason(manifest, {
      gpus: poolHeadroom({
        pool,
        pools: cache.list(GpuNodePoolKind),
        ...poolNodesAndPods(cache, pool),
        admitted: otherAdmittedLeases(cache, lease, pool, admitted),
      }),
    });
    if (reason) {
      outcome.waitingForCapacity = reason;
      return;
    }
  }
  admitted.set(name, { namespace, gpus: manifestTotals(manifest).gpus });

  // A service whose secrets the tenant has not delivered cannot start: its Deployment waits
  // (one already there is kept, not pruned).
  const awaiting = servicesAwaitingSecrets(
    manifest,
    cache.get(NamespaceKind, namespace)?.metadata?.annotations,
  );
  if (awaiting.length > 0) outcome.waitingForSecrets = describeAwaitingSecrets(awaiting);
  const withheld = new Set(awaiting.map(({ service }) => service));
  // Walls before workloads, each tier's writes at once: the namespace; then the quota (bound as
  // soon as it is applied, see quota-fence.ts), limits, policies and identity; then, once quota
  // admission enforces the quota, the Services, the Ingress and the Deployments, so no pod or
  // port exists outside the walls.
  const order = applyOrder(desired);
  const applied = await applyStale(
    context,
    order.filter((o) => o.kind === 'Namespace'),
  );
  outcome.namespace = 'active';
  outcome.reached.set('namespace_applied', now().getTime());
  const [quota, walls] = await Promise.all([
    applyAndEnforceQuota(context, fence, name, desired.resourceQuota),
    applyStale(
      context,
      order.filter((o) => wallKinds.has(o.kind ?? '')),
    ),
  ]);
  applied.push(...quota.applied, ...walls);
  outcome.reached.set('walls_applied', now().getTime());
  const quotaEnforced = quota.enforced;
  if (quotaEnforced) {
    outcome.reached.set('quota_enforced', now().getTime());
    const workloads = await applyStale(
      context,
      order.filter(
        (o) =>
          o.kind !== 'Namespace' &&
          o.kind !== 'ResourceQuota' &&
          !wallKinds.has(o.kind ?? '') &&
          !(o.kind === 'Deployment' && withheld.has(o.metadata?.name ?? '')),
      ),
    );
    applied.push(...workloads);
    if (awaiting.length === 0) outcome.reached.set('deployments_applied', now().getTime());
  }
  const pruned = await prune(context, lease, namespace, desired);
  if (applied.length + pruned > 0) {
    context.log.debug('applied the lease objects', {
      applied: applied.length,
      pruned,
      quotaEnforced,
    });
  }
}

/** What must hold in a lease namespace, with its quota, before anything there runs or listens. */
const wallKinds: ReadonlySet<string> = new Set(['LimitRange', 'NetworkPolicy', 'ServiceAccount']);

/** Applies, all at once, the objects whose cached copy differs; returns them as the API server answered. */
async function applyStale(
  { cache, client }: ReconcileContext,
  objects: readonly KubeObject[],
): Promise<KubeObject[]> {
  const stale = objects.filter(
    (object) => !holdsDesired(object, cache.get(childKind(object), objectKey(object))),
  );
  return Promise.all(
    stale.map((object) => apply(client, childKind(object), object, { force: true })),
  );
}

/**
 * Applies the lease quota if it differs, and tells whether quota admission enforces it: the
 * quota controller has computed its status, or the operator wrote its first status itself where
 * it may (quota-fence.ts).
 */
async function applyAndEnforceQuota(
  context: ReconcileContext,
  fence: QuotaFence,
  lease: string,
  desired: ResourceQuota,
): Promise<{ applied: KubeObject[]; enforced: boolean }> {
  const applied = await applyStale(context, [desired as KubeObject]);
  const [written] = applied as ResourceQuota[];
  const quota = written ?? context.cache.get(ResourceQuotaKind, objectKey(desired as KubeObject));
  return { applied, enforced: await fence.enforce(context, lease, desired, quota) };
}

/** Deletes the lease's objects in its namespace that it no longer declares (a removed service). */
async function prune(
  { cache, client }: ReconcileContext,
  lease: ComputeLease,
  namespace: string,
  desired: DesiredObjects,
): Promise<number> {
  const wanted = new Set(applyOrder(desired).map((o) => `${o.kind}/${o.metadata?.name}`));
  const leftovers = namespacedChildKinds.flatMap((kind) =>
    ownedChildren(cache, kind, namespace, lease)
      .filter((object) => !wanted.has(`${kind.kind}/${object.metadata?.name}`))
      .map((object) => ({ kind, object })),
  );
  await Promise.all(
    leftovers.map(({ kind, object }) =>
      client.delete(kind, object.metadata?.name ?? '', {
        namespace,
        uid: object.metadata?.uid,
      }),
    ),
  );
  return leftovers.length;
}

/**
 * The other open leases of the pool whose workload exists (GPUs from their Deployments) or was
 * just applied by this process (GPUs from the ledger).
 */
function otherAdmittedLeases(
  cache: InformerCache,
  lease: ComputeLease,
  pool: GpuNodePool,
  ledger: ReadonlyMap<string, AdmittedLease>,
): AdmittedLease[] {
  const resource = pool.spec.extendedResourceName;
  return cache
    .list(ComputeLeaseKind, { name: indexes.leasesByPool, value: pool.metadata.name ?? '' })
    .filter((other) => other.metadata.uid !== lease.metadata.uid && !other.spec.closeRequested)
    .flatMap((other) => {
      const namespace = leaseNamespaceName(other.spec.leaseId);
      const deployments = ownedChildren(cache, DeploymentKind, namespace, other);
      if (deployments.length > 0) {
        const gpus = deployments.reduce(
          (sum, d) =>
            sum + (d.spec?.replicas ?? 1) * podRequest({ spec: d.spec?.template?.spec }, resource),
          0,
        );
        return [{ namespace, gpus }];
      }
      const entry = ledger.get(other.metadata.name ?? '');
      return entry ? [entry] : [];
    });
}

/**
 * Computes the status, writes it if it changed (one write), and records the transition; returns
 * the status written, if it wrote.
 */
async function writeStatus(
  scope: Scope,
  outcome: Outcome,
  { cache, client, events }: ReconcileContext,
  log: ReconcileContext['log'],
  now: Date,
): Promise<ControllerLeaseStatus | undefined> {
  const { lease, namespace } = scope;
  const observed: ObservedLease = {
    verification: scope.verification,
    ...(outcome.waitingForCapacity ? { waitingForCapacity: outcome.waitingForCapacity } : {}),
    ...(outcome.waitingForSecrets ? { waitingForSecrets: outcome.waitingForSecrets } : {}),
    namespace: outcome.namespace,
    deployments: ownedChildren(cache, DeploymentKind, namespace, lease),
    services: ownedChildren(cache, ServiceKind, namespace, lease),
    ingresses: ownedChildren(cache, IngressKind, namespace, lease),
  };
  let status = computeLeaseStatus(lease, observed, now);
  if (outcome.failure)
    status = { ...status, phase: 'Failed', message: outcome.failure.slice(0, 32_768) };
  else if (outcome.pendingReason) status = { ...status, message: outcome.pendingReason };
  if (!statusChanged(lease, status)) return undefined;
  try {
    await applyStatus(client, ComputeLeaseKind, lease, status);
  } catch (error) {
    if (isNotFound(error)) return undefined; // deleted meanwhile
    throw error;
  }
  const event = leaseTransitionEvent(lease.status?.phase, status);
  if (!event) return status;
  events.record(ComputeLeaseKind, lease, { ...event, action: actionOf(status.phase) });
  const fields = { phase: status.phase, from: lease.status?.phase, detail: status.message };
  if (event.type === 'Warning') log.warn(`lease ${status.phase}`, fields);
  else log.info(`lease ${status.phase}`, fields);
  return status;
}

/** True when a field the controller writes differs, or was written before and is now left out. */
function statusChanged(lease: ComputeLease, status: ControllerLeaseStatus): boolean {
  const current = lease.status ?? {};
  const ours = new Set(status.conditions.map((c) => c.type));
  const currentConditions = (current.conditions ?? []).filter((c) => ours.has(c.type));
  return controllerStatusKeys.some((key) =>
    key === 'conditions'
      ? !jsonEqual(status.conditions, currentConditions)
      : !jsonEqual(status[key], current[key]),
  );
}

/** The Event action (what the operator was doing) for a phase. */
function actionOf(phase: ControllerLeaseStatus['phase']): string {
  switch (phase) {
    case 'Rejected':
    case 'Pending':
      return 'Verify';
    case 'Closing':
    case 'Closed':
      return 'Close';
    default:
      return 'Deploy';
  }
}
