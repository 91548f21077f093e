import type { KubeClient } from './client.js';
import { KubeRuntimeError } from './errors.js';
import type { KubeObject, ResourceKind } from './objects.js';

export interface ApplyOptions {
  /**
   * Take over fields another manager owns. Only where the operator is the owner of the field by
   * design (e.g. its own objects' spec); otherwise a conflict is the right answer.
   */
  readonly force?: boolean;
  /**
   * Field manager other than `supercloud-operator`: for a part of the operator that owns a
   * distinct set of fields of an object another part writes too (e.g. the settlement's status
   * fields of a ComputeLease), so neither removes the other's fields.
   */
  readonly fieldManager?: string;
}

/**
 * Server-side apply under the field manager `supercloud-operator`: the object is declared as it
 * should be; fields the operator applied before and no longer declares are removed; fields
 * other managers own are left alone. Works for core, apps, networking and custom resources.
 *
 * @example await apply(client, DeploymentKind, desiredDeployment(lease))
 */
export async function apply<T extends KubeObject>(
  client: KubeClient,
  kind: ResourceKind<T>,
  desired: T,
  options: ApplyOptions = {},
): Promise<T> {
  const { name, namespace } = nameOf(kind, desired);
  const body = { ...desired, apiVersion: kind.apiVersion, kind: kind.kind };
  return client.patch(kind, name, 'apply', body, {
    namespace,
    force: options.force,
    ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}),
  });
}

/**
 * Writes `status` through the status subresource by server-side apply (the operator owns
 * status, so it forces). Send the whole status the operator manages: fields it applied before
 * and leaves out are removed. One status write per reconcile.
 */
export async function applyStatus<T extends KubeObject, S>(
  client: KubeClient,
  kind: ResourceKind<T>,
  object: KubeObject,
  status: S,
  options: Pick<ApplyOptions, 'fieldManager'> = {},
): Promise<T> {
  const { name, namespace } = nameOf(kind, object);
  const body = {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    status,
  };
  return client.patch(kind, name, 'apply', body, {
    namespace,
    subresource: 'status',
    force: true,
    ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}),
  });
}

/** Merges `status` into the status subresource (JSON merge patch: null deletes a field). */
export async function mergeStatus<T extends KubeObject, S>(
  client: KubeClient,
  kind: ResourceKind<T>,
  object: KubeObject,
  status: S,
): Promise<T> {
  const { name, namespace } = nameOf(kind, object);
  return client.patch(kind, name, 'merge', { status }, { namespace, subresource: 'status' });
}

function nameOf(kind: ResourceKind, object: KubeObject): { name: string; namespace?: string } {
  const name = object.metadata?.name;
  if (!name) {
    throw new KubeRuntimeError(`cannot write a ${kind.kind} without metadata.name`, {
      action: 'set metadata.name on the object',
    });
  }
  if (kind.namespaced && !object.metadata?.namespace) {
    throw new KubeRuntimeError(`cannot write ${kind.kind} ${name} without metadata.namespace`, {
      action: 'set metadata.namespace on the object',
    });
  }
  return { name, namespace: kind.namespaced ? object.metadata?.namespace : undefined };
}
