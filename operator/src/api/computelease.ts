// ComputeLease: one won lease, created by the chain follower (or applied by a GitOps tenant),
// turned into an isolated workload by its controller. Cluster-scoped so that the lease's
// namespace can carry an owner reference to it.
import { Type, type Static } from '@sinclair/typebox';
import type { ObjectMeta } from '../kube/objects.js';
import {
  Address,
  Bytes32,
  Conditions,
  DnsLabel,
  StringEnum,
  Timestamp,
  Uint256String,
} from './schema.js';
import { WorkloadManifest } from './workload-manifest.js';

export const computeLeaseNames = {
  kind: 'ComputeLease',
  listKind: 'ComputeLeaseList',
  plural: 'computeleases',
  singular: 'computelease',
  shortNames: ['cl', 'clease'],
} as const;

/** Lifecycle of a lease as the controller reports it. */
export const leasePhases = [
  'Pending',
  'Deploying',
  'Running',
  'Closing',
  'Closed',
  'Rejected',
  'Failed',
] as const;
export type LeasePhase = (typeof leasePhases)[number];

/** Condition types of a ComputeLease. */
export const leaseConditionTypes = {
  /** The manifest is valid, hashes to spec.manifestHash, fits what was bought and the pool (and, with the chain check, the lease is active and ours). */
  Verified: 'Verified',
  /** Every service has its desired replicas ready. */
  Available: 'Available',
  /** The escrow covers the lease (set by the chain side). */
  Funded: 'Funded',
} as const;
export type LeaseConditionType = (typeof leaseConditionTypes)[keyof typeof leaseConditionTypes];

/** Reasons the controller writes into lease conditions and Events. */
export const leaseReasons = {
  /** Verification passed. */
  Verified: 'Verified',
  /** The manifest or lease failed verification; nothing is created. */
  Rejected: 'Rejected',
  /** Verification has not run yet. */
  Pending: 'Pending',
  /** Objects are applied, replicas are starting. */
  Deploying: 'Deploying',
  /** The pool has not enough free capacity now; the lease starts when it frees up. */
  InsufficientCapacity: 'InsufficientCapacity',
  /** All replicas are ready. */
  ReplicasReady: 'ReplicasReady',
  /** A Deployment exceeded its progress deadline. */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** A service names secrets the tenant has not delivered through the gateway yet. */
  SecretsMissing: 'SecretsMissing',
  /** spec.closeRequested is set; the workload is being torn down. */
  CloseRequested: 'CloseRequested',
  /** The workload is gone; the object stays as a record. */
  Closed: 'Closed',
} as const;

export const resourceAmounts = {
  gpus: Type.Integer({
    minimum: 0,
    maximum: 4096,
    description: 'Whole GPUs bought, across all services and replicas.',
  }),
  gpuModel: Type.String({
    minLength: 1,
    maxLength: 128,
    description:
      'GPU model bought, as GPU feature discovery labels it (normalized: upper case, dashes), e.g. NVIDIA-H100-80GB-HBM3.',
  }),
  gpuMemoryMiB: Type.Integer({
    minimum: 0,
    maximum: 1_048_576,
    default: 0,
    description: 'Minimum memory per GPU in MiB (0: any).',
  }),
  cpuMillis: Type.Integer({
    minimum: 1,
    maximum: 100_000_000,
    description: 'CPU bought in thousandths of a core.',
  }),
  memoryMiB: Type.Integer({
    minimum: 1,
    maximum: 1_073_741_824,
    description: 'Memory bought in MiB.',
  }),
  storageMiB: Type.Integer({
    minimum: 0,
    maximum: 4_294_967_296,
    description: 'Ephemeral storage bought in MiB.',
  }),
};

export const LeaseResources = Type.Object(resourceAmounts, {
  additionalProperties: false,
  description:
    'What the tenant bought: the workload as a whole must fit in it (the namespace ResourceQuota is exactly this).',
});
export type LeaseResources = Static<typeof LeaseResources>;

/** A CEL transition rule keeping `field` of the spec as it was created. */
const immutable = (field: string) => ({
  rule: `self.${field} == oldSelf.${field}`,
  message: `${field} is immutable`,
  fieldPath: `.${field}`,
});

export const ComputeLeaseSpec = Type.Object(
  {
    leaseId: Uint256String('On-chain lease id (decimal uint256). Immutable.'),
    orderId: Uint256String('On-chain id of the order the lease was won from (decimal uint256).'),
    tenant: Address('Address of the tenant who pays for the lease.'),
    provider: Address('Address of the provider that won the lease (this cluster).'),
    pool: DnsLabel('Name of the GpuNodePool the workload runs on.'),
    resources: LeaseResources,
    manifest: WorkloadManifest,
    manifestHash: Bytes32(
      'keccak256 of the canonical manifest as stored on chain (0x and 64 lower-case hex digits).',
    ),
    pricePerSecond: Uint256String(
      'Price the lease streams, in payment-token base units per second.',
    ),
    ingress: Type.Object(
      {
        serviceType: StringEnum(['ClusterIP', 'LoadBalancer', 'NodePort'] as const, {
          default: 'ClusterIP',
          description:
            'Type of the Services of exposed ports: ClusterIP (reached through the provider ingress namespace), LoadBalancer or NodePort (reachable from anywhere).',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'How exposed ports are reached from outside the lease.',
      },
    ),
    closeRequested: Type.Optional(
      Type.Object(
        {
          reason: Type.String({
            minLength: 1,
            maxLength: 1024,
            description: 'Why the lease closes, e.g. ClosedByTenant, EscrowExhausted.',
          }),
          requestedAt: Type.Optional(Timestamp('When the close was requested.')),
          block: Type.Optional(
            Type.Integer({
              minimum: 0,
              description:
                'The block of the LeaseClosed event the lease sync acted on (chain-made leases). A reorg that takes this block back makes the lease anew.',
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Set (by the chain side) when the lease ends: the workload is torn down and the lease stays as a Closed record. Cannot be unset.',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'The lease as agreed on chain. The controller deploys exactly this.',
    'x-kubernetes-validations': [
      immutable('leaseId'),
      immutable('orderId'),
      immutable('tenant'),
      immutable('provider'),
      immutable('pool'),
      {
        rule: '!has(oldSelf.closeRequested) || has(self.closeRequested)',
        message: 'closeRequested cannot be removed once set: a closed lease stays closed',
        fieldPath: '.closeRequested',
      },
    ],
  },
);
export type ComputeLeaseSpec = Static<typeof ComputeLeaseSpec>;

export const LeaseEndpoint = Type.Object(
  {
    service: Type.String({ maxLength: 63, description: 'Manifest service the endpoint serves.' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'Port number.' }),
    protocol: StringEnum(['TCP', 'UDP'] as const, { description: 'Transport protocol.' }),
    host: Type.String({
      maxLength: 253,
      description:
        'Address to reach it: the Service DNS name, or the load balancer address when there is one.',
    }),
    url: Type.Optional(
      Type.String({
        maxLength: 264,
        description:
          "URL of an HTTP port published through the provider's Ingress: https://lease-<id>-<service>.<ingress domain> (`-<port>` after the service for its further HTTP ports; http:// when the Ingress has no TLS for the host).",
      }),
    ),
  },
  { additionalProperties: false, description: 'An exposed port of the workload.' },
);
export type LeaseEndpoint = Static<typeof LeaseEndpoint>;

export const ComputeLeaseStatus = Type.Object(
  {
    phase: Type.Optional(
      StringEnum(leasePhases, {
        description:
          'Pending, Deploying, Running, Closing, Closed (kept as a record), Rejected (failed verification; nothing created) or Failed.',
      }),
    ),
    conditions: Type.Optional(Conditions('Verified, Available and Funded.')),
    observedGeneration: Type.Optional(
      Type.Integer({
        minimum: 0,
        format: 'int64',
        description: 'The .metadata.generation this status describes.',
      }),
    ),
    namespace: Type.Optional(
      Type.String({ maxLength: 63, description: 'Namespace holding the workload.' }),
    ),
    replicas: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Replicas the manifest asks for, all services.' }),
    ),
    readyReplicas: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Replicas ready, all services.' }),
    ),
    endpoints: Type.Optional(
      Type.Array(LeaseEndpoint, { maxItems: 512, description: 'Exposed ports and where.' }),
    ),
    pricePerSecond: Type.Optional(
      Uint256String('Price per second on chain, in payment-token base units.'),
    ),
    escrowBalance: Type.Optional(
      Uint256String('Escrow left on chain at the last check, in payment-token base units.'),
    ),
    fundedUntil: Type.Optional(Timestamp('When the escrow runs out at the current rate.')),
    amountWithdrawn: Type.Optional(
      Uint256String('Total withdrawn by the provider, in payment-token base units.'),
    ),
    closeReason: Type.Optional(
      Type.String({ maxLength: 1024, description: 'Why the lease closed.' }),
    ),
    message: Type.Optional(
      Type.String({
        maxLength: 32768,
        description: 'Human-readable summary of the phase, e.g. why a lease was rejected.',
      }),
    ),
  },
  { additionalProperties: false, description: 'What the operator observed and did.' },
);
export type ComputeLeaseStatus = Static<typeof ComputeLeaseStatus>;

/** A ComputeLease object as the API returns it (wire JSON). */
export interface ComputeLease {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: ComputeLeaseSpec;
  status?: ComputeLeaseStatus;
}
