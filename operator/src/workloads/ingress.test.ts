import type { ComputeLease } from '../api/computelease.js';
import { applyOrder, desiredObjects } from './desired-objects.js';
import type { IngressSettings } from './ingress.js';
import { corpusPool, validLease } from './testing/corpus.js';

const resources = { gpus: 1, cpuMillis: 2000, memoryMiB: 8192, shmMiB: 1024 };

/** `api`: two HTTP ports and a plain TCP one; `db`: plain TCP only; `dns`: UDP only. */
const manifest = {
  version: 'v1' as const,
  services: [
    {
      name: 'api',
      image: 'example/api:1',
      ports: [
        { port: 8000, expose: true, http: true },
        { port: 9090, name: 'metrics', expose: true, http: true },
        { port: 7000, expose: false },
      ],
      resources,
    },
    {
      name: 'db',
      image: 'example/db:1',
      ports: [{ port: 5432, expose: true }],
      resources: { cpuMillis: 1000, memoryMiB: 1024 },
    },
    {
      name: 'dns',
      image: 'example/dns:1',
      ports: [{ port: 53, protocol: 'UDP', expose: true }],
      resources: { cpuMillis: 1000, memoryMiB: 1024 },
    },
  ],
};

function lease(overrides: Partial<ComputeLease['spec']> = {}): ComputeLease {
  const base = validLease('lease-42', 42);
  return {
    ...base,
    metadata: { name: 'lease-42', uid: 'uid-42', generation: 1 },
    spec: { ...base.spec, manifest: manifest as never, ...overrides },
  };
}

const domain: IngressSettings = { domain: 'gpu.example.com' };
const full: IngressSettings = {
  domain: 'gpu.example.com',
  className: 'nginx',
  clusterIssuer: 'letsencrypt-dns',
};

describe('the Ingress of a lease', () => {
  it("routes a host per HTTP port to its service's port, under the provider's domain", () => {
    const ingress = desiredObjects(lease(), corpusPool, { ingress: domain }).ingress;
    expect(ingress?.metadata).toMatchObject({
      name: 'http',
      namespace: 'lease-42',
      labels: {
        'supercloud.dev/lease': '42',
        'app.kubernetes.io/managed-by': 'supercloud-operator',
      },
      ownerReferences: [expect.objectContaining({ kind: 'ComputeLease', uid: 'uid-42' })],
    });
    expect(ingress?.spec?.rules).toEqual([
      {
        host: 'lease-42-api.gpu.example.com',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'api', port: { number: 8000 } } },
            },
          ],
        },
      },
      {
        host: 'lease-42-api-9090.gpu.example.com',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'api', port: { number: 9090 } } },
            },
          ],
        },
      },
    ]);
  });

  it("lists every host under TLS, on the controller's default certificate without an issuer", () => {
    const ingress = desiredObjects(lease(), corpusPool, { ingress: domain }).ingress;
    expect(ingress?.spec?.tls).toEqual([
      { hosts: ['lease-42-api.gpu.example.com'] },
      { hosts: ['lease-42-api-9090.gpu.example.com'] },
    ]);
    expect(ingress?.metadata).not.toHaveProperty('annotations');
    expect(ingress?.spec).not.toHaveProperty('ingressClassName');
  });

  it("takes the provider's class, and a cert-manager certificate per host from its issuer", () => {
    const ingress = desiredObjects(lease(), corpusPool, { ingress: full }).ingress;
    expect(ingress?.spec?.ingressClassName).toBe('nginx');
    expect(ingress?.metadata?.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt-dns',
    });
    expect(ingress?.spec?.tls).toEqual([
      { hosts: ['lease-42-api.gpu.example.com'], secretName: 'lease-42-api-tls' },
      { hosts: ['lease-42-api-9090.gpu.example.com'], secretName: 'lease-42-api-9090-tls' },
    ]);
  });

  it('is applied after the Services, before the Deployments', () => {
    const kinds = applyOrder(desiredObjects(lease(), corpusPool, { ingress: domain })).map(
      (o) => o.kind,
    );
    expect(kinds.indexOf('Ingress')).toBeGreaterThan(kinds.lastIndexOf('Service'));
    expect(kinds.indexOf('Ingress')).toBeLessThan(kinds.indexOf('Deployment'));
  });

  it('is not made without an ingress domain, and HTTP ports stay plain exposed ports', () => {
    const without = desiredObjects(lease(), corpusPool);
    expect(without.ingress).toBeUndefined();
    expect(applyOrder(without).map((o) => o.kind)).not.toContain('Ingress');
    const api = without.networkPolicies[0]?.spec.ingress?.[1]?.ports;
    expect(api).toContainEqual({ port: 8000, protocol: 'TCP' });
  });

  it('is not made for a manifest whose exposed ports are plain TCP and UDP', () => {
    const plain = {
      ...manifest,
      services: manifest.services.filter((service) => service.name !== 'api'),
    };
    const objects = desiredObjects(lease({ manifest: plain as never }), corpusPool, {
      ingress: full,
    });
    expect(objects.ingress).toBeUndefined();
  });
});

describe('Services beside the Ingress', () => {
  const balanced = lease({ ingress: { serviceType: 'LoadBalancer' } });

  it("give TCP and UDP ports the provider's service type, and HTTP-only services ClusterIP", () => {
    const onlyHttp = {
      ...manifest,
      services: [
        { ...manifest.services[0], ports: [{ port: 8000, expose: true, http: true }] },
        ...manifest.services.slice(1),
      ],
    };
    const objects = desiredObjects(
      lease({ manifest: onlyHttp as never, ingress: { serviceType: 'LoadBalancer' } }),
      corpusPool,
      { ingress: domain },
    );
    const types = Object.fromEntries(objects.services.map((s) => [s.metadata?.name, s.spec?.type]));
    expect(types).toEqual({ api: 'ClusterIP', db: 'LoadBalancer', dns: 'LoadBalancer' });
    expect(objects.resourceQuota.spec?.hard?.['services.loadbalancers']).toBe('2');
    expect(objects.resourceQuota.spec?.hard?.['services.nodeports']).toBe('2');
    // The HTTP port is reached through the ingress controller only; the others from anywhere.
    expect(objects.networkPolicies[0]?.spec.ingress?.slice(1)).toEqual([
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
      {
        from: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'supercloud-system' },
            },
          },
          { ipBlock: { cidr: '0.0.0.0/0' } },
          { ipBlock: { cidr: '::/0' } },
        ],
        ports: [
          { port: 5432, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
      },
    ]);
  });

  it('keep the service type of a service with a plain exposed port beside its HTTP ports', () => {
    const mixed = {
      ...manifest,
      services: [
        {
          ...manifest.services[0],
          ports: [...manifest.services[0]!.ports, { port: 2222, expose: true }],
        },
      ],
    };
    const objects = desiredObjects(
      lease({ manifest: mixed as never, ingress: { serviceType: 'LoadBalancer' } }),
      corpusPool,
      { ingress: domain },
    );
    expect(objects.services[0]?.spec?.type).toBe('LoadBalancer');
    expect(objects.ingress?.spec?.rules).toHaveLength(2);
  });

  it('give every service with an exposed port the service type without an ingress domain', () => {
    const objects = desiredObjects(balanced, corpusPool);
    expect(objects.services.map((s) => s.spec?.type)).toEqual([
      'LoadBalancer',
      'LoadBalancer',
      'LoadBalancer',
    ]);
  });
});
