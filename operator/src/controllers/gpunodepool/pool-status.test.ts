import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { ComputeLease, LeasePhase } from '../../api/computelease.js';
import type { GpuNodePool } from '../../api/gpunodepool.js';
import type { Wire } from '../../kube/objects.js';
import { corpusPool, validLease } from '../../workloads/testing/corpus.js';
import {
  computePoolStatus,
  countedNodeReadiness,
  nodeTransitions,
  type PoolStatusInputs,
} from './pool-status.js';
import { poolCountingNode } from '../../capacity/pool-gpus.js';

const now = new Date('2025-06-01T12:00:00Z');

function pool(name: string, nodeSelector: Record<string, string>, reservedGpus = 0): GpuNodePool {
  return {
    ...corpusPool,
    metadata: { name, generation: 1 },
    spec: { ...corpusPool.spec, nodeSelector, reservedGpus },
  };
}

function node(
  name: string,
  labels: Record<string, string>,
  gpus = 8,
  ready = true,
  unschedulable = false,
): Wire<V1Node> {
  return {
    metadata: { name, labels },
    spec: unschedulable ? { unschedulable } : {},
    status: {
      capacity: { 'nvidia.com/gpu': String(gpus) },
      allocatable: { 'nvidia.com/gpu': String(gpus) },
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  } as Wire<V1Node>;
}

function pod(
  nodeName: string | undefined,
  gpus: number,
  phase = 'Running',
  limitsOnly = false,
): Wire<V1Pod> {
  const amount = { 'nvidia.com/gpu': String(gpus) };
  return {
    spec: {
      nodeName,
      containers: [
        {
          name: 'c',
          resources: limitsOnly ? { limits: amount } : { requests: amount, limits: amount },
        },
      ],
    },
    status: { phase },
  } as Wire<V1Pod>;
}

function lease(poolName: string, phase: LeasePhase): ComputeLease {
  const base = validLease();
  return { ...base, spec: { ...base.spec, pool: poolName }, status: { phase } };
}

const h100 = pool('h100', { 'supercloud.dev/pool': 'h100' });
const nodes = [
  node('h100-0', { 'supercloud.dev/pool': 'h100' }),
  node('h100-1', { 'supercloud.dev/pool': 'h100' }),
  node('h100-2', { 'supercloud.dev/pool': 'h100' }, 8, false),
  node('a100-0', { 'supercloud.dev/pool': 'a100' }),
];

const inputs = (patch: Partial<PoolStatusInputs> = {}): PoolStatusInputs => ({
  pool: h100,
  pools: [h100],
  nodes,
  pods: [],
  leases: [],
  ...patch,
});

describe('computePoolStatus', () => {
  it('counts the selected nodes and their GPUs; free only on Ready nodes', () => {
    const status = computePoolStatus(
      inputs({
        pods: [
          pod('h100-0', 4),
          pod('h100-0', 2, 'Pending'),
          pod('h100-1', 8, 'Running', true),
          pod('a100-0', 8),
        ],
      }),
      now,
    );
    expect(status).toMatchObject({
      nodes: 3,
      readyNodes: 2,
      gpus: { capacity: 24, allocatable: 24, allocated: 14, free: 2, largestFreeOnNode: 2 },
      notReadyNodes: ['h100-2'],
      overlappingNodes: [],
      observedGeneration: 1,
    });
  });

  it('ignores finished and unbound pods', () => {
    const status = computePoolStatus(
      inputs({
        pods: [
          pod('h100-0', 8, 'Succeeded'),
          pod('h100-0', 8, 'Failed'),
          pod(undefined, 8, 'Pending'),
        ],
      }),
      now,
    );
    expect(status.gpus).toMatchObject({ allocated: 0, free: 16 });
  });

  it('holds reserved GPUs back from the free count', () => {
    const reserved = pool('h100', { 'supercloud.dev/pool': 'h100' }, 10);
    const status = computePoolStatus(inputs({ pool: reserved, pools: [reserved] }), now);
    expect(status.gpus).toMatchObject({ free: 6, largestFreeOnNode: 6 });
  });

  it('treats a cordoned node as not ready', () => {
    const cordoned = [node('h100-0', { 'supercloud.dev/pool': 'h100' }, 8, true, true)];
    expect(computePoolStatus(inputs({ nodes: cordoned }), now)).toMatchObject({
      readyNodes: 0,
      gpus: { free: 0 },
    });
  });

  it('counts a node selected by two pools once, in the more specific pool, and reports it in the other', () => {
    const broad = pool('all-nvidia', { 'nvidia.com/gpu.present': 'true' });
    const narrow = pool('h100', {
      'nvidia.com/gpu.present': 'true',
      'supercloud.dev/pool': 'h100',
    });
    const shared = [
      node('h100-0', { 'nvidia.com/gpu.present': 'true', 'supercloud.dev/pool': 'h100' }),
      node('a100-0', { 'nvidia.com/gpu.present': 'true', 'supercloud.dev/pool': 'a100' }),
    ];
    const pools = [broad, narrow];
    const broadStatus = computePoolStatus(
      { pool: broad, pools, nodes: shared, pods: [], leases: [] },
      now,
    );
    const narrowStatus = computePoolStatus(
      { pool: narrow, pools, nodes: shared, pods: [], leases: [] },
      now,
    );
    expect(broadStatus).toMatchObject({
      nodes: 1,
      gpus: { capacity: 8 },
      overlappingNodes: ['h100-0'],
    });
    expect(narrowStatus).toMatchObject({ nodes: 1, gpus: { capacity: 8 }, overlappingNodes: [] });
    expect(broadStatus.conditions?.find((c) => c.type === 'NodeSelectorOverlap')).toMatchObject({
      status: 'True',
      reason: 'NodesSharedWithOtherPools',
    });
    expect((broadStatus.gpus?.capacity ?? 0) + (narrowStatus.gpus?.capacity ?? 0)).toBe(16);
  });

  it('breaks a tie between equally specific pools by name', () => {
    const b = pool('b', { 'supercloud.dev/pool': 'h100' });
    const a = pool('a', { 'supercloud.dev/pool': 'h100' });
    expect(poolCountingNode([b, a], nodes[0]!)?.metadata.name).toBe('a');
  });

  it('counts leases that still hold capacity', () => {
    const leases = [
      lease('h100', 'Running'),
      lease('h100', 'Deploying'),
      lease('h100', 'Closed'),
      lease('h100', 'Rejected'),
      lease('a100', 'Running'),
    ];
    expect(computePoolStatus(inputs({ leases }), now).activeLeases).toBe(2);
  });

  it('says when nodes are not ready, or when there are none', () => {
    const ready = (status: ReturnType<typeof computePoolStatus>) =>
      status.conditions?.find((c) => c.type === 'NodesReady');
    expect(ready(computePoolStatus(inputs(), now))).toMatchObject({
      status: 'False',
      reason: 'NodesNotReady',
      message: '1 of 3 nodes not ready: h100-2',
    });
    expect(ready(computePoolStatus(inputs({ nodes: [] }), now))).toMatchObject({
      status: 'False',
      reason: 'NoNodes',
    });
    expect(ready(computePoolStatus(inputs({ nodes: nodes.slice(0, 2) }), now))).toMatchObject({
      status: 'True',
    });
  });
});

describe('nodeTransitions', () => {
  it('warns about nodes that went NotReady or left, and notes ones that came back', () => {
    const before = countedNodeReadiness(inputs());
    const after = countedNodeReadiness(
      inputs({
        nodes: [
          node('h100-0', { 'supercloud.dev/pool': 'h100' }, 8, false),
          node('h100-2', { 'supercloud.dev/pool': 'h100' }),
        ],
      }),
    );
    expect(nodeTransitions(before, after)).toEqual([
      { type: 'Warning', reason: 'NodeNotReady', note: 'node h100-0 is not ready' },
      { type: 'Warning', reason: 'NodeGone', note: 'node h100-1 left the pool' },
      { type: 'Normal', reason: 'NodeReady', note: 'node h100-2 is ready' },
    ]);
    expect(nodeTransitions(after, after)).toEqual([]);
  });
});
