// Bad input the operator must refuse, each with the field its refusal must name. Unit tests run
// every case through verifyLease / parseManifestYaml; integration tests apply the leases to a
// real API server (which refuses some through the CRD schema) and to the controller.
import type { ComputeLease } from '../../api/computelease.js';
import { apiVersion } from '../../api/constants.js';
import type { GpuNodePool } from '../../api/gpunodepool.js';
import { canonicalManifestHash } from '../canonical.js';

/** The pool every corpus lease is verified against (the local stack's H100 nodes). */
export const corpusPool: GpuNodePool = {
  apiVersion,
  kind: 'GpuNodePool',
  metadata: { name: 'h100' },
  spec: {
    nodeSelector: { 'supercloud.dev/pool': 'h100' },
    gpu: { vendor: 'nvidia', model: 'NVIDIA-H100-80GB-HBM3', memoryMiB: 81559, interface: 'SXM' },
    extendedResourceName: 'nvidia.com/gpu',
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    prices: {
      perGpuHour: '2500000000000000000',
      perCpuCoreHour: '0',
      perGiBMemoryHour: '0',
      perGiBStorageHour: '0',
    },
    reservedGpus: 0,
  },
};

/** A manifest that passes: one 2-GPU service with an exposed port. */
export function validManifest(): Record<string, unknown> {
  return {
    version: 'v1',
    services: [
      {
        name: 'app',
        image: 'registry.example.com/team/app:1.0',
        env: [{ name: 'MODE', value: 'serve' }],
        ports: [{ port: 8000, expose: true }],
        resources: { gpus: 2, cpuMillis: 4000, memoryMiB: 16384, shmMiB: 1024 },
      },
    ],
  };
}

/**
 * A lease that passes verification against `corpusPool`, its hash computed from `manifest`.
 * @param name metadata.name; the lease id is derived from `id`.
 */
export function validLease(
  name = 'corpus-valid',
  id = 900_000,
  manifest: unknown = validManifest(),
): ComputeLease {
  return {
    apiVersion,
    kind: 'ComputeLease',
    metadata: { name },
    spec: {
      leaseId: String(id),
      orderId: String(id),
      tenant: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      provider: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      pool: 'h100',
      resources: {
        gpus: 2,
        gpuModel: 'NVIDIA-H100-80GB-HBM3',
        gpuMemoryMiB: 80000,
        cpuMillis: 8000,
        memoryMiB: 32768,
        storageMiB: 8192,
      },
      manifest: manifest as ComputeLease['spec']['manifest'],
      manifestHash: canonicalManifestHash(manifest),
      pricePerSecond: '1388888888888888',
      ingress: { serviceType: 'ClusterIP' },
    },
  };
}

/** One bad lease and the field path its refusal must name. */
export interface BadLeaseCase {
  readonly name: string;
  /** A ComputeLease (without uid) to apply, or whose spec goes to verifyLease with corpusPool. */
  readonly lease: ComputeLease;
  /** The field path the refusal names, API-server style (`spec.manifest.services[0].image`). */
  readonly field: string;
  /** Larger than the API server accepts in one request (it answers 413 before any schema check). */
  readonly tooLargeForApiServer?: boolean;
}

type Json = Record<string, unknown>;
type Mutation = (manifest: Json & { services: Json[] }, spec: Json) => void;

const service = (manifest: { services: Json[] }): Json & { resources: Json } =>
  manifest.services[0] as Json & { resources: Json };

/** [name, field, how to break a valid lease]; the manifest hash is recomputed afterwards. */
const leaseMutations: readonly [string, string, Mutation, { tooLarge?: boolean }?][] = [
  ['privileged', 'spec.manifest.services[0].privileged', (m) => (service(m).privileged = true)],
  [
    'privileged security context',
    'spec.manifest.services[0].securityContext',
    (m) => (service(m).securityContext = { privileged: true }),
  ],
  [
    'hostPath volume',
    'spec.manifest.services[0].volumes',
    (m) => (service(m).volumes = [{ name: 'root', hostPath: { path: '/' } }]),
  ],
  ['hostNetwork', 'spec.manifest.services[0].hostNetwork', (m) => (service(m).hostNetwork = true)],
  ['hostPID', 'spec.manifest.services[0].hostPID', (m) => (service(m).hostPID = true)],
  ['hostIPC', 'spec.manifest.services[0].hostIPC', (m) => (service(m).hostIPC = true)],
  [
    'added capabilities',
    'spec.manifest.services[0].capabilities',
    (m) => (service(m).capabilities = { add: ['SYS_ADMIN'] }),
  ],
  ['hostPort', 'spec.manifest.services[0].hostPort', (m) => (service(m).hostPort = 80)],
  ['nodeName', 'spec.manifest.services[0].nodeName', (m) => (service(m).nodeName = 'h100-0')],
  [
    'init containers',
    'spec.manifest.services[0].initContainers',
    (m) => (service(m).initContainers = [{ name: 'x', image: 'busybox' }]),
  ],
  ['root by UID 0', 'spec.manifest.services[0].runAsUser', (m) => (service(m).runAsUser = 0)],
  ['negative UID', 'spec.manifest.services[0].runAsUser', (m) => (service(m).runAsUser = -1)],
  [
    'more GPUs than bought',
    'spec.manifest.services[0].resources.gpus',
    (m) => (service(m).resources.gpus = 4),
  ],
  [
    'replicas use more GPUs than bought',
    'spec.manifest.services[0].resources.gpus',
    (m) => (service(m).replicas = 2),
  ],
  [
    'a second service uses more GPUs than bought',
    'spec.manifest.services[1].resources.gpus',
    (m) =>
      m.services.push({
        name: 'sidecar',
        image: 'busybox:1.36',
        resources: { gpus: 1, cpuMillis: 100, memoryMiB: 64 },
      }),
  ],
  [
    'more CPU than bought',
    'spec.manifest.services[0].resources.cpuMillis',
    (m) => (service(m).resources.cpuMillis = 64000),
  ],
  [
    'more memory than bought',
    'spec.manifest.services[0].resources.memoryMiB',
    (m) => (service(m).resources.memoryMiB = 65536),
  ],
  [
    'more storage than bought',
    'spec.manifest.services[0].resources.ephemeralStorageMiB',
    (m) => (service(m).resources.ephemeralStorageMiB = 65536),
  ],
  [
    'GPU model other than the pool',
    'spec.resources.gpuModel',
    (_m, spec) => ((spec.resources as Json).gpuModel = 'NVIDIA-A100-SXM4-40GB'),
  ],
  [
    'more GPU memory than the pool has',
    'spec.resources.gpuMemoryMiB',
    (_m, spec) => ((spec.resources as Json).gpuMemoryMiB = 196608),
  ],
  ['pool other than the one verified against', 'spec.pool', (_m, spec) => (spec.pool = 'a100')],
  [
    'negative GPUs',
    'spec.manifest.services[0].resources.gpus',
    (m) => (service(m).resources.gpus = -1),
  ],
  [
    'negative CPU',
    'spec.manifest.services[0].resources.cpuMillis',
    (m) => (service(m).resources.cpuMillis = -500),
  ],
  [
    'absurd memory',
    'spec.manifest.services[0].resources.memoryMiB',
    (m) => (service(m).resources.memoryMiB = 1e12),
  ],
  [
    'fractional GPU',
    'spec.manifest.services[0].resources.gpus',
    (m) => (service(m).resources.gpus = 0.5),
  ],
  [
    'GPU count as a string',
    'spec.manifest.services[0].resources.gpus',
    (m) => (service(m).resources.gpus = '2'),
  ],
  [
    'shared memory larger than memory',
    'spec.manifest.services[0].resources.shmMiB',
    (m) => (service(m).resources.shmMiB = 20000),
  ],
  [
    'negative bought GPUs',
    'spec.resources.gpus',
    (_m, spec) => ((spec.resources as Json).gpus = -2),
  ],
  [
    'a 10 MB environment value',
    'spec.manifest.services[0].env[0].value',
    (m) => (service(m).env = [{ name: 'BLOB', value: 'x'.repeat(10 * 1024 * 1024) }]),
    { tooLarge: true },
  ],
  [
    'a 40 KiB environment value',
    'spec.manifest.services[0].env[0].value',
    (m) => (service(m).env = [{ name: 'BLOB', value: 'x'.repeat(40 * 1024) }]),
  ],
  [
    'an image reference that is not one',
    'spec.manifest.services[0].image',
    (m) => (service(m).image = 'Not An Image!'),
  ],
  [
    'an image reference with a bad digest',
    'spec.manifest.services[0].image',
    (m) => (service(m).image = 'busybox@sha256:xyz'),
  ],
  ['an empty image', 'spec.manifest.services[0].image', (m) => (service(m).image = '')],
  ['no image', 'spec.manifest.services[0].image', (m) => delete service(m).image],
  [
    '1,000 services',
    'spec.manifest.services',
    (m) => {
      m.services = Array.from({ length: 1000 }, (_, i) => ({
        name: `s${i}`,
        image: 'busybox:1.36',
        resources: { cpuMillis: 1, memoryMiB: 1, shmMiB: 1 },
      }));
    },
  ],
  ['no services', 'spec.manifest.services', (m) => (m.services = [])],
  [
    'a service name that is not a DNS label',
    'spec.manifest.services[0].name',
    (m) => (service(m).name = 'My_Service'),
  ],
  [
    'a service name too long for a pod name',
    'spec.manifest.services[0].name',
    (m) => (service(m).name = 'a'.repeat(41)),
  ],
  [
    'duplicate service names',
    'spec.manifest.services[1].name',
    (m) => m.services.push({ ...service(m), resources: { cpuMillis: 100, memoryMiB: 64 } }),
  ],
  [
    'an environment variable name that is not one',
    'spec.manifest.services[0].env[0].name',
    (m) => (service(m).env = [{ name: '1BAD=NAME', value: 'x' }]),
  ],
  [
    'duplicate environment variables',
    'spec.manifest.services[0].env[1].name',
    (m) =>
      (service(m).env = [
        { name: 'A', value: '1' },
        { name: 'A', value: '2' },
      ]),
  ],
  ['port 0', 'spec.manifest.services[0].ports[0].port', (m) => (service(m).ports = [{ port: 0 }])],
  [
    'port 70000',
    'spec.manifest.services[0].ports[0].port',
    (m) => (service(m).ports = [{ port: 70000 }]),
  ],
  [
    'duplicate ports',
    'spec.manifest.services[0].ports[1].port',
    (m) => (service(m).ports = [{ port: 80 }, { port: 80 }]),
  ],
  [
    'an unknown protocol',
    'spec.manifest.services[0].ports[0].protocol',
    (m) => (service(m).ports = [{ port: 80, protocol: 'SCTP' }]),
  ],
  ['zero replicas', 'spec.manifest.services[0].replicas', (m) => (service(m).replicas = 0)],
  ['1,000 replicas', 'spec.manifest.services[0].replicas', (m) => (service(m).replicas = 1000)],
  [
    '257 arguments',
    'spec.manifest.services[0].args',
    (m) => (service(m).args = Array.from({ length: 257 }, () => '-v')),
  ],
  [
    'a 5,000-character command word',
    'spec.manifest.services[0].command[0]',
    (m) => (service(m).command = ['x'.repeat(5000)]),
  ],
  // Secrets by name (delivered through the gateway) and HTTP ports.
  [
    'an environment variable with both a value and a secret',
    'spec.manifest.services[0].env[0]',
    (m) => (service(m).env = [{ name: 'TOKEN', value: 'x', secret: 'hf-token' }]),
  ],
  [
    'an environment variable with neither a value nor a secret',
    'spec.manifest.services[0].env[0]',
    (m) => (service(m).env = [{ name: 'TOKEN' }]),
  ],
  [
    'a secret name with a slash',
    'spec.manifest.services[0].env[0].secret',
    (m) => (service(m).env = [{ name: 'TOKEN', secret: '../wallet' }]),
  ],
  [
    'an HTTP port that is not exposed',
    'spec.manifest.services[0].ports[0].http',
    (m) => (service(m).ports = [{ port: 8000, http: true }]),
  ],
  [
    'an HTTP port over UDP',
    'spec.manifest.services[0].ports[0].http',
    (m) => (service(m).ports = [{ port: 8000, protocol: 'UDP', expose: true, http: true }]),
  ],
  [
    'two HTTP ports with one host name',
    'spec.manifest.services[1].ports[0].http',
    (m) => {
      service(m).ports = [
        { port: 8000, expose: true, http: true },
        { port: 8080, expose: true, http: true },
      ];
      m.services.push({
        name: 'app-8080',
        image: 'registry.example.com/team/web:1.0',
        ports: [{ port: 80, expose: true, http: true }],
        resources: { cpuMillis: 100, memoryMiB: 64 },
      });
    },
  ],
  // GPUs a lease did not buy: variables the GPU runtime reads, and a lease that buys none.
  [
    'NVIDIA_VISIBLE_DEVICES=all',
    'spec.manifest.services[0].env[1].name',
    (m) =>
      (service(m).env = [
        { name: 'MODE', value: 'x' },
        { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' },
      ]),
  ],
  [
    'a lower-case NVIDIA driver capabilities variable',
    'spec.manifest.services[0].env[0].name',
    (m) => (service(m).env = [{ name: 'nvidia_driver_capabilities', value: 'all' }]),
  ],
  [
    'the NVIDIA require-check switch',
    'spec.manifest.services[0].env[0].name',
    (m) => (service(m).env = [{ name: 'NVIDIA_DISABLE_REQUIRE', value: 'true' }]),
  ],
  [
    'AMD_VISIBLE_DEVICES',
    'spec.manifest.services[0].env[0].name',
    (m) => (service(m).env = [{ name: 'AMD_VISIBLE_DEVICES', value: 'all' }]),
  ],
  [
    'a lease that buys no GPU on a GPU pool',
    'spec.resources.gpus',
    (m, spec) => {
      service(m).resources.gpus = 0;
      (spec.resources as Json).gpus = 0;
    },
  ],
  // The node's image pull as a way into the datacenter.
  ...(
    [
      ['localhost:5000/app:1', 'a loopback registry'],
      ['127.0.0.1:5000/app:1', 'a loopback IP registry'],
      ['0x7f.1:5000/app:1', 'a loopback address in inet_aton form'],
      ['169.254.169.254/latest/meta-data:1', 'the cloud metadata address'],
      ['10.0.0.5:5000/app:1', 'a private-range registry'],
      ['registry:5000/app:1', 'a single-label registry'],
      ['registry.kube-system.svc.cluster.local:5000/app:1', 'a cluster-internal registry'],
      ['metadata.google.internal/app:1', 'an .internal registry'],
      ['127.0.0.1.nip.io/app:1', 'a wildcard-DNS name for loopback'],
      ['app-10-0-0-5.example.com/app:1', 'a name carrying a dashed private address'],
    ] as const
  ).map(([image, name]): [string, string, Mutation] => [
    `an image from ${name}`,
    'spec.manifest.services[0].image',
    (m) => (service(m).image = image),
  ]),
  // Parser edges: what the API server refuses must be refused before a bid.
  [
    'a __proto__ key',
    'spec.manifest.services[0].__proto__',
    (m) =>
      Object.defineProperty(service(m), '__proto__', {
        value: { privileged: true },
        enumerable: true,
        configurable: true,
        writable: true,
      }),
  ],
  [
    'a constructor key',
    'spec.manifest.services[0].constructor',
    (m) =>
      Object.defineProperty(service(m), 'constructor', {
        value: { name: 'x' },
        enumerable: true,
        configurable: true,
        writable: true,
      }),
  ],
  [
    'a port name of digits only',
    'spec.manifest.services[0].ports[0].name',
    (m) => (service(m).ports = [{ port: 8000, name: '8000', expose: true }]),
  ],
  [
    'a port name with a double dash',
    'spec.manifest.services[0].ports[0].name',
    (m) => (service(m).ports = [{ port: 8000, name: 'web--ui', expose: true }]),
  ],
  [
    'a port name an unnamed port gets',
    'spec.manifest.services[0].ports[1].name',
    (m) =>
      (service(m).ports = [
        { port: 80, expose: true },
        { port: 8000, name: 'tcp-80' },
      ]),
  ],
  [
    '200 tiny pods on a 2-GPU lease',
    'spec.manifest.services',
    (m) => {
      m.services.push(
        ...Array.from({ length: 20 }, (_, i) => ({
          name: `tiny${i}`,
          image: 'busybox:1.36',
          replicas: 10,
          resources: { cpuMillis: 1, memoryMiB: 1, shmMiB: 1, ephemeralStorageMiB: 1 },
        })),
      );
    },
  ],
  ['an unknown manifest version', 'spec.manifest.version', (m) => (m.version = 'v2')],
  ['an unknown manifest field', 'spec.manifest.extra', (m) => (m.extra = true)],
  ['an unknown spec field', 'spec.debug', (_m, spec) => (spec.debug = true)],
  ['a lease id that is not decimal', 'spec.leaseId', (_m, spec) => (spec.leaseId = '0x10')],
  ['a tenant that is not an address', 'spec.tenant', (_m, spec) => (spec.tenant = 'alice')],
  ['a pool name that is not a DNS label', 'spec.pool', (_m, spec) => (spec.pool = 'H100_pool')],
  ['a negative price', 'spec.pricePerSecond', (_m, spec) => (spec.pricePerSecond = '-1')],
];

/** Cases where the hash itself is what is wrong (it is not recomputed). */
const hashMutations: readonly [string, (spec: Json) => void][] = [
  ['a hash that does not match', (spec) => (spec.manifestHash = `0x${'ab'.repeat(32)}`)],
  ['a hash that is not 32 bytes', (spec) => (spec.manifestHash = '0x1234')],
  [
    'a manifest changed after hashing',
    (spec) => ((spec.manifest as { services: Json[] }).services[0]!.image = 'evil/miner:latest'),
  ],
];

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 50);
}

function buildLeaseCorpus(): BadLeaseCase[] {
  const cases: BadLeaseCase[] = [];
  leaseMutations.forEach(([name, field, mutate, flags], index) => {
    const lease = validLease(`bad-${slug(name)}`, 910_000 + index);
    const spec = lease.spec as unknown as Json;
    mutate(spec.manifest as Json & { services: Json[] }, spec);
    spec.manifestHash = canonicalManifestHash(spec.manifest);
    cases.push({ name, lease, field, ...(flags?.tooLarge ? { tooLargeForApiServer: true } : {}) });
  });
  hashMutations.forEach(([name, mutate], index) => {
    const lease = validLease(`bad-${slug(name)}`, 920_000 + index);
    mutate(lease.spec as unknown as Json);
    cases.push({ name, lease, field: 'spec.manifestHash' });
  });
  return cases;
}

/** Bad leases: insecure, oversized, misfitting, malformed and tampered ones. */
export const badLeaseCorpus: readonly BadLeaseCase[] = buildLeaseCorpus();

/** One bad manifest file and what its refusal must name ('' for the document as a whole). */
export interface BadManifestYamlCase {
  readonly name: string;
  readonly yaml: string;
  readonly field: string;
  /** A word the reason must contain, for document-level refusals. */
  readonly mentions?: string;
}

const validServiceYaml = `services:
  - name: app
    image: busybox:1.36
    resources: {cpuMillis: 100, memoryMiB: 64}
`;

/** "Billion laughs": nine levels of nine aliases each would expand to 387 million strings. */
const aliasBomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'
    .split('')
    .map((level, i) => `${level}: &${level} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  'services: *i',
].join('\n');

/** Bad manifest files: hostile YAML and the same mistakes as a tenant would write them. */
export const badManifestYamlCorpus: readonly BadManifestYamlCase[] = [
  { name: 'a YAML alias bomb', yaml: aliasBomb, field: '', mentions: 'aliases' },
  {
    name: 'a single anchor and alias',
    yaml: `x: &img busybox:1.36\n${validServiceYaml.replace('busybox:1.36', '*img')}`,
    field: '',
    mentions: 'aliases',
  },
  {
    name: 'a file over the size limit',
    yaml: `${validServiceYaml}# ${'x'.repeat(300 * 1024)}\n`,
    field: '',
    mentions: 'bytes',
  },
  {
    name: 'nesting deeper than any manifest',
    yaml: `${'['.repeat(100)}${']'.repeat(100)}`,
    field: '',
    mentions: 'YAML',
  },
  {
    name: 'a duplicate key',
    yaml: `${validServiceYaml}services: []\n`,
    field: '',
    mentions: 'duplicated',
  },
  {
    name: 'a JavaScript function tag',
    yaml: `version: !!js/function 'function () { return 1 }'\n${validServiceYaml}`,
    field: '',
    mentions: 'tag',
  },
  { name: 'not a mapping', yaml: '- services\n', field: '', mentions: 'object' },
  { name: 'broken YAML', yaml: 'services: [\n', field: '', mentions: 'YAML' },
  {
    name: 'a merge key',
    yaml: validServiceYaml.replace('    resources:', '    <<: {privileged: true}\n    resources:'),
    field: 'services[0][<<]',
  },
  {
    name: 'privileged in YAML',
    yaml: validServiceYaml.replace('    resources:', '    privileged: true\n    resources:'),
    field: 'services[0].privileged',
  },
  {
    name: 'a 10 MB environment value in YAML',
    yaml: `${validServiceYaml}    env: [{name: X, value: "${'x'.repeat(10 * 1024 * 1024)}"}]\n`,
    field: '',
    mentions: 'bytes',
  },
  {
    name: 'a YAML 1.1 boolean where a port is expected',
    yaml: validServiceYaml.replace('    resources:', '    ports: [{port: yes}]\n    resources:'),
    field: 'services[0].ports[0].port',
  },
];
