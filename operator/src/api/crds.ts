// The three CustomResourceDefinitions, built from the TypeBox schemas of each kind. The CRD
// generator (operator/tools/generate-crds.ts) writes them to crds/ and the chart.
import type { TSchema } from '@sinclair/typebox';
import { ComputeLeaseSpec, ComputeLeaseStatus, computeLeaseNames } from './computelease.js';
import { apiCategory, apiGroup, apiVersionName } from './constants.js';
import { GpuNodePoolSpec, GpuNodePoolStatus, gpuNodePoolNames } from './gpunodepool.js';
import { ProviderSpec, ProviderStatus, providerNames } from './provider.js';
import { toStructuralSchema, type StructuralSchema } from './structural.js';

/** The names of a kind, as in CustomResourceDefinition.spec.names. */
export interface KindNames {
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
}

/** A `kubectl get` column. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  /** 0 (default): always shown; 1: only with `-o wide`. */
  readonly priority?: number;
}

/** Everything that makes one kind's CRD. */
export interface CustomResourceKind {
  readonly names: KindNames;
  readonly description: string;
  readonly spec: TSchema;
  readonly status: TSchema;
  readonly printerColumns: readonly PrinterColumn[];
  /** CEL rules on the whole object (they may read metadata.name). */
  readonly rootValidations?: readonly { rule: string; message: string }[];
}

const age: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};

/** The name is used as a label value and in DNS names, so it must be a DNS label. */
const nameIsDnsLabel = {
  rule: "self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
  message: 'metadata.name must be a DNS label (at most 63 lower-case letters, digits and dashes)',
};

export const customResourceKinds: readonly CustomResourceKind[] = [
  {
    names: computeLeaseNames,
    description:
      'A lease won on chain: the workload the tenant bought, which the operator runs in an isolated namespace on a GpuNodePool.',
    spec: ComputeLeaseSpec,
    status: ComputeLeaseStatus,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Lifecycle phase.' },
      { name: 'Tenant', type: 'string', jsonPath: '.spec.tenant', description: 'Tenant address.' },
      { name: 'Pool', type: 'string', jsonPath: '.spec.pool', description: 'GpuNodePool.' },
      {
        name: 'GPUs',
        type: 'integer',
        jsonPath: '.spec.resources.gpus',
        description: 'GPUs bought.',
      },
      {
        name: 'Price',
        type: 'string',
        jsonPath: '.spec.pricePerSecond',
        description: 'Payment-token base units per second.',
      },
      {
        name: 'Ready',
        type: 'integer',
        jsonPath: '.status.readyReplicas',
        description: 'Replicas ready.',
        priority: 1,
      },
      {
        name: 'Namespace',
        type: 'string',
        jsonPath: '.status.namespace',
        description: 'Namespace of the workload.',
        priority: 1,
      },
      {
        name: 'Message',
        type: 'string',
        jsonPath: '.status.message',
        description: 'Why the lease is in its phase.',
        priority: 1,
      },
      age,
    ],
  },
  {
    names: gpuNodePoolNames,
    description:
      'A set of GPU nodes of one model, selected by labels and sold at one price; its status counts nodes and GPUs.',
    spec: GpuNodePoolSpec,
    status: GpuNodePoolStatus,
    rootValidations: [nameIsDnsLabel],
    printerColumns: [
      { name: 'Model', type: 'string', jsonPath: '.spec.gpu.model', description: 'GPU model.' },
      { name: 'Nodes', type: 'integer', jsonPath: '.status.nodes', description: 'Nodes counted.' },
      {
        name: 'Ready',
        type: 'integer',
        jsonPath: '.status.readyNodes',
        description: 'Nodes Ready and schedulable.',
      },
      {
        name: 'GPUs Free',
        type: 'integer',
        jsonPath: '.status.gpus.free',
        description: 'GPUs the market may sell now.',
      },
      {
        name: 'GPUs Total',
        type: 'integer',
        jsonPath: '.status.gpus.capacity',
        description: 'GPUs of the counted nodes.',
      },
      {
        name: 'Leases',
        type: 'integer',
        jsonPath: '.status.activeLeases',
        description: 'Active leases.',
        priority: 1,
      },
      age,
    ],
  },
  {
    names: providerNames,
    description:
      "This cluster's provider identity on chain (contracts, wallet, gateway) and the operator's bidding, settlement and isolation policies. One per cluster.",
    spec: ProviderSpec,
    status: ProviderStatus,
    printerColumns: [
      {
        name: 'Address',
        type: 'string',
        jsonPath: '.status.providerAddress',
        description: 'Provider wallet address.',
      },
      {
        name: 'Registered',
        type: 'boolean',
        jsonPath: '.status.registered',
        description: 'Registered in the ProviderRegistry.',
      },
      {
        name: 'Last Block',
        type: 'integer',
        jsonPath: '.status.lastProcessedBlock',
        description: 'Follower checkpoint.',
      },
      {
        name: 'Chain',
        type: 'integer',
        jsonPath: '.spec.chain.chainId',
        description: 'Chain id.',
        priority: 1,
      },
      age,
    ],
  },
];

/** The CustomResourceDefinition object of one kind (apiextensions.k8s.io/v1). */
export function customResourceDefinition(kind: CustomResourceKind): Record<string, unknown> {
  const { names } = kind;
  const openAPIV3Schema: StructuralSchema = {
    type: 'object',
    description: kind.description,
    required: ['spec'],
    properties: {
      apiVersion: {
        type: 'string',
        description: `APIVersion of the object: ${apiGroup}/${apiVersionName}.`,
      },
      kind: { type: 'string', description: `Kind of the object: ${names.kind}.` },
      // The API server allows nothing but the type here (it owns metadata's schema).
      metadata: { type: 'object' },
      spec: toStructuralSchema(kind.spec, 'spec'),
      status: toStructuralSchema(kind.status, 'status'),
    },
    ...(kind.rootValidations ? { 'x-kubernetes-validations': kind.rootValidations } : {}),
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${apiGroup}` },
    spec: {
      group: apiGroup,
      scope: 'Cluster',
      names: { ...names, shortNames: [...names.shortNames], categories: [apiCategory] },
      versions: [
        {
          name: apiVersionName,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: kind.printerColumns.map((column) => ({ ...column })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}
