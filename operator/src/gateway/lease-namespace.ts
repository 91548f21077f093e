// The lease namespace as the gateway reads and annotates it. Read from the API server, never the
// informer cache: what another replica wrote a moment ago decides the answer. Its annotations are
// changed with the resourceVersion read as a precondition (a JSON merge patch carrying
// metadata.resourceVersion), so two requests changing them at once, on one replica or on two,
// never lose each other's change: the one that loses the race (409 Conflict) reads again and
// retries.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '../kube/client.js';
import { isConflict } from '../kube/errors.js';
import { NamespaceKind, type ObjectOf } from '../kube/objects.js';
import { leaseNamespaceName } from '../workloads/names.js';
import { GatewayError } from './errors.js';

export type LeaseNamespace = ObjectOf<typeof NamespaceKind>;

/** The annotations to set, computed from the namespace's current ones; may throw a refusal. */
export type AnnotationUpdate = (
  current: Readonly<Record<string, string>>,
) => Readonly<Record<string, string>>;

/** How many times a change is tried when others keep winning the race for the namespace. */
export const annotationUpdateAttempts = 10;
/** Upper bound of the random pause before retry n (n × this, in ms): racers spread out. */
const retrySpreadMs = 20;

/** The lease namespace, or a refusal when it is not there (yet, or any more). */
export async function readLeaseNamespace(
  client: KubeClient,
  leaseId: string,
): Promise<LeaseNamespace> {
  const namespace = await client.get(NamespaceKind, leaseNamespaceName(leaseId));
  if (!namespace || namespace.metadata?.deletionTimestamp) {
    throw new GatewayError(
      409,
      'NamespaceNotReady',
      `lease ${leaseId} has no namespace now (it is made once the lease is verified and the pool has room); try again shortly`,
    );
  }
  return namespace;
}

/**
 * Sets annotations of the lease namespace from its current ones, atomically: `update` sees the
 * latest annotations and its result is written only if nobody changed the namespace since.
 * Returns what was written. Throws what `update` throws, NamespaceNotReady, or 503 Busy when
 * every attempt lost the race.
 *
 * @example
 * await updateLeaseAnnotations(client, '42', (current) => ({ [key]: next(current[key]) }));
 */
export async function updateLeaseAnnotations(
  client: KubeClient,
  leaseId: string,
  update: AnnotationUpdate,
): Promise<Readonly<Record<string, string>>> {
  for (let attempt = 1; attempt <= annotationUpdateAttempts; attempt += 1) {
    const namespace = await readLeaseNamespace(client, leaseId);
    const { name = '', resourceVersion, annotations = {} } = namespace.metadata ?? {};
    const changed = update(annotations);
    try {
      await client.patch(NamespaceKind, name, 'merge', {
        metadata: { resourceVersion, annotations: changed },
      });
      return changed;
    } catch (error) {
      if (!isConflict(error)) throw error;
      await sleep(Math.random() * retrySpreadMs * attempt);
    }
  }
  throw new GatewayError(
    503,
    'Busy',
    `lease ${leaseId}'s namespace kept changing under this request (${annotationUpdateAttempts} attempts); try again`,
  );
}
