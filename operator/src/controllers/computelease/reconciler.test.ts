// The ComputeLease reconcile's branches, each against an in-memory API server (FakeKubeClient)
// whose writes reach the informer cache, with a Verifier that answers as each test needs. The
// integration tests (test/integration/controllers/) run the same controller on a real one.
import { Registry, type Histogram } from 'prom-client';
import type { ComputeLease } from '../../api/computelease.js';
import { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../../api/kinds.js';
import type { ReconcileContext } from '../../kube/controller.js';
import { KubeApiError, TerminalError } from '../../kube/errors.js';
import { EventRecorder, type EventObject } from '../../kube/events.js';
import { InformerCache } from '../../kube/informer-cache.js';
import type { ListerWatcher } from '../../kube/informer.js';
import {
  DeploymentKind,
  IngressKind,
  NamespaceKind,
  NodeKind,
  PodKind,
  ResourceQuotaKind,
  ServiceKind,
  type KubeObject,
  type ResourceKind,
} from '../../kube/objects.js';
import { FakeClock } from '../../kube/testing/fake-clock.js';
import { FakeKubeClient, type FakeRequest } from '../../kube/testing/fake-client.js';
import { silentLogger } from '../../logging/logger.js';
import type { IngressSettings } from '../../workloads/ingress.js';
import { corpusPool, validLease } from '../../workloads/testing/corpus.js';
import { defaultWorkloadPolicy, verifyLease } from '../../workloads/verify.js';
import { addIndexes } from '../indexes.js';
import { leaseChildKinds } from './children.js';
import { computeLeaseReconciler } from './reconciler.js';
import type { Undecided, Verification, Verifier } from './verifier.js';

const leaseName = 'corpus-valid';
/** leaseNamespaceName of validLease()'s id. */
const namespace = 'lease-900000';

/** The manifest a Verifier hands back for validLease(), validated and defaulted. */
function verifiedManifest(): Extract<Verification, { verified: true }>['manifest'] {
  const result = verifyLease(validLease().spec, corpusPool, defaultWorkloadPolicy);
  if (!result.verified) throw new Error(`the corpus lease no longer verifies: ${result.reason}`);
  return result.manifest;
}

const verified: Verification = { verified: true, manifest: verifiedManifest() };
const rejected = (reason: string): Verification => ({ verified: false, reason });
const undecided = (reason: string): Undecided => ({ undecided: reason });

/** A Ready GPU node the pool selects, with `gpus` allocatable. */
function gpuNode(name: string, gpus: number): KubeObject {
  return {
    metadata: { name, labels: { ...corpusPool.spec.nodeSelector } },
    status: {
      capacity: { 'nvidia.com/gpu': String(gpus) },
      allocatable: { 'nvidia.com/gpu': String(gpus) },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  } as KubeObject;
}

/**
 * A lister-watcher whose watch a test can hold back: the events wait until released, as when the
 * cache lags the writes (the fake API server otherwise delivers each change at once).
 */
function heldBack<T>(inner: ListerWatcher<T>) {
  let held: (() => void)[] | undefined;
  const listerWatcher: ListerWatcher<T> = {
    list: (signal, map) => inner.list(signal, map),
    watch: (options, onEvent) =>
      inner.watch(options, (event) => (held ? held.push(() => onEvent(event)) : onEvent(event))),
  };
  return {
    listerWatcher,
    hold: () => void (held = []),
    /** Delivers the first `count` events held (all by default), and stops holding when none are left. */
    release: (count = Infinity) => {
      const events = held?.splice(0, count) ?? [];
      if (held?.length === 0 && count === Infinity) held = undefined;
      for (const deliver of events) deliver();
    },
  };
}

async function harness(
  answer: Verification | Undecided = verified,
  ingress?: IngressSettings,
  registry?: Registry,
) {
  const clock = new FakeClock(Date.parse('2025-06-01T12:00:00Z'));
  const api = new FakeKubeClient({ clock });
  const watches = new Map<ResourceKind, ReturnType<typeof heldBack<KubeObject>>>();
  /** The watch of a kind, to hold back. */
  const watch = (kind: ResourceKind) => {
    if (!watches.has(kind)) watches.set(kind, heldBack(api.listerWatcher(kind)));
    return watches.get(kind)!;
  };
  const cache = new InformerCache(api.client, {
    clock,
    listerWatcher: <T extends KubeObject>(kind: ResourceKind<T>) =>
      watch(kind).listerWatcher as unknown as ListerWatcher<T>,
  });
  addIndexes(cache);
  // The informers the controller's wiring starts (for, owns, watches), synced before reconciles.
  const watched: ResourceKind[] = [
    ComputeLeaseKind,
    GpuNodePoolKind,
    ProviderKind,
    NodeKind,
    PodKind,
    ...Object.values(leaseChildKinds),
  ];
  for (const kind of watched) cache.informer(kind);
  cache.start();
  await cache.waitForSync();

  const verifier = {
    answer,
    calls: 0,
    async verify() {
      this.calls++;
      return this.answer;
    },
  } satisfies Verifier & { answer: Verification | Undecided; calls: number };
  const events: EventObject[] = [];
  const recorder = new EventRecorder(
    { create: async (event) => void events.push(event), updateSeries: async () => undefined },
    { reportingInstance: 'test', clock },
  );
  const context: ReconcileContext = {
    log: silentLogger(),
    client: api.client,
    cache,
    events: recorder,
    signal: new AbortController().signal,
  };
  const reconcileLease = computeLeaseReconciler({
    verifier,
    ingressNamespace: 'supercloud-system',
    ingress,
    ...(registry ? { registry } : {}),
    now: () => new Date(clock.now()),
  });

  /** One reconcile of the lease; returns the requests it sent. */
  const reconcile = async (name = leaseName): Promise<FakeRequest[]> => {
    api.requests.length = 0;
    await reconcileLease({ name, key: name }, context);
    return [...api.requests];
  };
  const seedLease = (patch: (lease: ComputeLease) => void = () => undefined) => {
    const lease = validLease();
    patch(lease);
    return api.seed(ComputeLeaseKind, lease);
  };
  /** The lease, its pool, and a node with `gpus` free GPUs. */
  const seedWorld = (gpus = 8) => {
    api.seed(GpuNodePoolKind, corpusPool);
    api.seed(NodeKind, gpuNode('h100-0', gpus));
    return seedLease();
  };
  /** A namespace of the lease's name, owned by `owner` (the lease by default) or by nobody. */
  const seedNamespace = (owner: ComputeLease | undefined, extra: KubeObject['metadata'] = {}) =>
    api.seed(NamespaceKind, {
      metadata: {
        name: namespace,
        ...extra,
        ...(owner
          ? {
              ownerReferences: [
                {
                  apiVersion: ComputeLeaseKind.apiVersion,
                  kind: 'ComputeLease',
                  name: owner.metadata.name!,
                  uid: owner.metadata.uid!,
                  controller: true,
                },
              ],
            }
          : {}),
      },
    });
  /** What the quota controller does once it has taken up the quota: status.hard = spec.hard. */
  const enforceQuota = (hard?: Record<string, string>) =>
    api.update(ResourceQuotaKind, `${namespace}/bought`, (quota) => {
      quota.status = { hard: hard ?? { ...quota.spec?.hard }, used: {} };
    });
  const status = () => api.stored(ComputeLeaseKind, leaseName)?.status;
  const condition = (type: string) => status()?.conditions?.find((c) => c.type === type);

  return {
    api,
    cache,
    watch,
    clock,
    verifier,
    events,
    recorder,
    reconcile,
    seedLease,
    seedWorld,
    seedNamespace,
    enforceQuota,
    status,
    condition,
    stop: () => cache.stop(),
  };
}

type Harness = Awaited<ReturnType<typeof harness>>;
let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const statusWrites = (requests: readonly FakeRequest[]) =>
  requests.filter((r) => r.kind === 'ComputeLease' && r.subresource === 'status');
/** Writes other than the lease status: what the reconcile did to the world. */
const objectWrites = (requests: readonly FakeRequest[]) =>
  requests.filter((r) => r.method !== 'GET' && r.method !== 'LIST' && r.kind !== 'ComputeLease');
const applied = (requests: readonly FakeRequest[]) =>
  objectWrites(requests)
    .filter((r) => r.method === 'PATCH')
    .map((r) => `${r.kind}/${r.name}`);

describe('computeLeaseReconciler', () => {
  describe('a lease that is gone or being deleted', () => {
    it('sends nothing when the lease does not exist', async () => {
      h = await harness();
      expect(await h.reconcile('no-such-lease')).toEqual([]);
      expect(h.verifier.calls).toBe(0);
    });

    it('sends nothing for a lease being deleted, leaving its namespace to the garbage collector', async () => {
      h = await harness();
      h.api.seed(GpuNodePoolKind, corpusPool);
      const lease = h.seedLease((l) => {
        l.metadata.deletionTimestamp = '2025-06-01T11:00:00Z';
        l.metadata.finalizers = ['example.dev/hold'];
      });
      h.seedNamespace(lease);
      expect(await h.reconcile()).toEqual([]);
      expect(h.api.stored(NamespaceKind, namespace)).toBeDefined();
    });
  });

  describe('a rejected lease', () => {
    const reason = 'spec.manifest.services[0].image: registry.example.com is not allowed';

    it('deletes its namespace by uid and writes status Rejected with the reason', async () => {
      h = await harness(rejected(reason));
      const lease = h.seedWorld();
      const ns = h.seedNamespace(lease);
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([
        expect.objectContaining({
          method: 'DELETE',
          kind: 'Namespace',
          name: namespace,
          body: expect.objectContaining({
            propagationPolicy: 'Background',
            preconditions: { uid: ns.metadata?.uid },
          }),
        }),
      ]);
      expect(h.api.stored(NamespaceKind, namespace)).toBeUndefined();
      expect(h.status()).toMatchObject({ phase: 'Rejected', message: `rejected: ${reason}` });
      expect(h.condition('Verified')).toMatchObject({
        status: 'False',
        reason: 'Rejected',
        message: reason,
      });
      await h.recorder.flush();
      expect(h.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'Rejected' })]);
    });

    it('creates nothing when rejected before anything exists', async () => {
      h = await harness(rejected(reason));
      h.seedWorld();
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(statusWrites(requests)).toHaveLength(1);
      expect(h.status()?.phase).toBe('Rejected');
    });
  });

  describe('a lease whose close is requested', () => {
    const close = (lease: ComputeLease) => {
      lease.spec.closeRequested = { reason: 'ClosedByTenant' };
    };

    it('deletes the namespace and is Closing, then Closed once the namespace is gone', async () => {
      h = await harness();
      h.api.seed(GpuNodePoolKind, corpusPool);
      const lease = h.seedLease(close);
      const ns = h.seedNamespace(lease);
      const first = await h.reconcile();
      expect(objectWrites(first)).toEqual([
        expect.objectContaining({
          method: 'DELETE',
          kind: 'Namespace',
          body: expect.objectContaining({ preconditions: { uid: ns.metadata?.uid } }),
        }),
      ]);
      expect(h.status()).toMatchObject({
        phase: 'Closing',
        closeReason: 'ClosedByTenant',
        namespace,
      });

      const second = await h.reconcile();
      expect(objectWrites(second)).toEqual([]);
      expect(h.status()).toMatchObject({ phase: 'Closed', closeReason: 'ClosedByTenant' });
      expect(h.status()).not.toHaveProperty('namespace');
      expect(h.condition('Available')).toMatchObject({ status: 'False', reason: 'Closed' });

      expect(await h.reconcile()).toEqual([]);
    });

    it('stays Closing while the namespace terminates, without deleting it again', async () => {
      h = await harness();
      h.api.seed(GpuNodePoolKind, corpusPool);
      const lease = h.seedLease(close);
      h.seedNamespace(lease, {
        deletionTimestamp: '2025-06-01T11:59:00Z',
        finalizers: ['example.dev/hold'],
      });
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(h.status()).toMatchObject({ phase: 'Closing', namespace });
    });

    it('tears down without deploying even when verification passes', async () => {
      h = await harness(verified);
      h.api.seed(GpuNodePoolKind, corpusPool);
      h.api.seed(NodeKind, gpuNode('h100-0', 8));
      h.seedLease(close);
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(h.status()?.phase).toBe('Closed');
    });
  });

  describe('a lease whose pool does not exist', () => {
    it('stays Pending with the reason and creates nothing', async () => {
      h = await harness();
      h.seedLease();
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(h.verifier.calls).toBe(0);
      expect(h.status()).toMatchObject({
        phase: 'Pending',
        message: 'waiting for GpuNodePool h100, which does not exist',
      });
    });
  });

  describe('a verification without an answer', () => {
    it('waits with the reason, creating and deleting nothing', async () => {
      h = await harness(undecided('the chain RPC is unreachable'));
      const lease = h.seedWorld();
      h.seedNamespace(lease);
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(h.api.stored(NamespaceKind, namespace)).toBeDefined();
      expect(h.status()).toMatchObject({
        phase: 'Pending',
        message: 'waiting for verification: the chain RPC is unreachable',
      });
      expect(h.condition('Verified')).toMatchObject({ status: 'Unknown', reason: 'Pending' });
    });
  });

  describe('a verified lease on a pool with room', () => {
    it('applies the namespace, then the walls, binds the quota, then the Service and the Deployment, in one reconcile', async () => {
      h = await harness();
      const lease = h.seedWorld();
      const requests = await h.reconcile();
      const writes = objectWrites(requests).map((r) =>
        r.subresource ? `${r.method} ${r.kind}/${r.name}/${r.subresource}` : `${r.kind}/${r.name}`,
      );
      const walls = [
        'LimitRange/bounds',
        'NetworkPolicy/egress',
        'NetworkPolicy/ingress',
        'ResourceQuota/bought',
        'ServiceAccount/workload',
      ];
      expect(writes[0]).toBe(`Namespace/${namespace}`);
      expect(writes.slice(1, 6).sort()).toEqual(walls);
      expect(writes[6]).toBe('PUT ResourceQuota/bought/status');
      expect(writes.slice(7).sort()).toEqual(['Deployment/app', 'Service/app']);
      for (const write of objectWrites(requests).filter((r) => r.method === 'PATCH')) {
        expect(write).toMatchObject({
          patchType: 'apply',
          fieldManager: 'supercloud-operator',
          force: true,
        });
      }
      expect(h.api.stored(NamespaceKind, namespace)?.metadata?.ownerReferences).toEqual([
        expect.objectContaining({ uid: lease.metadata.uid, controller: true }),
      ]);
      expect(h.status()).toMatchObject({ phase: 'Deploying', namespace });
      expect(applied(await h.reconcile())).toEqual([]);
    });

    it('writes the new quota the status the quota controller would (its limits, nothing used), preconditioned on its resourceVersion', async () => {
      h = await harness();
      h.seedWorld();
      const requests = await h.reconcile();
      const fence = requests.find((r) => r.method === 'PUT');
      const quota = h.api.stored(ResourceQuotaKind, `${namespace}/bought`);
      const hard = quota?.spec?.hard ?? {};
      expect(Object.keys(hard)).toContain('requests.nvidia.com/gpu');
      expect(quota?.status).toEqual({
        hard,
        used: Object.fromEntries(Object.keys(hard).map((resource) => [resource, '0'])),
      });
      // The resourceVersion the quota had when the operator applied it, not a fresh read.
      const body = fence?.body as KubeObject;
      expect(body.metadata?.resourceVersion).toBeDefined();
      expect(Number(body.metadata?.resourceVersion)).toBeLessThan(
        Number(quota?.metadata?.resourceVersion),
      );
    });

    /** The quota controller writing the quota status between the operator's apply and its PUT. */
    const controllerWritesFirst = (hard?: Record<string, string>) =>
      h.api.refuse(
        (r) => {
          const fence = r.kind === 'ResourceQuota' && r.subresource === 'status';
          if (fence) h.enforceQuota(hard);
          return fence;
        },
        409,
        'the object has been modified',
        1,
      );

    it('reads the quota back when the quota controller wrote its status first (409), and goes on as it binds', async () => {
      h = await harness();
      h.seedWorld();
      controllerWritesFirst();
      const requests = await h.reconcile();
      expect(requests.filter((r) => r.kind === 'ResourceQuota').map((r) => r.method)).toEqual([
        'PATCH',
        'PUT',
        'GET',
      ]);
      expect(applied(requests)).toContain('Deployment/app');
    });

    it('applies no Service or Deployment while a quota status another wrote (409) does not bind it yet', async () => {
      h = await harness();
      h.seedWorld();
      controllerWritesFirst({ 'requests.nvidia.com/gpu': '2' }); // not all of the spec yet
      const first = await h.reconcile();
      expect(applied(first)).not.toContain('Deployment/app');
      expect(applied(first)).not.toContain('Service/app');
      expect(h.status()).toMatchObject({ phase: 'Deploying' });

      h.enforceQuota();
      const second = await h.reconcile();
      expect(second.filter((r) => r.method === 'PUT')).toEqual([]);
      expect(applied(second).sort()).toEqual(['Deployment/app', 'Service/app']);
    });

    it('leaves a quota that has a status to the quota controller, applying the Deployments once status.hard equals its spec', async () => {
      h = await harness();
      h.seedWorld();
      h.seedNamespace(h.api.stored(ComputeLeaseKind, leaseName));
      h.api.seed(ResourceQuotaKind, {
        metadata: { name: 'bought', namespace },
        status: { hard: { 'requests.nvidia.com/gpu': '2' }, used: {} }, // of an earlier spec
      });
      const first = await h.reconcile();
      expect(first.filter((r) => r.method === 'PUT')).toEqual([]);
      expect(applied(first)).not.toContain('Deployment/app');

      h.enforceQuota();
      expect(applied(await h.reconcile()).sort()).toEqual(['Deployment/app', 'Service/app']);
      expect(applied(await h.reconcile())).toEqual([]);
    });

    it('leaves a new quota to the quota controller when its namespace already holds pods, Services or Deployments', async () => {
      for (const kind of [PodKind, ServiceKind, DeploymentKind] as ResourceKind[]) {
        h = await harness();
        h.seedWorld();
        h.seedNamespace(h.api.stored(ComputeLeaseKind, leaseName));
        h.api.seed(kind, { metadata: { name: 'left-over', namespace } });
        const requests = await h.reconcile();
        expect(requests.filter((r) => r.method === 'PUT')).toEqual([]);
        expect(applied(requests)).not.toContain('Deployment/app');
        expect(h.api.stored(ResourceQuotaKind, `${namespace}/bought`)?.status).toBeUndefined();
        await h.stop();
      }
    });

    it('writes the quota status once, even when a reconcile comes before the cache shows it', async () => {
      h = await harness();
      h.seedWorld();
      for (const kind of [ResourceQuotaKind, DeploymentKind, ServiceKind]) h.watch(kind).hold();
      const first = await h.reconcile();
      expect(first.filter((r) => r.method === 'PUT')).toHaveLength(1);
      h.watch(ResourceQuotaKind).release(1); // the quota as applied, without its status
      const second = await h.reconcile();
      expect(second.filter((r) => r.kind === 'ResourceQuota')).toEqual([]);
      for (const kind of [ResourceQuotaKind, DeploymentKind, ServiceKind]) h.watch(kind).release();
      expect(objectWrites(await h.reconcile())).toEqual([]);
    });

    it('is Running once the Deployment is rolled out, with the endpoints', async () => {
      h = await harness();
      h.seedWorld();
      await h.reconcile();
      h.api.update(DeploymentKind, `${namespace}/app`, (deployment) => {
        deployment.status = {
          observedGeneration: deployment.metadata?.generation,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
        };
      });
      await h.reconcile();
      expect(h.status()).toMatchObject({
        phase: 'Running',
        readyReplicas: 1,
        endpoints: [{ service: 'app', port: 8000, host: `app.${namespace}.svc` }],
      });
    });

    it('times each step to Running once, from its first reconcile', async () => {
      const registry = new Registry();
      h = await harness(verified, undefined, registry);
      h.seedWorld();
      await h.reconcile();
      await h.clock.advance(1_500);
      await h.reconcile(); // nothing new
      await h.clock.advance(2_000);
      h.api.update(DeploymentKind, `${namespace}/app`, (deployment) => {
        deployment.status = {
          observedGeneration: deployment.metadata?.generation,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
        };
      });
      await h.reconcile();
      await h.reconcile(); // Running already: recorded nothing more
      const histogram = registry.getSingleMetric('supercloud_lease_phase_seconds') as Histogram;
      const metric = await histogram.get();
      const total = (suffix: string) =>
        Object.fromEntries(
          metric.values
            .filter((v) => v.metricName === `supercloud_lease_phase_seconds_${suffix}`)
            .map((v) => [v.labels.phase, v.value]),
        );
      expect(total('count')).toEqual({
        verified: 1,
        namespace_applied: 1,
        walls_applied: 1,
        quota_enforced: 1,
        deployments_applied: 1,
        running: 1,
      });
      expect(total('sum')).toEqual({
        verified: 0,
        namespace_applied: 0,
        walls_applied: 0,
        quota_enforced: 0,
        deployments_applied: 0,
        running: 3.5,
      });
    });
  });

  describe('a verified lease with an HTTP port, on a provider with an ingress domain', () => {
    const domain = { domain: 'gpu.example.com' };
    /** Marks the corpus lease's exposed port 8000 as HTTP (or back). */
    const setHttp = (lease: ComputeLease, http: boolean) => {
      const [app] = lease.spec.manifest.services;
      app!.ports = [{ port: 8000, protocol: 'TCP', expose: true, ...(http ? { http } : {}) }];
    };

    it('applies the Ingress with the Services and lists its URL in the endpoints', async () => {
      h = await harness(verified, domain);
      h.api.seed(GpuNodePoolKind, corpusPool);
      h.api.seed(NodeKind, gpuNode('h100-0', 8));
      h.seedLease((lease) => setHttp(lease, true));
      expect(applied(await h.reconcile())).toContain('Ingress/http');
      expect(h.api.stored(IngressKind, `${namespace}/http`)?.spec?.rules?.[0]?.host).toBe(
        `${namespace}-app.gpu.example.com`,
      );
      expect(h.status()?.endpoints).toEqual([
        {
          service: 'app',
          port: 8000,
          protocol: 'TCP',
          host: `app.${namespace}.svc`,
          url: `https://${namespace}-app.gpu.example.com`,
        },
      ]);
      expect(applied(await h.reconcile())).not.toContain('Ingress/http');
    });

    it('deletes the Ingress once the manifest has no HTTP port any more', async () => {
      h = await harness(verified, domain);
      h.api.seed(GpuNodePoolKind, corpusPool);
      h.api.seed(NodeKind, gpuNode('h100-0', 8));
      h.seedLease((lease) => setHttp(lease, true));
      await h.reconcile();
      h.api.update(ComputeLeaseKind, leaseName, (lease) => setHttp(lease, false));
      const requests = await h.reconcile();
      expect(objectWrites(requests).filter((r) => r.method === 'DELETE')).toEqual([
        expect.objectContaining({ kind: 'Ingress', name: 'http' }),
      ]);
      expect(h.api.stored(IngressKind, `${namespace}/http`)).toBeUndefined();
      expect(h.status()?.endpoints?.[0]).not.toHaveProperty('url');
    });
  });

  describe('a verified lease whose manifest names a secret', () => {
    const needSecret = (manifest: ComputeLease['spec']['manifest']) => {
      manifest.services[0]!.env = [{ name: 'HF_TOKEN', secret: 'hf-token' }];
    };

    it('holds its Deployment, Deploying with SecretsMissing, until the gateway lists the secret on the namespace', async () => {
      const manifest = verifiedManifest();
      needSecret(manifest);
      h = await harness({ verified: true, manifest });
      h.api.seed(GpuNodePoolKind, corpusPool);
      h.api.seed(NodeKind, gpuNode('h100-0', 8));
      h.seedLease((lease) => needSecret(lease.spec.manifest));
      await h.reconcile();
      h.enforceQuota();
      expect(applied(await h.reconcile())).not.toContain('Deployment/app');
      expect(h.status()?.phase).toBe('Deploying');
      expect(h.condition('Available')).toMatchObject({
        reason: 'SecretsMissing',
        message: expect.stringContaining('app needs hf-token'),
      });
      h.api.update(NamespaceKind, namespace, (ns) => {
        ns.metadata = {
          ...ns.metadata,
          annotations: { ...ns.metadata?.annotations, 'supercloud.dev/tenant-secrets': 'hf-token' },
        };
      });
      expect(applied(await h.reconcile())).toContain('Deployment/app');
      expect(h.condition('Available')?.reason).not.toBe('SecretsMissing');
    });
  });

  describe('a verified lease on a pool without room', () => {
    it('waits in Deploying with InsufficientCapacity and creates nothing', async () => {
      h = await harness();
      h.seedWorld(1);
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(h.status()).toMatchObject({
        phase: 'Deploying',
        message: 'waiting for capacity on pool h100: needs 2 GPUs, the pool has 1 free',
      });
      expect(h.condition('Available')).toMatchObject({
        status: 'False',
        reason: 'InsufficientCapacity',
      });
    });
  });

  describe('a namespace of the same name that is not the lease’s', () => {
    it('is never taken over: the lease is rejected and the namespace left alone', async () => {
      h = await harness();
      h.seedWorld();
      h.seedNamespace(undefined);
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(h.api.stored(NamespaceKind, namespace)?.metadata?.ownerReferences).toBeUndefined();
      expect(h.status()?.phase).toBe('Rejected');
      expect(h.condition('Verified')?.message).toBe(
        `spec.leaseId: the namespace ${namespace} of lease id 900000 already exists and belongs to no ComputeLease`,
      );
    });

    it('is never taken over when another lease owns it either', async () => {
      h = await harness();
      h.seedWorld();
      const other = h.api.seed(ComputeLeaseKind, validLease('other-lease'));
      h.seedNamespace(other);
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(h.condition('Verified')?.message).toContain(
        `belongs to ComputeLease other-lease (uid ${other.metadata.uid})`,
      );
    });

    it('waits, creating nothing, while a foreign namespace of that name terminates', async () => {
      h = await harness();
      h.seedWorld();
      h.seedNamespace(undefined, {
        deletionTimestamp: '2025-06-01T11:59:00Z',
        finalizers: ['example.dev/hold'],
      });
      const requests = await h.reconcile();
      expect(objectWrites(requests)).toEqual([]);
      expect(h.status()?.message).toBe(
        `waiting for the namespace ${namespace} of a deleted lease to be removed`,
      );
    });
  });

  describe('an object the API server refuses', () => {
    it('stops retrying with a terminal error and reports the failure in the status', async () => {
      h = await harness();
      h.seedWorld();
      h.api.refuse((r) => r.kind === 'LimitRange', 422, 'spec.limits[0].max: Invalid value');
      const error = await h.reconcile().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TerminalError);
      expect((error as TerminalError).details).toContain('spec.limits[0].max: Invalid value');
      expect(statusWrites(h.api.requests)).toHaveLength(1);
      expect(h.status()?.phase).toBe('Failed');
      expect(h.status()?.message).toContain('spec.limits[0].max: Invalid value');
    });

    it('throws a transient error as it is, to be retried, and still writes the status', async () => {
      h = await harness();
      h.seedWorld();
      h.api.refuse((r) => r.kind === 'LimitRange', 500, 'etcdserver: request timed out');
      const error = await h.reconcile().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeApiError);
      expect(error).not.toBeInstanceOf(TerminalError);
      expect(statusWrites(h.api.requests)).toHaveLength(1);
      expect(h.status()?.phase).toBe('Deploying');
    });
  });

  describe('status writes', () => {
    it('writes the status once per reconcile, and not at all when nothing in it changed', async () => {
      h = await harness();
      h.seedWorld();
      const writes: number[] = [];
      const step = async () => writes.push(statusWrites(await h.reconcile()).length);
      await step(); // New → Deploying, the Deployment applied
      await step(); // unchanged
      h.enforceQuota(); // the quota controller takes over the quota status
      await step(); // still 0/1 ready
      h.api.update(DeploymentKind, `${namespace}/app`, (deployment) => {
        deployment.status = {
          observedGeneration: deployment.metadata?.generation,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
        };
      });
      await step(); // Running
      await step(); // unchanged
      expect(writes).toEqual([1, 0, 0, 1, 0]);
      expect(h.status()?.phase).toBe('Running');
    });

    it('writes and announces a status once while the cache still shows the lease from before the write', async () => {
      h = await harness();
      h.seedWorld();
      h.watch(ComputeLeaseKind).hold();
      const first = await h.reconcile(); // New → Deploying
      const second = await h.reconcile(); // woken by its objects; the cache has no status yet
      expect(statusWrites(first)).toHaveLength(1);
      expect(statusWrites(second)).toEqual([]);
      h.watch(ComputeLeaseKind).release();
      h.api.update(DeploymentKind, `${namespace}/app`, (deployment) => {
        deployment.status = {
          observedGeneration: deployment.metadata?.generation,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
        };
      });
      expect(statusWrites(await h.reconcile())).toHaveLength(1); // Running
      await h.recorder.flush();
      expect(h.events.map((event) => event.reason)).toEqual(['Deploying', 'Running']);
    });

    it('writes it by server-side apply on the status subresource, as the operator', async () => {
      h = await harness();
      h.seedWorld();
      const [write] = statusWrites(await h.reconcile());
      expect(write).toMatchObject({
        method: 'PATCH',
        name: leaseName,
        subresource: 'status',
        patchType: 'apply',
        fieldManager: 'supercloud-operator',
        force: true,
      });
    });
  });
});
