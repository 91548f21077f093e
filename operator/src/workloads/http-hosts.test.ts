import type { WorkloadManifest } from '../api/workload-manifest.js';
import { httpHostLabel, httpPorts } from './http-hosts.js';

const resources = { gpus: 0, cpuMillis: 100, memoryMiB: 64, ephemeralStorageMiB: 64, shmMiB: 1 };

function manifest(services: { name: string; ports: object[] }[]): WorkloadManifest {
  return {
    version: 'v1',
    services: services.map((service) => ({
      image: 'registry.example.com/app:1',
      command: [],
      args: [],
      env: [],
      replicas: 1,
      resources,
      readOnlyRootFilesystem: true,
      runAsUser: 65532,
      ...service,
    })),
  } as WorkloadManifest;
}

describe('httpPorts', () => {
  it("names a service's first HTTP port after the service and each further one after its port", () => {
    const ports = httpPorts(
      manifest([
        {
          name: 'api',
          ports: [
            { port: 22, protocol: 'TCP', expose: true },
            { port: 8000, protocol: 'TCP', expose: true, http: true },
            { port: 53, protocol: 'UDP', expose: true },
            { port: 9090, protocol: 'TCP', expose: true, http: true },
          ],
        },
        { name: 'ui', ports: [{ port: 3000, protocol: 'TCP', expose: true, http: true }] },
        { name: 'worker', ports: [] },
      ]),
    );
    expect(ports).toEqual([
      { service: 'api', port: 8000, name: 'api' },
      { service: 'api', port: 9090, name: 'api-9090' },
      { service: 'ui', port: 3000, name: 'ui' },
    ]);
  });

  it('keeps the first port its name when an HTTP port is added after it', () => {
    const one = manifest([
      { name: 'api', ports: [{ port: 8000, protocol: 'TCP', expose: true, http: true }] },
    ]);
    const two = manifest([
      {
        name: 'api',
        ports: [
          { port: 8000, protocol: 'TCP', expose: true, http: true },
          { port: 8001, protocol: 'TCP', expose: true, http: true },
        ],
      },
    ]);
    expect(httpPorts(two)[0]).toEqual(httpPorts(one)[0]);
  });

  it('has none for TCP and UDP ports that are not HTTP', () => {
    const plain = manifest([
      { name: 'db', ports: [{ port: 5432, protocol: 'TCP', expose: true }] },
      { name: 'dns', ports: [{ port: 53, protocol: 'UDP', expose: true }] },
    ]);
    expect(httpPorts(plain)).toEqual([]);
  });
});

describe('httpHostLabel', () => {
  it('is lease-<id>-<name>', () => {
    expect(httpHostLabel('42', { service: 'api', port: 8000, name: 'api' })).toBe('lease-42-api');
    expect(httpHostLabel('42', { service: 'api', port: 9090, name: 'api-9090' })).toBe(
      'lease-42-api-9090',
    );
  });

  it('cuts a label longer than DNS allows, keeping it unique with a hash of the whole', () => {
    const service = 'a'.repeat(40);
    const port = (n: number) => ({ service, port: n, name: `${service}-${n}` });
    const first = httpHostLabel('123456789012345678', port(8000));
    const second = httpHostLabel('123456789012345678', port(8001));
    expect(first).toHaveLength(63);
    expect(first).toMatch(/^lease-123456789012345678-a+-[0-9a-f]{8}$/);
    expect(second).not.toBe(first);
    expect(httpHostLabel('123456789012345678', port(8000))).toBe(first);
  });
});
