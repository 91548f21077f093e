// GET /v1/leases/{id}/status: the lease as the tenant needs it — phase, conditions, each
// service's replicas ready and desired, where the exposed ports answer, and the escrow figures.
import type { ComputeLease, LeaseEndpoint } from '../api/computelease.js';
import { labels } from '../api/constants.js';
import type { KubeClient } from '../kube/client.js';
import type { Condition } from '../kube/conditions.js';
import { DeploymentKind } from '../kube/objects.js';
import { leaseNamespaceName } from '../workloads/names.js';

/** What the status endpoint answers. */
export interface LeaseStatusAnswer {
  readonly leaseId: string;
  readonly phase: string;
  readonly message?: string;
  readonly conditions: readonly Pick<Condition, 'type' | 'status' | 'reason' | 'message'>[];
  readonly services: readonly {
    readonly name: string;
    readonly replicas: number;
    readonly readyReplicas: number;
  }[];
  readonly endpoints: readonly LeaseEndpoint[];
  readonly escrow: {
    readonly pricePerSecond?: string;
    readonly escrowBalance?: string;
    readonly fundedUntil?: string;
    readonly amountWithdrawn?: string;
  };
  readonly closeReason?: string;
}

export async function leaseStatus(
  client: KubeClient,
  lease: ComputeLease,
): Promise<LeaseStatusAnswer> {
  const status = lease.status ?? {};
  const namespace = leaseNamespaceName(lease.spec.leaseId);
  const deployments = lease.spec.closeRequested
    ? []
    : (await client.list(DeploymentKind, { namespace })).items;
  const byService = new Map(
    deployments.map((d) => [d.metadata?.labels?.[labels.service] ?? d.metadata?.name ?? '', d]),
  );
  return {
    leaseId: lease.spec.leaseId,
    phase: status.phase ?? 'Pending',
    ...(status.message ? { message: status.message } : {}),
    conditions: ((status.conditions ?? []) as Condition[]).map(
      ({ type, status, reason, message }) => ({
        type,
        status,
        reason,
        message,
      }),
    ),
    services: lease.spec.manifest.services.map((service) => {
      const deployment = byService.get(service.name);
      return {
        name: service.name,
        replicas: service.replicas,
        readyReplicas: deployment?.status?.readyReplicas ?? 0,
      };
    }),
    endpoints: status.endpoints ?? [],
    escrow: {
      ...(status.pricePerSecond ? { pricePerSecond: status.pricePerSecond } : {}),
      ...(status.escrowBalance ? { escrowBalance: status.escrowBalance } : {}),
      ...(status.fundedUntil ? { fundedUntil: status.fundedUntil } : {}),
      ...(status.amountWithdrawn ? { amountWithdrawn: status.amountWithdrawn } : {}),
    },
    ...(status.closeReason ? { closeReason: status.closeReason } : {}),
  };
}
