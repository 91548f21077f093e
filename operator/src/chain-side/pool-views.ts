// The pools the bid engine sees: each GpuNodePool with the largest node it selects (allocatable
// CPU and memory), read from the informer cache.
import type { GpuNodePool } from '../api/gpunodepool.js';
import type { InformerCache } from '../kube/informer-cache.js';
import { NodeKind, type ObjectOf } from '../kube/objects.js';
import type { NodeSize } from '../market/decide.js';
import type { PoolView } from '../market/pool-candidates.js';
import { poolSelectsNode } from '../capacity/pool-gpus.js';
import { GpuNodePoolKind } from '../api/kinds.js';
import { parseQuantity } from '../controllers/semantic.js';

type Node = ObjectOf<typeof NodeKind>;

/** A quantity as a whole number of `unit`s, rounded down; 0 when it does not parse. */
function quantityIn(text: string | undefined, unit: bigint, per = 1n): number {
  const quantity = text === undefined ? undefined : parseQuantity(text);
  if (!quantity || quantity.numerator < 0n) return 0;
  return Number((quantity.numerator * per) / (quantity.denominator * unit));
}

/** The allocatable CPU (millicores) and memory (MiB) of a node. */
export function nodeSize(node: Node): NodeSize {
  const allocatable = node.status?.allocatable ?? {};
  return {
    cpuMillis: quantityIn(allocatable.cpu, 1n, 1000n),
    memoryMiB: quantityIn(allocatable.memory, 1024n * 1024n),
  };
}

/** The biggest CPU and the biggest memory among the nodes (each on its own), if any. */
export function largestNode(nodes: readonly Node[]): NodeSize | undefined {
  if (nodes.length === 0) return undefined;
  return nodes.map(nodeSize).reduce((a, b) => ({
    cpuMillis: Math.max(a.cpuMillis, b.cpuMillis),
    memoryMiB: Math.max(a.memoryMiB, b.memoryMiB),
  }));
}

/** Every pool in the cache with its largest node. */
export function poolViews(cache: InformerCache): PoolView[] {
  const nodes = cache.list(NodeKind);
  return cache.list(GpuNodePoolKind).map((pool: GpuNodePool) => {
    const largest = largestNode(nodes.filter((node) => poolSelectsNode(pool, node)));
    return largest ? { pool, largestNode: largest } : { pool };
  });
}
