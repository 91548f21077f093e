// The status of a GpuNodePool from the Nodes its selector matches and the pods bound to them.
// A node that several pools select is counted by one of them only (the most specific selector,
// then the first name), and reported by the others as overlapping.
import type { V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import type { ComputeLease, LeasePhase } from '../../api/computelease.js';
import {
  poolConditionTypes,
  poolReasons,
  type GpuNodePool,
  type GpuNodePoolStatus,
} from '../../api/gpunodepool.js';
import { setCondition, type Condition } from '../../kube/conditions.js';
import type { Wire } from '../../kube/objects.js';

/** Node names listed in status, at most. */
const maxListedNodes = 100;

/** Lease phases that no longer hold capacity. */
const finishedPhases: readonly LeasePhase[] = ['Closed', 'Rejected'];

export interface PoolStatusInputs {
  readonly pool: GpuNodePool;
  /** Every GpuNodePool in the cluster (this one included), to settle overlaps. */
  readonly pools: readonly GpuNodePool[];
  readonly nodes: readonly Wire<V1Node>[];
  /** Pods bound to nodes (others are ignored). */
  readonly pods: readonly Wire<V1Pod>[];
  readonly leases: readonly ComputeLease[];
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

/** Readiness of the nodes a pool counts, by name (the input of nodeTransitions). */
export function countedNodeReadiness(inputs: PoolStatusInputs): Map<string, boolean> {
  return new Map(
    countedNodes(inputs).map((node) => [node.metadata?.name ?? '', isNodeReady(node)]),
  );
}

function countedNodes({ pool, pools, nodes }: PoolStatusInputs): Wire<V1Node>[] {
  const name = pool.metadata.name;
  return nodes.filter((node) => poolCountingNode(pools, node)?.metadata.name === name);
}

/**
 * The pool status (with NodesReady and NodeSelectorOverlap conditions).
 *
 * @example await writeStatus(pool, computePoolStatus({ pool, pools, nodes, pods, leases }, new Date()));
 */
export function computePoolStatus(inputs: PoolStatusInputs, now: Date): GpuNodePoolStatus {
  const { pool, nodes, pods, leases } = inputs;
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
  const generation = pool.metadata.generation;
  const previous = (pool.status?.conditions ?? []) as Condition[];
  const conditions = setCondition(
    setCondition(
      previous,
      { ...readiness(counted.length, notReady), observedGeneration: generation },
      now,
    ),
    { ...overlap(overlapping), observedGeneration: generation },
    now,
  );

  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    nodes: counted.length,
    readyNodes: counted.length - notReady.length,
    gpus: {
      capacity,
      allocatable,
      allocated,
      free,
      largestFreeOnNode: Math.min(largestFreeOnNode, free),
    },
    activeLeases: leases.filter(
      (lease) =>
        lease.spec.pool === pool.metadata.name &&
        !finishedPhases.includes(lease.status?.phase ?? 'Pending'),
    ).length,
    notReadyNodes: notReady.sort().slice(0, maxListedNodes),
    overlappingNodes: overlapping.sort().slice(0, maxListedNodes),
    conditions,
  };
}

function readiness(nodes: number, notReady: readonly string[]) {
  const type = poolConditionTypes.NodesReady;
  if (nodes === 0) {
    return {
      type,
      status: 'False' as const,
      reason: poolReasons.NoNodes,
      message: 'no node matches the nodeSelector',
    };
  }
  if (notReady.length > 0) {
    return {
      type,
      status: 'False' as const,
      reason: poolReasons.NodesNotReady,
      message: `${notReady.length} of ${nodes} nodes not ready: ${listed(notReady)}`,
    };
  }
  return {
    type,
    status: 'True' as const,
    reason: poolReasons.AllNodesReady,
    message: `${nodes} nodes ready`,
  };
}

function overlap(overlapping: readonly string[]) {
  const type = poolConditionTypes.NodeSelectorOverlap;
  return overlapping.length > 0
    ? {
        type,
        status: 'True' as const,
        reason: poolReasons.NodesSharedWithOtherPools,
        message: `${overlapping.length} selected nodes are counted by a more specific (or earlier) pool: ${listed(overlapping)}`,
      }
    : { type, status: 'False' as const, reason: poolReasons.NoOverlap, message: '' };
}

function listed(names: readonly string[]): string {
  const shown = [...names].sort().slice(0, 10).join(', ');
  return names.length > 10 ? `${shown}, ...` : shown;
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

/** An Event about a node of the pool. */
export interface PoolNodeEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly note: string;
}

/**
 * Events for the changes between two readiness maps (countedNodeReadiness before and after):
 * a node that became NotReady or disappeared is a Warning, one that became Ready is Normal.
 */
export function nodeTransitions(
  before: ReadonlyMap<string, boolean>,
  after: ReadonlyMap<string, boolean>,
): PoolNodeEvent[] {
  const events: PoolNodeEvent[] = [];
  for (const [name, wasReady] of [...before].sort(([a], [b]) => a.localeCompare(b))) {
    const ready = after.get(name);
    if (ready === undefined) {
      events.push({
        type: 'Warning',
        reason: poolReasons.NodeGone,
        note: `node ${name} left the pool`,
      });
    } else if (wasReady && !ready) {
      events.push({
        type: 'Warning',
        reason: poolReasons.NodeNotReady,
        note: `node ${name} is not ready`,
      });
    } else if (!wasReady && ready) {
      events.push({ type: 'Normal', reason: poolReasons.NodeReady, note: `node ${name} is ready` });
    }
  }
  return events;
}
