// A pool's nodes and the GPUs on them, pure: which nodes a pool counts (a node several pools
// select is counted once, by the most specific selector, then the first name), how many GPUs
// they have, hold and can give. The GpuNodePool status and the ComputeLease controller's room
// check both come from here.
import { isDeepStrictEqual } from 'node:util';
import type { V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import type { GpuNodePool, GpuNodePoolStatus } from '../api/gpunodepool.js';
import type { Wire } from '../kube/objects.js';

/** What the accounting reads. */
export interface PoolNodesInputs {
  readonly pool: GpuNodePool;
  /** Every GpuNodePool in the cluster (this one included), to settle overlaps. */
  readonly pools: readonly GpuNodePool[];
  readonly nodes: readonly Wire<V1Node>[];
  /** Pods bound to nodes (others are ignored). */
  readonly pods: readonly Wire<V1Pod>[];
}

/** The GPU figures of a pool (the shape of GpuNodePool.status.gpus). */
export type PoolGpus = NonNullable<GpuNodePoolStatus['gpus']>;

/** A pool's nodes and GPUs as counted. */
export interface PoolAccounting {
  /** Nodes this pool counts. */
  readonly counted: readonly Wire<V1Node>[];
  /** Counted nodes that are not Ready or not schedulable, by name. */
  readonly notReady: readonly string[];
  /** Nodes the pool selects but another pool counts, by name. */
  readonly overlapping: readonly string[];
  readonly gpus: PoolGpus;
}

/** True when the node has every label of the pool's selector. */
export function poolSelectsNode(pool: GpuNodePool, node: Wire<V1Node>): boolean {
  const nodeLabels = node.metadata?.labels ?? {};
  return Object.entries(pool.spec.nodeSelector).every(([key, value]) => nodeLabels[key] === value);
}

/**
 * The pool that counts a node: among the pools selecting it, the one with the most selector
 * labels (the most specific), then the first by name. Undefined when no pool selects it.
 */
export function poolCountingNode(
  pools: readonly GpuNodePool[],
  node: Wire<V1Node>,
): GpuNodePool | undefined {
  return pools
    .filter((pool) => poolSelectsNode(pool, node))
    .sort(
      (a, b) =>
        Object.keys(b.spec.nodeSelector).length - Object.keys(a.spec.nodeSelector).length ||
        (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    )[0];
}

/** Ready condition True and not cordoned. */
export function isNodeReady(node: Wire<V1Node>): boolean {
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return ready === true && node.spec?.unschedulable !== true;
}

/** The nodes a pool counts. */
export function countedNodes({ pool, pools, nodes }: PoolNodesInputs): Wire<V1Node>[] {
  const name = pool.metadata.name;
  return nodes.filter((node) => poolCountingNode(pools, node)?.metadata.name === name);
}

/**
 * Counts a pool's nodes and GPUs: capacity, allocatable, allocated by pods bound to its nodes,
 * free on Ready nodes less the GPUs held back, and the most free on one node.
 *
 * @example poolAccounting({ pool, pools, nodes, pods }).gpus.free
 */
export function poolAccounting(inputs: PoolNodesInputs): PoolAccounting {
  const { pool, nodes, pods } = inputs;
  const resource = pool.spec.extendedResourceName;
  const counted = countedNodes(inputs);
  const countedNames = new Set(counted.map((node) => node.metadata?.name));
  const overlapping = nodes
    .filter((node) => poolSelectsNode(pool, node) && !countedNames.has(node.metadata?.name))
    .map((node) => node.metadata?.name ?? '');

  const allocatedByNode = new Map<string, number>();
  for (const pod of pods) {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || !countedNames.has(nodeName)) continue;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    allocatedByNode.set(nodeName, (allocatedByNode.get(nodeName) ?? 0) + podRequest(pod, resource));
  }

  let capacity = 0;
  let allocatable = 0;
  let allocated = 0;
  let freeOnReadyNodes = 0;
  let largestFreeOnNode = 0;
  const notReady: string[] = [];
  for (const node of counted) {
    const name = node.metadata?.name ?? '';
    const nodeAllocatable = count(node.status?.allocatable?.[resource]);
    const nodeAllocated = allocatedByNode.get(name) ?? 0;
    capacity += count(node.status?.capacity?.[resource]);
    allocatable += nodeAllocatable;
    allocated += nodeAllocated;
    if (isNodeReady(node)) {
      const free = Math.max(0, nodeAllocatable - nodeAllocated);
      freeOnReadyNodes += free;
      largestFreeOnNode = Math.max(largestFreeOnNode, free);
    } else {
      notReady.push(name);
    }
  }
  const free = Math.max(0, freeOnReadyNodes - pool.spec.reservedGpus);
  return {
    counted,
    notReady,
    overlapping,
    gpus: {
      capacity,
      allocatable,
      allocated,
      free,
      largestFreeOnNode: Math.min(largestFreeOnNode, free),
    },
  };
}

/** A GPU count from a quantity string ("8"); anything else counts as none. */
function count(quantity: string | undefined): number {
  return quantity !== undefined && /^\d+$/.test(quantity) ? Number(quantity) : 0;
}

function containerRequest(container: Wire<V1Container>, resource: string): number {
  const { requests, limits } = container.resources ?? {};
  // For extended resources a request equals the limit; a limit alone implies the request.
  return count(requests?.[resource] ?? limits?.[resource]);
}

/** GPUs a pod holds: its containers' sum, or its largest init container if that is more. */
export function podRequest(pod: Wire<V1Pod>, resource: string): number {
  const containers = (pod.spec?.containers ?? []).reduce(
    (sum, container) => sum + containerRequest(container, resource),
    0,
  );
  const init = (pod.spec?.initContainers ?? []).reduce(
    (max, container) => Math.max(max, containerRequest(container, resource)),
    0,
  );
  return Math.max(containers, init);
}

/**
 * True when a node update changes what the accounting reads of it: its labels (which pool
 * selects it), readiness and cordon, and its capacity and allocatable. False for a heartbeat, a
 * condition's timestamps or an image list, which a kubelet or KWOK writes all the time.
 */
export function nodeAccountingChanged(old: Wire<V1Node>, node: Wire<V1Node>): boolean {
  return (
    isNodeReady(old) !== isNodeReady(node) ||
    !isDeepStrictEqual(old.metadata?.labels ?? {}, node.metadata?.labels ?? {}) ||
    !isDeepStrictEqual(old.status?.capacity ?? {}, node.status?.capacity ?? {}) ||
    !isDeepStrictEqual(old.status?.allocatable ?? {}, node.status?.allocatable ?? {})
  );
}

/**
 * True when a pod update changes what the accounting reads of it: the node it is bound to, its
 * phase (a finished pod holds no GPU), and its containers' resources.
 */
export function podAccountingChanged(old: Wire<V1Pod>, pod: Wire<V1Pod>): boolean {
  const resources = (p: Wire<V1Pod>) =>
    [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c) => c.resources);
  return (
    old.spec?.nodeName !== pod.spec?.nodeName ||
    old.status?.phase !== pod.status?.phase ||
    !isDeepStrictEqual(resources(old), resources(pod))
  );
}

/**
 * A pod as the accounting reads it: its metadata, node, phase and containers' resources. The
 * operator caches pods in this shape: their volumes, environment, probes and status conditions,
 * most of a pod, are never read.
 */
export function podAccountingView(pod: Wire<V1Pod>): Wire<V1Pod> {
  const resourcesOf = (containers: readonly Wire<V1Container>[] | undefined) =>
    containers?.map(({ name, resources }) => ({ name, ...(resources ? { resources } : {}) }));
  const initContainers = resourcesOf(pod.spec?.initContainers);
  return {
    ...(pod.apiVersion ? { apiVersion: pod.apiVersion } : {}),
    ...(pod.kind ? { kind: pod.kind } : {}),
    metadata: pod.metadata,
    spec: {
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      containers: resourcesOf(pod.spec?.containers) ?? [],
      ...(initContainers ? { initContainers } : {}),
    },
    ...(pod.status?.phase ? { status: { phase: pod.status.phase } } : {}),
  };
}
