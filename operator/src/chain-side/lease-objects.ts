// The cluster side of the lease sync and the settlement: ComputeLeases and pools from the
// informer cache, the lease spec written by server-side apply under the lease sync's own field
// manager, and the settlement's status fields under another, so neither removes what the
// ComputeLease controller (field manager supercloud-operator) writes, nor the reverse.
import type { ComputeLease } from '../api/computelease.js';
import { apply, applyStatus } from '../kube/apply.js';
import type { KubeClient } from '../kube/client.js';
import { metaTime } from '../kube/conditions.js';
import type { EventRecorder } from '../kube/events.js';
import type { InformerCache } from '../kube/informer-cache.js';
import type { LeaseClose, LeaseObjects } from '../market/lease-sync.js';
import type { SettlementObjects } from '../market/settlement.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../api/kinds.js';

/** Field manager of the ComputeLease specs the lease sync writes. */
export const leaseSyncFieldManager = 'supercloud-lease-sync';
/** Field manager of the settlement's ComputeLease status fields. */
export const settlementFieldManager = 'supercloud-settlement';

export interface LeaseObjectsDependencies {
  readonly client: KubeClient;
  readonly cache: InformerCache;
  readonly events: EventRecorder;
  /** Labels every chain-made lease carries (what the operator's lease selector asks for). */
  readonly labels: Readonly<Record<string, string>>;
}

/** The {@link LeaseObjects} and {@link SettlementObjects} of a cluster. */
export function leaseObjects(deps: LeaseObjectsDependencies): LeaseObjects & SettlementObjects {
  const { client, cache, events } = deps;
  return {
    list: () => cache.list(ComputeLeaseKind),
    get: (name) => cache.get(ComputeLeaseKind, name),
    pools: () => cache.list(GpuNodePoolKind),
    labels: () => deps.labels,
    async apply(lease) {
      await apply(client, ComputeLeaseKind, lease, {
        force: true,
        fieldManager: leaseSyncFieldManager,
      });
    },
    async requestClose(lease: ComputeLease, close: LeaseClose) {
      // A merge patch: the rest of the spec stays as applied.
      await client.patch(
        ComputeLeaseKind,
        lease.metadata.name ?? '',
        'merge',
        { spec: { closeRequested: { ...close, requestedAt: metaTime(new Date()) } } },
        { fieldManager: leaseSyncFieldManager },
      );
    },
    async remove(lease: ComputeLease, why: string) {
      events.record(ComputeLeaseKind, lease, {
        type: 'Warning',
        reason: 'CloseTakenBack',
        action: 'Reopen',
        note: why,
      });
      // This exact object: never a newer one of the same name.
      await client.delete(ComputeLeaseKind, lease.metadata.name ?? '', {
        ...(lease.metadata.uid ? { uid: lease.metadata.uid } : {}),
      });
    },
    async writeStatus(lease, status) {
      await applyStatus(client, ComputeLeaseKind, lease, status, {
        fieldManager: settlementFieldManager,
      });
    },
    warn(lease, reason, note) {
      events.record(ComputeLeaseKind, lease, { type: 'Warning', reason, action: 'Settle', note });
    },
  };
}
