import type { KubeClient } from './client.js';
import { isNotFound } from './errors.js';
import type { KubeObject, ResourceKind } from './objects.js';

export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata?.finalizers?.includes(finalizer) ?? false;
}

/**
 * Adds a finalizer (no request when it is there). The patch carries the object's
 * resourceVersion, so a concurrent change fails with 409 instead of losing another
 * manager's finalizer; the reconcile then retries on fresh data.
 */
export async function addFinalizer<T extends KubeObject>(
  client: KubeClient,
  kind: ResourceKind<T>,
  object: T,
  finalizer: string,
): Promise<T> {
  if (hasFinalizer(object, finalizer)) return object;
  return writeFinalizers(client, kind, object, [...(object.metadata?.finalizers ?? []), finalizer]);
}

/**
 * Removes a finalizer (no request when it is absent). Resolves to undefined when the object is
 * gone afterwards or already was.
 */
export async function removeFinalizer<T extends KubeObject>(
  client: KubeClient,
  kind: ResourceKind<T>,
  object: T,
  finalizer: string,
): Promise<T | undefined> {
  if (!hasFinalizer(object, finalizer)) return object;
  const remaining = (object.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
  try {
    return await writeFinalizers(client, kind, object, remaining);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function writeFinalizers<T extends KubeObject>(
  client: KubeClient,
  kind: ResourceKind<T>,
  object: T,
  finalizers: string[],
): Promise<T> {
  const patch = { metadata: { resourceVersion: object.metadata?.resourceVersion, finalizers } };
  return client.patch(kind, object.metadata?.name ?? '', 'merge', patch, {
    namespace: object.metadata?.namespace,
  });
}
