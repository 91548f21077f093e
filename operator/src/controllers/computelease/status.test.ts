import type { V1Deployment, V1Ingress, V1Service } from '@kubernetes/client-node';
import type { ComputeLease } from '../../api/computelease.js';
import type { Wire } from '../../kube/objects.js';
import { validLease } from '../../workloads/testing/corpus.js';
import { computeLeaseStatus, leaseTransitionEvent, type ObservedLease } from './status.js';

const now = new Date('2025-06-01T12:00:00Z');
const later = new Date('2025-06-01T12:05:00Z');

function lease(patch: Partial<ComputeLease> = {}): ComputeLease {
  return {
    ...validLease('lease-5', 5),
    metadata: { name: 'lease-5', uid: 'u', generation: 3 },
    ...patch,
  };
}

function deployment(
  ready: number,
  extra: Partial<NonNullable<Wire<V1Deployment>['status']>> = {},
): Wire<V1Deployment> {
  return {
    metadata: { name: 'app', generation: 2 },
    spec: { replicas: 1, selector: {}, template: {} },
    status: {
      observedGeneration: 2,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: ready,
      ...extra,
    },
  };
}

const verified: ObservedLease = {
  verification: { verified: true },
  namespace: 'active',
  deployments: [deployment(1)],
  services: [],
  ingresses: [],
};

const condition = (status: ReturnType<typeof computeLeaseStatus>, type: string) =>
  status.conditions.find((c) => c.type === type);

describe('computeLeaseStatus', () => {
  it('is Pending before verification', () => {
    const status = computeLeaseStatus(
      lease(),
      { ...verified, verification: undefined, deployments: [] },
      now,
    );
    expect(status.phase).toBe('Pending');
    expect(condition(status, 'Verified')).toMatchObject({ status: 'Unknown', reason: 'Pending' });
  });

  it('is Rejected with the reason, and reports no endpoints', () => {
    const status = computeLeaseStatus(
      lease(),
      {
        ...verified,
        verification: { verified: false, reason: 'spec.manifest.services[0].image: bad' },
      },
      now,
    );
    expect(status).toMatchObject({
      phase: 'Rejected',
      message: 'rejected: spec.manifest.services[0].image: bad',
      endpoints: [],
      readyReplicas: 0,
    });
    expect(condition(status, 'Verified')).toMatchObject({
      status: 'False',
      reason: 'Rejected',
      message: 'spec.manifest.services[0].image: bad',
      observedGeneration: 3,
    });
  });

  it('is Running when every service is rolled out and ready, with endpoints', () => {
    const status = computeLeaseStatus(lease(), verified, now);
    expect(status).toMatchObject({
      phase: 'Running',
      namespace: 'lease-5',
      replicas: 1,
      readyReplicas: 1,
      observedGeneration: 3,
      endpoints: [{ service: 'app', port: 8000, protocol: 'TCP', host: 'app.lease-5.svc' }],
    });
    expect(condition(status, 'Available')).toMatchObject({
      status: 'True',
      reason: 'ReplicasReady',
    });
  });

  it('is Deploying while replicas start or a rollout is not yet observed', () => {
    expect(
      computeLeaseStatus(lease(), { ...verified, deployments: [deployment(0)] }, now),
    ).toMatchObject({
      phase: 'Deploying',
      message: '0/1 replicas ready',
    });
    const stale = { ...deployment(1), metadata: { name: 'app', generation: 3 } };
    expect(computeLeaseStatus(lease(), { ...verified, deployments: [stale] }, now).phase).toBe(
      'Deploying',
    );
    expect(computeLeaseStatus(lease(), { ...verified, deployments: [] }, now).phase).toBe(
      'Deploying',
    );
  });

  it('waits in Deploying with the capacity reason before anything runs', () => {
    const status = computeLeaseStatus(
      lease(),
      { ...verified, deployments: [], waitingForCapacity: 'needs 2 GPUs, the pool has 0 free' },
      now,
    );
    expect(status.phase).toBe('Deploying');
    expect(condition(status, 'Available')).toMatchObject({
      reason: 'InsufficientCapacity',
      message: 'waiting for capacity on pool h100: needs 2 GPUs, the pool has 0 free',
    });
  });

  it('is Failed when a Deployment exceeds its progress deadline', () => {
    const stuck = deployment(0, {
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "app-1" has timed out progressing.',
        },
      ],
    });
    const status = computeLeaseStatus(lease(), { ...verified, deployments: [stuck] }, now);
    expect(status).toMatchObject({
      phase: 'Failed',
      message: 'service app: ReplicaSet "app-1" has timed out progressing.',
    });
  });

  it('is Closing until the namespace is gone, then Closed, with the reason', () => {
    const closing = lease();
    closing.spec = { ...closing.spec, closeRequested: { reason: 'ClosedByTenant' } };
    expect(computeLeaseStatus(closing, verified, now)).toMatchObject({
      phase: 'Closing',
      closeReason: 'ClosedByTenant',
      endpoints: [],
    });
    expect(computeLeaseStatus(closing, { ...verified, namespace: 'terminating' }, now).phase).toBe(
      'Closing',
    );
    expect(
      computeLeaseStatus(closing, { ...verified, namespace: 'absent', deployments: [] }, now),
    ).toMatchObject({ phase: 'Closed', message: 'closed: ClosedByTenant' });
  });

  it('uses the load balancer address when the Service has one', () => {
    const service: Wire<V1Service> = {
      metadata: { name: 'app' },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
    };
    const status = computeLeaseStatus(lease(), { ...verified, services: [service] }, now);
    expect(status.endpoints?.[0]?.host).toBe('203.0.113.7');
  });

  it('gives an HTTP port the URL of the Ingress host routed to it: https when TLS lists the host', () => {
    const manifest = lease().spec.manifest;
    const app = manifest.services[0]!;
    const withHttp = lease({
      spec: {
        ...lease().spec,
        manifest: {
          ...manifest,
          services: [
            {
              ...app,
              ports: [
                { port: 8000, protocol: 'TCP', expose: true, http: true },
                { port: 9090, protocol: 'TCP', expose: true, http: true },
                { port: 5000, protocol: 'UDP', expose: true },
              ],
            },
          ],
        },
      },
    });
    const route = (host: string, port: number) => ({
      host,
      http: {
        paths: [
          {
            path: '/',
            pathType: 'Prefix',
            backend: { service: { name: 'app', port: { number: port } } },
          },
        ],
      },
    });
    const ingress: Wire<V1Ingress> = {
      metadata: { name: 'http' },
      spec: {
        tls: [{ hosts: ['lease-5-app.gpu.example.com'] }],
        rules: [
          route('lease-5-app.gpu.example.com', 8000),
          route('lease-5-app-9090.gpu.example.com', 9090),
        ],
      },
    };
    const status = computeLeaseStatus(withHttp, { ...verified, ingresses: [ingress] }, now);
    expect(status.endpoints).toEqual([
      {
        service: 'app',
        port: 8000,
        protocol: 'TCP',
        host: 'app.lease-5.svc',
        url: 'https://lease-5-app.gpu.example.com',
      },
      {
        service: 'app',
        port: 9090,
        protocol: 'TCP',
        host: 'app.lease-5.svc',
        url: 'http://lease-5-app-9090.gpu.example.com',
      },
      { service: 'app', port: 5000, protocol: 'UDP', host: 'app.lease-5.svc' },
    ]);
    // No Ingress (yet, or no ingress domain): no URL.
    expect(computeLeaseStatus(withHttp, verified, now).endpoints?.[0]).not.toHaveProperty('url');
  });

  it('keeps a condition transition time while its status holds, and moves it on a change', () => {
    const first = computeLeaseStatus(lease(), verified, now);
    const withStatus = lease({ status: { conditions: first.conditions } });
    const same = computeLeaseStatus(withStatus, verified, later);
    expect(condition(same, 'Available')?.lastTransitionTime).toBe('2025-06-01T12:00:00Z');
    const down = computeLeaseStatus(
      withStatus,
      { ...verified, deployments: [deployment(0)] },
      later,
    );
    expect(condition(down, 'Available')?.lastTransitionTime).toBe('2025-06-01T12:05:00Z');
  });

  it("leaves the settlement's Funded condition out, so its field manager keeps it", () => {
    const funded = {
      type: 'Funded',
      status: 'True' as const,
      reason: 'EscrowCovers',
      message: '',
      lastTransitionTime: '2025-01-01T00:00:00Z',
    };
    const status = computeLeaseStatus(lease({ status: { conditions: [funded] } }), verified, now);
    expect(condition(status, 'Funded')).toBeUndefined();
    expect(status.conditions.map((c) => c.type)).toEqual(['Verified', 'Available']);
  });
});

describe('leaseTransitionEvent', () => {
  it('records a phase change, as a Warning for Rejected and Failed', () => {
    const rejected = computeLeaseStatus(
      lease(),
      { ...verified, verification: { verified: false, reason: 'x' } },
      now,
    );
    expect(leaseTransitionEvent('Pending', rejected)).toEqual({
      type: 'Warning',
      reason: 'Rejected',
      note: 'Pending → Rejected: rejected: x',
    });
    const running = computeLeaseStatus(lease(), verified, now);
    expect(leaseTransitionEvent(undefined, running)).toMatchObject({
      type: 'Normal',
      reason: 'Running',
    });
    expect(leaseTransitionEvent('Running', running)).toBeUndefined();
  });
});
