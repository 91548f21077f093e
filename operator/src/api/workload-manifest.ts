// The tenant-facing workload manifest: what runs, in which images, with which resources. It is
// hashed on chain (canonical serialization in workloads/canonical.ts) and embedded in
// ComputeLease.spec.manifest. Limits here bound what a provider ever has to process.
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './schema.js';

/** Versions of the manifest format this operator understands. */
export const manifestVersions = ['v1'] as const;

/** Limits that keep a manifest small enough for calldata, etcd and the controller. */
export const manifestLimits = {
  services: 32,
  replicas: 64,
  gpusPerReplica: 64,
  cpuMillisPerReplica: 1_024_000,
  memoryMiBPerReplica: 16 * 1024 * 1024,
  ephemeralStorageMiBPerReplica: 64 * 1024 * 1024,
  commandItems: 64,
  argItems: 256,
  argLength: 4096,
  envVars: 128,
  envValueLength: 32 * 1024,
  portsPerService: 16,
  imageLength: 512,
  serviceNameLength: 40,
  /** Pods of a whole lease (services × replicas): this many, plus podsPerGpu per GPU used. */
  podsPerLease: 8,
  podsPerGpu: 8,
  /** Pods of a whole lease, however many GPUs it uses: node pod slots are not for sale. */
  maxPodsPerLease: 128,
} as const;

/**
 * A port name as Kubernetes accepts it (IANA_SVC_NAME): lower-case letters, digits and single
 * dashes inside, at most 15 characters, and at least one letter (checked by a rule beside it).
 */
export const portNamePattern = '^[a-z0-9]+(-[a-z0-9]+)*$';

/** Names the operator gives unnamed ports (`tcp-8000`); a tenant's port may not take one. */
export const generatedPortNamePattern = '^(tcp|udp)-[0-9]+$';

/**
 * A container image reference: optional registry host[:port]/, path components, optional tag,
 * optional @sha256 digest (the grammar of distribution/reference, in RE2 and JS syntax).
 */
export const imageReferencePattern =
  '^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?' +
  '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*' +
  '(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$';

/**
 * The name of a tenant secret (delivered through the provider gateway, never on chain): a key of
 * the lease's Secret, so letters, digits, dashes, dots and underscores.
 */
export const secretNamePattern = '^[-._a-zA-Z0-9]+$';

/** A manifest service name: a DNS-1035 label, short enough for pod names built from it. */
export const serviceNamePattern = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

const EnvVar = Type.Object(
  {
    name: Type.String({
      pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$',
      patternMessage:
        'must be letters, digits, dashes, dots and underscores, not starting with a digit',
      minLength: 1,
      maxLength: 256,
      description: 'Name of the environment variable.',
    }),
    value: Type.Optional(
      Type.String({
        maxLength: manifestLimits.envValueLength,
        description:
          'Value of the variable (public: it is part of the on-chain manifest; secrets go to the provider gateway). Exactly one of value and secret.',
      }),
    ),
    secret: Type.Optional(
      Type.String({
        pattern: secretNamePattern,
        patternMessage: 'must be letters, digits, dashes, dots and underscores',
        minLength: 1,
        maxLength: 253,
        description:
          'Name of a secret the tenant puts through the provider gateway (`supercloud secrets set`): the value never goes on chain. The service waits until it is delivered. Exactly one of value and secret.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'An environment variable of the container: a public value, or a secret by name.',
    'x-kubernetes-validations': [
      {
        rule: 'has(self.value) != has(self.secret)',
        message: 'an environment variable has exactly one of value and secret',
      },
    ],
  },
);

const Port = Type.Object(
  {
    port: Type.Integer({
      minimum: 1,
      maximum: 65535,
      description: 'Port the container listens on.',
    }),
    protocol: StringEnum(['TCP', 'UDP'] as const, {
      default: 'TCP',
      description: 'Transport protocol: TCP (the default) or UDP.',
    }),
    name: Type.Optional(
      Type.String({
        pattern: portNamePattern,
        patternMessage:
          'must be lower-case letters and digits, with single dashes between them (an IANA service name)',
        minLength: 1,
        maxLength: 15,
        description:
          'Optional IANA service name of the port: lower case letters, digits and single inner dashes, at least one letter, at most 15 characters; not of the form tcp-<port> or udp-<port>, which unnamed ports get.',
      }),
    ),
    expose: Type.Boolean({
      default: false,
      description:
        'True publishes the port outside the lease (reachable from the provider ingress and listed in the lease endpoints); false keeps it to the services of the same lease.',
    }),
    http: Type.Optional(
      Type.Boolean({
        description:
          "An exposed TCP port that speaks HTTP: it gets a host name under the provider's ingress domain (<lease>-<service>.<domain>) through an Ingress with TLS.",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'A port of the service.',
    'x-kubernetes-validations': [
      {
        rule: "!has(self.name) || self.name.matches('[a-z]')",
        message: 'a port name must contain at least one letter',
        fieldPath: '.name',
      },
      {
        rule: `!has(self.name) || !self.name.matches('${generatedPortNamePattern}')`,
        message: 'port names of the form tcp-<port> and udp-<port> are the names unnamed ports get',
        fieldPath: '.name',
      },
      {
        rule: "!has(self.http) || !self.http || (self.expose && self.protocol == 'TCP')",
        message: 'http is for exposed TCP ports',
        fieldPath: '.http',
      },
    ],
  },
);

const ServiceResources = Type.Object(
  {
    gpus: Type.Integer({
      minimum: 0,
      maximum: manifestLimits.gpusPerReplica,
      default: 0,
      description: "Whole GPUs per replica, of the lease's GPU model.",
    }),
    cpuMillis: Type.Integer({
      minimum: 1,
      maximum: manifestLimits.cpuMillisPerReplica,
      description: 'CPU per replica in thousandths of a core (1000 = one core).',
    }),
    memoryMiB: Type.Integer({
      minimum: 1,
      maximum: manifestLimits.memoryMiBPerReplica,
      description: 'Memory per replica in MiB, including the shared memory below.',
    }),
    ephemeralStorageMiB: Type.Integer({
      minimum: 1,
      maximum: manifestLimits.ephemeralStorageMiBPerReplica,
      default: 1024,
      description: 'Local scratch disk per replica in MiB (container layer, /tmp).',
    }),
    shmMiB: Type.Integer({
      minimum: 1,
      maximum: manifestLimits.memoryMiBPerReplica,
      default: 64,
      description:
        'Size of /dev/shm per replica in MiB (memory-backed; counts against memoryMiB). NCCL and PyTorch data loaders need several GiB.',
    }),
  },
  {
    additionalProperties: false,
    description: 'Resources of one replica; requests equal limits.',
    'x-kubernetes-validations': [
      {
        rule: 'self.shmMiB <= self.memoryMiB',
        message: 'shmMiB must not exceed memoryMiB (shared memory is memory)',
        fieldPath: '.shmMiB',
      },
    ],
  },
);

export const WorkloadService = Type.Object(
  {
    name: Type.String({
      pattern: serviceNamePattern,
      patternMessage:
        'must be a DNS label starting with a letter: lower-case letters, digits and dashes',
      minLength: 1,
      maxLength: manifestLimits.serviceNameLength,
      description:
        'Name of the service: a DNS label (lower case letters, digits, dashes; starts with a letter). Names its Deployment and Service.',
    }),
    image: Type.String({
      pattern: imageReferencePattern,
      patternMessage: 'must be an image reference such as registry.example.com/org/app:tag',
      minLength: 1,
      maxLength: manifestLimits.imageLength,
      description:
        'Container image reference, e.g. vllm/vllm-openai:v0.6.3 or ghcr.io/org/app@sha256:<digest>.',
    }),
    command: Type.Array(
      Type.String({ maxLength: manifestLimits.argLength, description: 'One word of the command.' }),
      {
        maxItems: manifestLimits.commandItems,
        default: [],
        description: "Entrypoint; empty keeps the image's.",
      },
    ),
    args: Type.Array(
      Type.String({ maxLength: manifestLimits.argLength, description: 'One argument.' }),
      {
        maxItems: manifestLimits.argItems,
        default: [],
        description: "Arguments to the entrypoint; empty keeps the image's.",
      },
    ),
    env: Type.Array(EnvVar, {
      maxItems: manifestLimits.envVars,
      default: [],
      description: 'Environment variables (names unique).',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
    ports: Type.Array(Port, {
      maxItems: manifestLimits.portsPerService,
      default: [],
      description: 'Ports the service listens on (port and protocol unique).',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
    }),
    replicas: Type.Integer({
      minimum: 1,
      maximum: manifestLimits.replicas,
      default: 1,
      description: 'Number of identical replicas.',
    }),
    resources: ServiceResources,
    readOnlyRootFilesystem: Type.Boolean({
      default: true,
      description:
        'Mount the image read-only (the default; /tmp and /dev/shm stay writable). Set false for images that write elsewhere.',
    }),
    imagePullSecret: Type.Optional(
      Type.Boolean({
        description:
          'Pull the image with the registry credentials the tenant puts through the provider gateway (`supercloud secrets set --registry`); the service waits until they are delivered.',
      }),
    ),
    runAsUser: Type.Integer({
      minimum: 1,
      maximum: 2147483647,
      default: 65532,
      description: 'Non-zero user id the container runs as (root, UID 0, is never allowed).',
    }),
  },
  { additionalProperties: false, description: 'One containerized service of the workload.' },
);
export type WorkloadService = Static<typeof WorkloadService>;

export const WorkloadManifest = Type.Object(
  {
    version: StringEnum(manifestVersions, {
      default: 'v1',
      description: 'Version of the manifest format; v1 is the only one.',
    }),
    services: Type.Array(WorkloadService, {
      minItems: 1,
      maxItems: manifestLimits.services,
      description: 'The services of the workload, each a Deployment on the lease GPU pool.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
  },
  {
    additionalProperties: false,
    description:
      'The workload manifest: what the tenant runs. Its canonical form hashes to spec.manifestHash.',
  },
);
export type WorkloadManifest = Static<typeof WorkloadManifest>;
