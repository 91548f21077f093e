// GpuNodePool: a set of GPU nodes (by label selector) sold as one product at one price.
import { Type, type Static } from '@sinclair/typebox';
import type { ObjectMeta } from '../kube/objects.js';
import {
  Conditions,
  StringEnum,
  StringMap,
  Toleration,
  Uint256String,
  resourceNamePattern,
} from './schema.js';

export const gpuNodePoolNames = {
  kind: 'GpuNodePool',
  listKind: 'GpuNodePoolList',
  plural: 'gpunodepools',
  singular: 'gpunodepool',
  shortNames: ['gnp', 'gpupool'],
} as const;

/** The extended resource GPUs are requested by when a pool does not say otherwise. */
export const defaultGpuResourceName = 'nvidia.com/gpu';

/** Condition types of a GpuNodePool. */
export const poolConditionTypes = {
  /** Every node the pool selects is Ready (False lists the ones that are not). */
  NodesReady: 'NodesReady',
  /** Some selected nodes are also selected by another pool; they are counted once, by one pool. */
  NodeSelectorOverlap: 'NodeSelectorOverlap',
  /**
   * The GPU runtime gives a container only the GPUs allocated to it, as far as the cluster shows
   * (the GPU Operator's ClusterPolicy); Unknown when the node settings cannot be seen.
   */
  GpuIsolation: 'GpuIsolation',
} as const;

/** Reasons of pool conditions and Events. */
export const poolReasons = {
  AllNodesReady: 'AllNodesReady',
  NodesNotReady: 'NodesNotReady',
  NoNodes: 'NoNodes',
  NodeNotReady: 'NodeNotReady',
  NodeReady: 'NodeReady',
  NodeGone: 'NodeGone',
  NoOverlap: 'NoOverlap',
  NodesSharedWithOtherPools: 'NodesSharedWithOtherPools',
  /** GpuIsolation True: allocations reach containers as mounts or CDI devices only. */
  DeviceListFromAllocation: 'DeviceListFromAllocation',
  /** GpuIsolation False: a container's NVIDIA_VISIBLE_DEVICES can choose its GPUs. */
  DeviceListFromEnvironment: 'DeviceListFromEnvironment',
  /** GpuIsolation Unknown: no GPU Operator; the toolkit's settings are files on the nodes. */
  NodeSettingsNotVisible: 'NodeSettingsNotVisible',
  /** GpuIsolation Unknown: the ClusterPolicy exists but could not be read. */
  GpuOperatorUnreadable: 'GpuOperatorUnreadable',
} as const;

const price = (what: string, options: { default?: string } = {}) =>
  Uint256String(`Price per ${what}, in payment-token base units (decimal).`, options);

export const GpuNodePoolSpec = Type.Object(
  {
    nodeSelector: StringMap(
      'Node labels that select the nodes of this pool (all must match), e.g. supercloud.dev/pool: h100. Also the nodeSelector of the workload pods.',
      { minProperties: 1, maxProperties: 16 },
    ),
    gpu: Type.Object(
      {
        vendor: StringEnum(['nvidia', 'amd', 'intel'] as const, {
          default: 'nvidia',
          description: 'GPU vendor.',
        }),
        model: Type.String({
          pattern: '^[A-Z0-9][A-Z0-9.-]*$',
          maxLength: 128,
          description:
            'GPU model, normalized as GPU feature discovery labels nodes (nvidia.com/gpu.product): upper case with dashes, e.g. NVIDIA-H100-80GB-HBM3.',
        }),
        memoryMiB: Type.Integer({
          minimum: 1,
          maximum: 1_048_576,
          description: 'Memory of one GPU in MiB.',
        }),
        interface: Type.Optional(
          StringEnum(['SXM', 'PCIe', 'OAM', 'NVL'] as const, {
            description: 'How the GPUs attach: SXM, PCIe, OAM or NVL.',
          }),
        ),
      },
      { additionalProperties: false, description: 'The GPUs every node of the pool has.' },
    ),
    extendedResourceName: Type.String({
      pattern: resourceNamePattern,
      maxLength: 253,
      default: defaultGpuResourceName,
      description: 'Extended resource the device plugin advertises GPUs as.',
    }),
    tolerations: Type.Array(Toleration, {
      maxItems: 16,
      default: [],
      description: "Tolerations of the pool's taints, added to the workload pods.",
    }),
    runtimeClassName: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
        maxLength: 253,
        description: 'RuntimeClass of the workload pods (e.g. nvidia); must exist in the cluster.',
      }),
    ),
    prices: Type.Object(
      {
        perGpuHour: price('GPU-hour'),
        perCpuCoreHour: price('CPU-core-hour', { default: '0' }),
        perGiBMemoryHour: price('GiB-hour of memory', { default: '0' }),
        perGiBStorageHour: price('GiB-hour of ephemeral storage', { default: '0' }),
      },
      { additionalProperties: false, description: 'What a lease on this pool costs.' },
    ),
    reservedGpus: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 0,
      description: 'GPUs held back from the market (not offered in bids).',
    }),
  },
  { additionalProperties: false, description: 'Which nodes form the pool and how it is sold.' },
);
export type GpuNodePoolSpec = Static<typeof GpuNodePoolSpec>;

const count = (description: string) => Type.Integer({ minimum: 0, description });

const NodeNames = (description: string) =>
  Type.Array(Type.String({ maxLength: 253, description: 'Node name.' }), {
    maxItems: 100,
    description: `${description} (at most 100 listed).`,
  });

export const GpuNodePoolStatus = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({
        minimum: 0,
        format: 'int64',
        description: 'The .metadata.generation this status describes.',
      }),
    ),
    nodes: Type.Optional(count('Nodes counted in this pool.')),
    readyNodes: Type.Optional(count('Counted nodes that are Ready and schedulable.')),
    gpus: Type.Optional(
      Type.Object(
        {
          capacity: count('GPUs the counted nodes have.'),
          allocatable: count('GPUs the counted nodes can give to pods.'),
          allocated: count('GPUs requested by running or pending pods bound to counted nodes.'),
          free: count(
            'GPUs free on Ready schedulable nodes, less the reserved ones: what the market may sell.',
          ),
          largestFreeOnNode: count(
            'The most GPUs free on one Ready node: the largest replica that can start now.',
          ),
        },
        { additionalProperties: false, description: 'GPU accounting of the pool.' },
      ),
    ),
    activeLeases: Type.Optional(count('Leases on this pool that are not closed or rejected.')),
    notReadyNodes: Type.Optional(NodeNames('Counted nodes that are not Ready or not schedulable')),
    overlappingNodes: Type.Optional(
      NodeNames('Nodes this pool selects that another pool counts instead'),
    ),
    conditions: Type.Optional(Conditions('NodesReady and NodeSelectorOverlap.')),
  },
  { additionalProperties: false, description: 'Nodes and GPUs of the pool as last observed.' },
);
export type GpuNodePoolStatus = Static<typeof GpuNodePoolStatus>;

/** A GpuNodePool object as the API returns it (wire JSON). */
export interface GpuNodePool {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: GpuNodePoolSpec;
  status?: GpuNodePoolStatus;
}
