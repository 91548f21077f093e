// The status of a ComputeLease computed from what the controller observed. Pure: the reconciler
// gathers the inputs, calls this once, and writes the result once.
import type { V1Deployment, V1Ingress, V1Service } from '@kubernetes/client-node';
import {
  ComputeLeaseSpec,
  leaseConditionTypes,
  leaseReasons,
  type ComputeLease,
  type ComputeLeaseStatus,
  type LeaseEndpoint,
  type LeasePhase,
} from '../../api/computelease.js';
import { withDefaults } from '../../api/validate.js';
import { setCondition, type Condition } from '../../kube/conditions.js';
import type { Wire } from '../../kube/objects.js';
import { leaseNamespaceName } from '../../workloads/names.js';

/** What the reconciler observed for one lease. */
export interface ObservedLease {
  /** The verification result; undefined while it has not run (e.g. the chain is unreachable). */
  readonly verification?: { verified: true } | { verified: false; reason: string };
  /** Why the pool cannot start the workload now (waitForCapacityReason), if it cannot. */
  readonly waitingForCapacity?: string;
  /** The secrets services wait for (describeAwaitingSecrets), if any. */
  readonly waitingForSecrets?: string;
  /** The lease namespace: not there, there, or being deleted. */
  readonly namespace: 'absent' | 'active' | 'terminating';
  /** Deployments in the lease namespace. */
  readonly deployments: readonly Wire<V1Deployment>[];
  /** Services in the lease namespace (for load balancer addresses). */
  readonly services: readonly Wire<V1Service>[];
  /** Ingresses in the lease namespace (for the URLs of HTTP ports). */
  readonly ingresses: readonly Wire<V1Ingress>[];
}

/** The fields of the status this controller owns (the chain side owns price, escrow, Funded). */
export type ControllerLeaseStatus = Pick<
  ComputeLeaseStatus,
  | 'phase'
  | 'observedGeneration'
  | 'namespace'
  | 'replicas'
  | 'readyReplicas'
  | 'endpoints'
  | 'closeReason'
  | 'message'
> & { conditions: Condition[] };

/**
 * The lease status for what was observed.
 *
 * @example
 * const status = computeLeaseStatus(lease, { verification, namespace: 'active', deployments, services, ingresses }, new Date());
 */
export function computeLeaseStatus(
  lease: ComputeLease,
  observed: ObservedLease,
  now: Date,
): ControllerLeaseStatus {
  const spec = withDefaults(ComputeLeaseSpec, lease.spec) as ComputeLeaseSpec;
  const generation = lease.metadata.generation;
  // Funded belongs to the settlement (another field manager): leaving it out keeps it theirs.
  const previous = ((lease.status?.conditions ?? []) as Condition[]).filter(
    (c) => c.type === leaseConditionTypes.Verified || c.type === leaseConditionTypes.Available,
  );
  const namespace = leaseNamespaceName(spec.leaseId);
  const services = Array.isArray(spec.manifest?.services) ? spec.manifest.services : [];
  const replicas = services.reduce((sum, s) => sum + (s.replicas ?? 1), 0);
  const readyReplicas = services.reduce(
    (sum, s) =>
      sum +
      (observed.deployments.find((d) => d.metadata?.name === s.name)?.status?.readyReplicas ?? 0),
    0,
  );
  const decision = decide(spec, observed, replicas, readyReplicas);

  let conditions = setCondition(
    previous,
    { ...decision.verified, observedGeneration: generation },
    now,
  );
  conditions = setCondition(
    conditions,
    { ...decision.available, observedGeneration: generation },
    now,
  );
  // Ready replicas and endpoints are only reported for a verified, open lease's workload.
  const running =
    observed.namespace === 'active' &&
    observed.verification?.verified === true &&
    !spec.closeRequested;
  return {
    phase: decision.phase,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...(observed.namespace === 'absent' ? {} : { namespace }),
    replicas,
    readyReplicas: running ? readyReplicas : 0,
    endpoints: running ? leaseEndpoints(spec, namespace, observed) : [],
    ...(spec.closeRequested ? { closeReason: spec.closeRequested.reason } : {}),
    message: decision.message,
    conditions,
  };
}

interface Decision {
  phase: LeasePhase;
  message: string;
  verified: { type: string; status: Condition['status']; reason: string; message: string };
  available: { type: string; status: Condition['status']; reason: string; message: string };
}

function decide(
  spec: ComputeLeaseSpec,
  observed: ObservedLease,
  replicas: number,
  readyReplicas: number,
): Decision {
  const verification = observed.verification;
  const verified: Decision['verified'] = !verification
    ? condition(leaseConditionTypes.Verified, 'Unknown', leaseReasons.Pending, 'not verified yet')
    : verification.verified
      ? condition(
          leaseConditionTypes.Verified,
          'True',
          leaseReasons.Verified,
          'the lease checks out',
        )
      : condition(
          leaseConditionTypes.Verified,
          'False',
          leaseReasons.Rejected,
          verification.reason,
        );
  const notAvailable = (reason: string, message: string) => ({
    verified,
    available: condition(leaseConditionTypes.Available, 'False', reason, message),
    message,
  });

  if (spec.closeRequested) {
    return observed.namespace === 'absent'
      ? {
          phase: 'Closed',
          ...notAvailable(leaseReasons.Closed, `closed: ${spec.closeRequested.reason}`),
        }
      : {
          phase: 'Closing',
          ...notAvailable(
            leaseReasons.CloseRequested,
            `closing (${spec.closeRequested.reason}): tearing the workload down`,
          ),
        };
  }
  if (!verification) {
    return { phase: 'Pending', ...notAvailable(leaseReasons.Pending, 'waiting for verification') };
  }
  if (!verification.verified) {
    return {
      phase: 'Rejected',
      ...notAvailable(leaseReasons.Rejected, `rejected: ${verification.reason}`),
    };
  }
  if (observed.deployments.length === 0 && observed.waitingForCapacity) {
    return {
      phase: 'Deploying',
      ...notAvailable(
        leaseReasons.InsufficientCapacity,
        `waiting for capacity on pool ${spec.pool}: ${observed.waitingForCapacity}`,
      ),
    };
  }
  if (observed.waitingForSecrets) {
    return {
      phase: 'Deploying',
      ...notAvailable(
        leaseReasons.SecretsMissing,
        `waiting for the tenant's secrets (supercloud secrets set ${spec.leaseId} ...): ${observed.waitingForSecrets}`,
      ),
    };
  }
  const stuck = observed.deployments.find(progressDeadlineExceeded);
  if (stuck) {
    return {
      phase: 'Failed',
      ...notAvailable(
        leaseReasons.ProgressDeadlineExceeded,
        `service ${stuck.metadata?.name}: ${progressingCondition(stuck)?.message ?? 'no progress'}`,
      ),
    };
  }
  const services = spec.manifest.services;
  const rolledOut =
    observed.namespace === 'active' &&
    services.every((service) => {
      const deployment = observed.deployments.find((d) => d.metadata?.name === service.name);
      return deployment !== undefined && isRolledOut(deployment, service.replicas);
    });
  if (rolledOut) {
    const message = `${readyReplicas}/${replicas} replicas ready`;
    return {
      phase: 'Running',
      verified,
      available: condition(
        leaseConditionTypes.Available,
        'True',
        leaseReasons.ReplicasReady,
        message,
      ),
      message,
    };
  }
  return {
    phase: 'Deploying',
    ...notAvailable(leaseReasons.Deploying, `${readyReplicas}/${replicas} replicas ready`),
  };
}

function condition(type: string, status: Condition['status'], reason: string, message: string) {
  return { type, status, reason, message };
}

function progressingCondition(deployment: Wire<V1Deployment>) {
  return deployment.status?.conditions?.find((c) => c.type === 'Progressing');
}

function progressDeadlineExceeded(deployment: Wire<V1Deployment>): boolean {
  const progressing = progressingCondition(deployment);
  return progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded';
}

/** The Deployment controller has seen the latest spec and every replica is updated and ready. */
function isRolledOut(deployment: Wire<V1Deployment>, replicas: number): boolean {
  const status = deployment.status ?? {};
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    deployment.spec?.replicas === replicas &&
    (status.updatedReplicas ?? 0) === replicas &&
    (status.readyReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas
  );
}

/**
 * Exposed ports: at the load balancer's address when there is one, else the Service DNS name;
 * with the URL of the host an Ingress routes to the port, when one does.
 */
export function leaseEndpoints(
  spec: ComputeLeaseSpec,
  namespace: string,
  { services, ingresses }: Pick<ObservedLease, 'services' | 'ingresses'>,
): LeaseEndpoint[] {
  const urls = ingressUrls(ingresses);
  return spec.manifest.services.flatMap((service) => {
    const observed = services.find((s) => s.metadata?.name === service.name);
    const ingress = observed?.status?.loadBalancer?.ingress?.[0];
    const host = ingress?.ip ?? ingress?.hostname ?? `${service.name}.${namespace}.svc`;
    return service.ports
      .filter((port) => port.expose)
      .map((port) => {
        const url = port.protocol === 'TCP' ? urls.get(`${service.name}:${port.port}`) : undefined;
        return {
          service: service.name,
          port: port.port,
          protocol: port.protocol,
          host,
          ...(url ? { url } : {}),
        };
      });
  });
}

/**
 * The URL of each Service port the Ingresses route to, by `<service>:<port>`: https when a TLS
 * entry lists the rule's host, else http.
 */
function ingressUrls(ingresses: readonly Wire<V1Ingress>[]): Map<string, string> {
  const urls = new Map<string, string>();
  for (const { spec } of ingresses) {
    const tlsHosts = new Set(spec?.tls?.flatMap((tls) => tls.hosts ?? []));
    for (const rule of spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        const port = backend?.port?.number;
        if (!rule.host || !backend || port === undefined) continue;
        const scheme = tlsHosts.has(rule.host) ? 'https' : 'http';
        urls.set(`${backend.name}:${port}`, `${scheme}://${rule.host}`);
      }
    }
  }
  return urls;
}

/** An Event to record when the phase changes: Warning for Rejected and Failed. */
export interface LeaseTransitionEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly note: string;
}

/**
 * The Event for a phase change, or undefined when the phase did not change.
 *
 * @example const event = leaseTransitionEvent(lease.status?.phase, status);
 */
export function leaseTransitionEvent(
  previousPhase: LeasePhase | undefined,
  status: ControllerLeaseStatus,
): LeaseTransitionEvent | undefined {
  if (!status.phase || status.phase === previousPhase) return undefined;
  const warning = status.phase === 'Rejected' || status.phase === 'Failed';
  return {
    type: warning ? 'Warning' : 'Normal',
    reason: status.phase,
    note: `${previousPhase ?? 'New'} → ${status.phase}: ${status.message ?? ''}`.slice(0, 1024),
  };
}
