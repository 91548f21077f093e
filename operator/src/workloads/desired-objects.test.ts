import type { ComputeLease } from '../api/computelease.js';
import { corpusPool, validLease } from './testing/corpus.js';
import { applyOrder, desiredObjects } from './desired-objects.js';

function lease(overrides: Partial<ComputeLease['spec']> = {}): ComputeLease {
  const base = validLease('lease-7', 7);
  return {
    ...base,
    metadata: { name: 'lease-7', uid: 'uid-7', generation: 1 },
    spec: { ...base.spec, ...overrides },
  };
}

const twoServices = {
  version: 'v1' as const,
  services: [
    {
      name: 'api',
      image: 'example/api:1',
      ports: [
        { port: 8000, expose: true },
        { port: 9090, name: 'metrics' },
      ],
      resources: { gpus: 1, cpuMillis: 2000, memoryMiB: 8192, shmMiB: 2048 },
      readOnlyRootFilesystem: false,
    },
    {
      name: 'worker',
      image: 'example/worker:1',
      replicas: 2,
      command: ['python', '-m', 'worker'],
      env: [{ name: 'QUEUE', value: 'redis://queue' }],
      resources: { cpuMillis: 1000, memoryMiB: 1024 },
    },
  ],
};

describe('desiredObjects', () => {
  const desired = desiredObjects(lease({ manifest: twoServices as never }), corpusPool);
  const owner = {
    apiVersion: 'supercloud.dev/v1alpha1',
    kind: 'ComputeLease',
    name: 'lease-7',
    uid: 'uid-7',
    controller: true,
    blockOwnerDeletion: true,
  };

  it('puts everything in the lease namespace, labelled, owned by the lease', () => {
    const objects = applyOrder(desired);
    expect(objects).toHaveLength(1 + 1 + 1 + 2 + 1 + 1 + 2);
    for (const object of objects) {
      expect(object.metadata?.ownerReferences).toEqual([owner]);
      expect(object.metadata?.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'supercloud-operator',
        'supercloud.dev/lease': '7',
        'supercloud.dev/tenant': '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
        'supercloud.dev/pool': 'h100',
      });
      if (object.kind !== 'Namespace') expect(object.metadata?.namespace).toBe('lease-7');
    }
    expect(objects[0]?.kind).toBe('Namespace');
    expect(objects.at(-1)?.kind).toBe('Deployment');
  });

  it('makes a restricted namespace that records the full lease id', () => {
    expect(desired.namespace.metadata?.name).toBe('lease-7');
    expect(desired.namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
    expect(desired.namespace.metadata?.annotations?.['supercloud.dev/lease-id']).toBe('7');
  });

  it('sets the quota to what was bought, GPUs included, and no volume claims', () => {
    expect(desired.resourceQuota.spec?.hard).toEqual({
      'requests.cpu': '8000m',
      'limits.cpu': '8000m',
      'requests.memory': '32768Mi',
      'limits.memory': '32768Mi',
      'requests.ephemeral-storage': '8192Mi',
      'limits.ephemeral-storage': '8192Mi',
      'requests.nvidia.com/gpu': '2',
      pods: '6',
      'services.loadbalancers': '0',
      'services.nodeports': '0',
      persistentvolumeclaims: '0',
    });
  });

  it('uses the pool extended resource name in the quota and the containers', () => {
    const amd = {
      ...corpusPool,
      spec: { ...corpusPool.spec, extendedResourceName: 'amd.com/gpu' },
    };
    const objects = desiredObjects(lease({ manifest: twoServices as never }), amd);
    expect(objects.resourceQuota.spec?.hard?.['requests.amd.com/gpu']).toBe('2');
    const limits = objects.deployments[0]?.spec?.template.spec?.containers[0]?.resources?.limits;
    expect(limits?.['amd.com/gpu']).toBe('1');
  });

  it('bounds containers with a LimitRange that forces requests to equal limits', () => {
    expect(desired.limitRange.spec.limits[0]).toEqual({
      type: 'Container',
      max: { cpu: '8000m', memory: '32768Mi', 'ephemeral-storage': '8192Mi' },
      default: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '256Mi' },
      defaultRequest: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '256Mi' },
      maxLimitRequestRatio: { cpu: '1', memory: '1' },
    });
  });

  it('lets in the same namespace, and the ingress namespace on exposed ports only', () => {
    const ingress = desired.networkPolicies.find((p) => p.metadata?.name === 'ingress');
    expect(ingress?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ podSelector: {} }] },
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': 'supercloud-system' },
              },
            },
          ],
          ports: [{ port: 8000, protocol: 'TCP' }],
        },
      ],
    });
  });

  it('opens exposed ports to anyone only for a LoadBalancer lease', () => {
    const public_ = desiredObjects(
      lease({ manifest: twoServices as never, ingress: { serviceType: 'LoadBalancer' } }),
      corpusPool,
    );
    const rule = public_.networkPolicies[0]?.spec.ingress?.[1];
    expect(rule?.from).toContainEqual({ ipBlock: { cidr: '0.0.0.0/0' } });
    expect(public_.resourceQuota.spec?.hard?.['services.loadbalancers']).toBe('1');
    expect(public_.resourceQuota.spec?.hard?.['services.nodeports']).toBe('2');
    expect(public_.services.find((s) => s.metadata?.name === 'api')?.spec?.type).toBe(
      'LoadBalancer',
    );
  });

  it('lets out DNS and the internet but not private, cluster or metadata ranges', () => {
    const egress = desired.networkPolicies.find((p) => p.metadata?.name === 'egress');
    const rules = egress?.spec.egress ?? [];
    expect(egress?.spec.policyTypes).toEqual(['Egress']);
    expect(rules[0]).toEqual({ to: [{ podSelector: {} }] });
    expect(rules[1]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
    const [v4, v6] = rules[2]?.to ?? [];
    expect(v4?.ipBlock?.cidr).toBe('0.0.0.0/0');
    expect(v4?.ipBlock?.except).toEqual(
      expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']),
    );
    expect(v6?.ipBlock).toEqual({ cidr: '::/0', except: ['::1/128', 'fc00::/7', 'fe80::/10'] });
  });

  it('takes the ingress namespace and denied ranges from the provider policy', () => {
    const custom = desiredObjects(lease(), corpusPool, {
      isolation: { ingressNamespace: 'edge', deniedEgressCidrs: ['10.96.0.0/12'] },
    });
    expect(JSON.stringify(custom.networkPolicies)).toContain('"edge"');
    const internet = custom.networkPolicies[1]?.spec.egress?.[2]?.to;
    expect(internet).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: ['10.96.0.0/12'] } },
      { ipBlock: { cidr: '::/0' } },
    ]);
  });

  it('gives workloads a ServiceAccount without a token', () => {
    expect(desired.serviceAccount).toMatchObject({
      metadata: { name: 'workload', namespace: 'lease-7' },
      automountServiceAccountToken: false,
    });
  });

  describe('a Deployment per service', () => {
    const [api, worker] = desired.deployments;
    const apiPod = api?.spec?.template.spec;
    const apiContainer = apiPod?.containers[0];

    it('runs on the pool nodes with its tolerations', () => {
      expect(apiPod?.nodeSelector).toEqual({ 'supercloud.dev/pool': 'h100' });
      expect(apiPod?.tolerations).toEqual([
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      ]);
      expect(apiPod).not.toHaveProperty('runtimeClassName');
      const withRuntime = {
        ...corpusPool,
        spec: { ...corpusPool.spec, runtimeClassName: 'nvidia' },
      };
      const d = desiredObjects(lease(), withRuntime).deployments[0];
      expect(d?.spec?.template.spec?.runtimeClassName).toBe('nvidia');
    });

    it('is locked down as Pod Security restricted requires', () => {
      expect(apiPod?.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(apiPod?.automountServiceAccountToken).toBe(false);
      expect(apiPod?.serviceAccountName).toBe('workload');
      expect(apiPod?.enableServiceLinks).toBe(false);
      expect(apiContainer?.securityContext).toEqual({
        privileged: false,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: false,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(
        worker?.spec?.template.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem,
      ).toBe(true);
    });

    it('asks for GPUs, with requests equal to limits', () => {
      expect(apiContainer?.resources).toEqual({
        requests: {
          cpu: '2000m',
          memory: '8192Mi',
          'ephemeral-storage': '1024Mi',
          'nvidia.com/gpu': '1',
        },
        limits: {
          cpu: '2000m',
          memory: '8192Mi',
          'ephemeral-storage': '1024Mi',
          'nvidia.com/gpu': '1',
        },
      });
      expect(worker?.spec?.template.spec?.containers[0]?.resources?.limits).not.toHaveProperty(
        'nvidia.com/gpu',
      );
    });

    it('mounts memory-backed /dev/shm of the asked size, and /tmp when the root is read-only', () => {
      expect(apiPod?.volumes).toEqual([
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '2048Mi' } },
      ]);
      expect(apiContainer?.volumeMounts).toEqual([{ name: 'shm', mountPath: '/dev/shm' }]);
      const workerPod = worker?.spec?.template.spec;
      expect(workerPod?.volumes?.map((v) => v.name)).toEqual(['shm', 'tmp']);
      expect(workerPod?.containers[0]?.volumeMounts?.map((m) => m.mountPath)).toEqual([
        '/dev/shm',
        '/tmp',
      ]);
    });

    it('carries the manifest image, command, env, ports and replicas', () => {
      expect(worker?.spec?.replicas).toBe(2);
      expect(worker?.spec?.template.spec?.containers[0]).toMatchObject({
        name: 'worker',
        image: 'example/worker:1',
        command: ['python', '-m', 'worker'],
        env: [
          { name: 'QUEUE', value: 'redis://queue' },
          { name: 'NVIDIA_VISIBLE_DEVICES', value: 'void' },
        ],
      });
      expect(apiContainer?.ports).toEqual([
        { containerPort: 8000, protocol: 'TCP' },
        { containerPort: 9090, protocol: 'TCP', name: 'metrics' },
      ]);
    });

    it('takes secret variables from the lease Secret and pulls with its registry Secret', () => {
      const withSecrets = lease();
      const [first] = withSecrets.spec.manifest.services;
      withSecrets.spec.manifest.services[0] = {
        ...first!,
        env: [{ name: 'HF_TOKEN', secret: 'hf-token' }],
        imagePullSecret: true,
      };
      const pod = desiredObjects(withSecrets, corpusPool).deployments[0]?.spec?.template.spec;
      expect(pod?.containers[0]?.env).toEqual([
        {
          name: 'HF_TOKEN',
          valueFrom: { secretKeyRef: { name: 'tenant-secrets', key: 'hf-token' } },
        },
      ]);
      expect(pod?.imagePullSecrets).toEqual([{ name: 'tenant-registry' }]);
      expect(apiPod).not.toHaveProperty('imagePullSecrets');
    });

    it('tells the GPU runtime "no device" only in containers that bought no GPU', () => {
      // A CUDA base image sets NVIDIA_VISIBLE_DEVICES=all itself; the pod's value overrides it.
      expect(worker?.spec?.template.spec?.containers[0]?.env).toContainEqual({
        name: 'NVIDIA_VISIBLE_DEVICES',
        value: 'void',
      });
      expect(apiContainer?.env ?? []).not.toContainEqual(
        expect.objectContaining({ name: 'NVIDIA_VISIBLE_DEVICES' }),
      );
    });

    it('selects its pods by service and replaces them without surging past the quota', () => {
      expect(api?.spec?.selector).toEqual({ matchLabels: { 'supercloud.dev/service': 'api' } });
      expect(api?.spec?.template.metadata?.labels?.['supercloud.dev/service']).toBe('api');
      expect(api?.spec?.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
      });
    });
  });

  it('makes a Service only for services with ports', () => {
    expect(desired.services.map((s) => s.metadata?.name)).toEqual(['api']);
    expect(desired.services[0]?.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'supercloud.dev/service': 'api' },
      ports: [
        { name: 'tcp-8000', port: 8000, targetPort: 8000, protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
      ],
    });
  });

  it('is deterministic and needs the lease uid for owner references', () => {
    expect(desiredObjects(lease(), corpusPool)).toEqual(desiredObjects(lease(), corpusPool));
    const noUid = { ...lease(), metadata: { name: 'lease-7' } };
    expect(() => desiredObjects(noUid, corpusPool)).toThrow(/metadata.uid/);
  });
});
