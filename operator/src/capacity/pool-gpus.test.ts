import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Wire } from '../kube/objects.js';
import {
  nodeAccountingChanged,
  podAccountingChanged,
  podAccountingView,
  podRequest,
} from './pool-gpus.js';

const node: Wire<V1Node> = {
  metadata: { name: 'h100-0', labels: { pool: 'h100' }, resourceVersion: '1' },
  status: {
    capacity: { 'nvidia.com/gpu': '8' },
    allocatable: { 'nvidia.com/gpu': '8' },
    conditions: [
      { type: 'Ready', status: 'True', lastHeartbeatTime: '2026-12-02T08:00:00Z' } as never,
    ],
  },
};

/** A deep copy made in this realm (structuredClone's objects have another realm's prototypes). */
const copy = <T>(object: T): T => JSON.parse(JSON.stringify(object)) as T;

const pod: Wire<V1Pod> = {
  metadata: { name: 'worker', namespace: 'lease-1', resourceVersion: '1' },
  spec: {
    nodeName: 'h100-0',
    containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': '1' } } }],
  },
  status: { phase: 'Running' },
};

describe('nodeAccountingChanged', () => {
  it('ignores a heartbeat', () => {
    const beat = copy(node);
    beat.metadata!.resourceVersion = '2';
    beat.status!.conditions![0]!.lastHeartbeatTime = '2026-12-02T08:01:00Z' as never;
    expect(nodeAccountingChanged(node, beat)).toBe(false);
  });

  it('sees readiness, a cordon, labels and GPUs change', () => {
    const notReady = copy(node);
    notReady.status!.conditions![0]!.status = 'Unknown';
    const cordoned = copy(node);
    cordoned.spec = { unschedulable: true };
    const relabelled = copy(node);
    relabelled.metadata!.labels = { pool: 'a100' };
    const fewer = copy(node);
    fewer.status!.allocatable = { 'nvidia.com/gpu': '7' };
    for (const changed of [notReady, cordoned, relabelled, fewer]) {
      expect(nodeAccountingChanged(node, changed)).toBe(true);
    }
  });
});

describe('podAccountingChanged', () => {
  it("ignores a condition's timestamps", () => {
    const touched = copy(pod);
    touched.status!.conditions = [{ type: 'Ready', status: 'True' }];
    expect(podAccountingChanged(pod, touched)).toBe(false);
  });

  it('sees a binding, a phase and a resize', () => {
    const unbound = copy(pod);
    delete unbound.spec!.nodeName;
    const finished = copy(pod);
    finished.status!.phase = 'Succeeded';
    const resized = copy(pod);
    resized.spec!.containers[0]!.resources = { limits: { 'nvidia.com/gpu': '2' } };
    for (const changed of [unbound, finished, resized]) {
      expect(podAccountingChanged(pod, changed)).toBe(true);
    }
  });
});

describe('podAccountingView', () => {
  const whole: Wire<V1Pod> = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...pod.metadata, labels: { app: 'worker' } },
    spec: {
      nodeName: 'h100-0',
      initContainers: [
        { name: 'fetch', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': '2' } } },
      ],
      containers: [
        {
          name: 'main',
          image: 'vllm',
          env: [{ name: 'MODEL', value: 'llama' }],
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
      ],
      volumes: [{ name: 'token', projected: { sources: [] } }],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      podIP: '10.0.0.1',
    },
  };

  it('keeps what the accounting reads', () => {
    const view = podAccountingView(whole);
    expect(view.metadata).toEqual(whole.metadata);
    expect(view.spec?.nodeName).toBe('h100-0');
    expect(view.status?.phase).toBe('Running');
    expect(podRequest(view, 'nvidia.com/gpu')).toBe(podRequest(whole, 'nvidia.com/gpu'));
    expect(podAccountingChanged(podAccountingView(pod), view)).toBe(
      podAccountingChanged(pod, whole),
    );
  });

  it('drops the rest', () => {
    const view = podAccountingView(whole);
    expect(view.spec?.volumes).toBeUndefined();
    expect(view.spec?.containers).toEqual([
      { name: 'main', resources: { limits: { 'nvidia.com/gpu': '1' } } },
    ]);
    expect(view.status).toEqual({ phase: 'Running' });
  });

  it('keeps an unbound, pending pod unbound', () => {
    const pending = podAccountingView({ metadata: { name: 'p' }, spec: { containers: [] } });
    expect(pending.spec).toEqual({ containers: [] });
    expect(pending.status).toBeUndefined();
  });
});
