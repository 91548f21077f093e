import type { V1Node } from '@kubernetes/client-node';
import type { StackNodeGroup } from './description.js';

/** The hardware of one fake node, as NVIDIA's GPU feature discovery would label it. */
interface NodeShape {
  readonly gpuProduct?: string;
  readonly gpuMemoryMiB?: number;
  readonly gpusPerNode: number;
  readonly cpu: number;
  readonly memoryGi: number;
  readonly ephemeralStorageGi: number;
}

/** The node shapes the local stack knows, by pool name. */
export const nodeShapes: Readonly<Record<string, NodeShape>> = {
  h100: {
    gpuProduct: 'NVIDIA-H100-80GB-HBM3',
    gpuMemoryMiB: 81559,
    gpusPerNode: 8,
    cpu: 192,
    memoryGi: 2048,
    ephemeralStorageGi: 3500,
  },
  a100: {
    gpuProduct: 'NVIDIA-A100-SXM4-40GB',
    gpuMemoryMiB: 40960,
    gpusPerNode: 8,
    cpu: 128,
    memoryGi: 1024,
    ephemeralStorageGi: 1800,
  },
  cpu: { gpusPerNode: 0, cpu: 64, memoryGi: 256, ephemeralStorageGi: 500 },
};

/** The default local cluster: two GPU pools and a CPU-only group. */
export const defaultNodeGroups = 'h100=4,a100=4,cpu=2';

/** Label and taint keys the stack puts on nodes (also used by examples and tests). */
export const poolLabel = 'supercloud.dev/pool';
export const gpuProductLabel = 'nvidia.com/gpu.product';
export const gpuMemoryLabel = 'nvidia.com/gpu.memory';
export const gpuCountLabel = 'nvidia.com/gpu.count';
export const gpuResource = 'nvidia.com/gpu';

/**
 * Parses a node-group list such as `h100=4,a100=4,cpu=2` (pool=count).
 * @throws Error naming the bad entry when a pool is unknown or a count is not a number.
 */
export function parseNodeGroups(spec: string): StackNodeGroup[] {
  return spec
    .split(',')
    .filter((entry) => entry.trim() !== '')
    .map((entry) => {
      const [pool = '', count = ''] = entry.split('=').map((part) => part.trim());
      const shape = nodeShapes[pool];
      if (!shape) {
        throw new Error(
          `unknown node pool "${pool}" in "${spec}"; known pools: ${Object.keys(nodeShapes).join(', ')}`,
        );
      }
      const nodes = Number(count);
      if (!Number.isInteger(nodes) || nodes < 0) {
        throw new Error(`node count "${count}" for pool "${pool}" is not a non-negative integer`);
      }
      return {
        pool,
        nodes,
        gpusPerNode: shape.gpusPerNode,
        ...(shape.gpuProduct ? { gpuProduct: shape.gpuProduct } : {}),
      };
    });
}

/** The KWOK Node objects for the node groups: named `<pool>-<n>`, labelled and tainted like real GPU nodes. */
export function nodeObjects(groups: readonly StackNodeGroup[]): V1Node[] {
  return groups.flatMap((group) => {
    const shape = nodeShapes[group.pool];
    if (!shape) throw new Error(`unknown node pool "${group.pool}"`);
    // The group's GPU count wins over the shape's (a test's nodes may carry more).
    const nodeShape = { ...shape, gpusPerNode: group.gpusPerNode };
    return Array.from({ length: group.nodes }, (_, index) =>
      nodeObject(group.pool, index, nodeShape),
    );
  });
}

function nodeObject(pool: string, index: number, shape: NodeShape): V1Node {
  const name = `${pool}-${index}`;
  const isGpuNode = shape.gpusPerNode > 0;
  const capacity: Record<string, string> = {
    cpu: String(shape.cpu),
    memory: `${shape.memoryGi}Gi`,
    'ephemeral-storage': `${shape.ephemeralStorageGi}Gi`,
    pods: '110',
    ...(isGpuNode ? { [gpuResource]: String(shape.gpusPerNode) } : {}),
  };
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'node.kubernetes.io/instance-type': isGpuNode ? `gpu-${pool}` : 'cpu',
    type: 'kwok',
    [poolLabel]: pool,
    ...(isGpuNode
      ? {
          [gpuProductLabel]: shape.gpuProduct ?? '',
          [gpuMemoryLabel]: String(shape.gpuMemoryMiB ?? 0),
          [gpuCountLabel]: String(shape.gpusPerNode),
          'nvidia.com/gpu.present': 'true',
        }
      : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels,
      // kwok's controller manages (heartbeats, runs pods on) nodes with this annotation.
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: isGpuNode
      ? { taints: [{ key: gpuResource, value: 'present', effect: 'NoSchedule' }] }
      : {},
    status: {
      capacity,
      allocatable: capacity,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'fake',
        kubeProxyVersion: 'fake',
        bootID: '',
        containerRuntimeVersion: '',
        kernelVersion: '',
        machineID: '',
        osImage: '',
        systemUUID: '',
      },
      phase: 'Running',
    },
  };
}
