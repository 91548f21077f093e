import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Wire } from '../kube/objects.js';
import { corpusPool } from '../workloads/testing/corpus.js';
import { poolHeadroom } from './headroom.js';

const node = (name: string, gpus: number): Wire<V1Node> => ({
  metadata: { name, labels: { 'supercloud.dev/pool': 'h100' } },
  status: {
    capacity: { 'nvidia.com/gpu': String(gpus) },
    allocatable: { 'nvidia.com/gpu': String(gpus) },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
});

const pod = (namespace: string, nodeName: string | undefined, gpus: number): Wire<V1Pod> => ({
  metadata: { name: `p-${Math.random()}`, namespace },
  spec: {
    ...(nodeName ? { nodeName } : {}),
    containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
  },
  status: { phase: nodeName ? 'Running' : 'Pending' },
});

const inputs = { pool: corpusPool, pools: [corpusPool], nodes: [node('a', 8), node('b', 8)] };
describe('poolHeadroom', () => {
  it('is the pool accounting when every admitted lease has its pods bound', () => {
    const headroom = poolHeadroom({
      ...inputs,
      pods: [pod('lease-1', 'a', 4)],
      admitted: [{ namespace: 'lease-1', gpus: 4 }],
    });
    expect(headroom).toMatchObject({ allocated: 4, free: 12, largestFreeOnNode: 8 });
  });

  it('counts what admitted leases will use but whose pods are not bound yet', () => {
    const headroom = poolHeadroom({
      ...inputs,
      pods: [pod('lease-1', 'a', 2), pod('lease-1', undefined, 2)],
      admitted: [
        { namespace: 'lease-1', gpus: 4 },
        { namespace: 'lease-2', gpus: 8 },
      ],
    });
    expect(headroom).toMatchObject({ allocated: 12, free: 4, largestFreeOnNode: 4 });
  });

  it('counts pods of other workloads on the nodes, and never goes below zero', () => {
    const headroom = poolHeadroom({
      ...inputs,
      pods: [pod('someone-else', 'b', 8)],
      admitted: [{ namespace: 'lease-3', gpus: 16 }],
    });
    expect(headroom).toMatchObject({ free: 0, largestFreeOnNode: 0 });
  });
});
