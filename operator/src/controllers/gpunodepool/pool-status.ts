// The status of a GpuNodePool: its nodes and GPUs as capacity/pool-gpus.ts counts them, its
// conditions (NodesReady, NodeSelectorOverlap), its open leases, and the node Events to record.
import type { ComputeLease, LeasePhase } from '../../api/computelease.js';
import { poolConditionTypes, poolReasons, type GpuNodePoolStatus } from '../../api/gpunodepool.js';
import {
  countedNodes,
  isNodeReady,
  poolAccounting,
  type PoolNodesInputs,
} from '../../capacity/pool-gpus.js';
import { setCondition, type Condition } from '../../kube/conditions.js';

/** Node names listed in status, at most. */
const maxListedNodes = 100;

/** Lease phases that no longer hold capacity. */
const finishedPhases: readonly LeasePhase[] = ['Closed', 'Rejected'];

export interface PoolStatusInputs extends PoolNodesInputs {
  readonly leases: readonly ComputeLease[];
}

/** Readiness of the nodes a pool counts, by name (the input of nodeTransitions). */
export function countedNodeReadiness(inputs: PoolStatusInputs): Map<string, boolean> {
  return new Map(
    countedNodes(inputs).map((node) => [node.metadata?.name ?? '', isNodeReady(node)]),
  );
}

/**
 * The pool status (with NodesReady and NodeSelectorOverlap conditions).
 *
 * @example await writeStatus(pool, computePoolStatus({ pool, pools, nodes, pods, leases }, new Date()));
 */
export function computePoolStatus(inputs: PoolStatusInputs, now: Date): GpuNodePoolStatus {
  const { pool, leases } = inputs;
  const { counted, notReady, overlapping, gpus } = poolAccounting(inputs);
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
    gpus,
    activeLeases: leases.filter(
      (lease) =>
        lease.spec.pool === pool.metadata.name &&
        !finishedPhases.includes(lease.status?.phase ?? 'Pending'),
    ).length,
    notReadyNodes: [...notReady].sort().slice(0, maxListedNodes),
    overlappingNodes: [...overlapping].sort().slice(0, maxListedNodes),
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
