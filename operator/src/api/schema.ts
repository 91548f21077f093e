// Building blocks shared by the custom resource schemas. Every field carries a description
// because the CRD generator copies it into the OpenAPI schema that `kubectl explain` prints.
import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';

/** Schema options TypeBox passes through untouched into the JSON schema and the CRD. */
export interface KubernetesSchemaOptions {
  description: string;
  /** CEL rules checked by the API server (the CRD generator keeps them; TypeBox ignores them). */
  'x-kubernetes-validations'?: readonly { rule: string; message: string; fieldPath?: string }[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/**
 * A string that is one of `values` (a union of literals; the CRD generator turns it into an
 * OpenAPI `enum`).
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description: string; default?: T[number] },
): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  );
}

/** A uint256 as a decimal string (token amounts, lease and order ids), no leading zeros. */
export const uint256Pattern = '^(0|[1-9][0-9]{0,77})$';

export function Uint256String(description: string, options: { default?: string } = {}) {
  return Type.String({
    pattern: uint256Pattern,
    patternMessage: 'must be a decimal integer without leading zeros (a uint256)',
    maxLength: 78,
    description,
    ...options,
  });
}

/** An EVM address, 0x and 40 hex digits (either case; compare lower-cased). */
export function Address(description: string) {
  return Type.String({
    pattern: '^0x[0-9a-fA-F]{40}$',
    patternMessage: 'must be an address: 0x and 40 hex digits',
    minLength: 42,
    maxLength: 42,
    description,
  });
}

/** A 32-byte value as 0x and 64 lower-case hex digits (hashes). */
export function Bytes32(description: string) {
  return Type.String({
    pattern: '^0x[0-9a-f]{64}$',
    patternMessage: 'must be 0x and 64 lower-case hex digits',
    minLength: 66,
    maxLength: 66,
    description,
  });
}

/** A DNS-1123 label (a Kubernetes object name that must fit in a label value or a DNS name). */
export const dnsLabelPattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export const dnsLabelMessage =
  'must be a DNS label: lower-case letters, digits and dashes, starting and ending with a letter or digit';

export function DnsLabel(description: string) {
  return Type.String({
    pattern: dnsLabelPattern,
    patternMessage: dnsLabelMessage,
    minLength: 1,
    maxLength: 63,
    description,
  });
}

/** A Kubernetes resource name such as `nvidia.com/gpu` (optional DNS prefix, then a name). */
export const resourceNamePattern =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

/** An RFC 3339 timestamp, as Kubernetes writes them (`2025-01-02T03:04:05Z`). */
export function Timestamp(description: string) {
  return Type.String({ format: 'date-time', maxLength: 64, description });
}

/** The status values of a Kubernetes condition. */
export const conditionStatuses = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof conditionStatuses)[number];

/** A condition in the shape of metav1.Condition, so kubectl and tools read it as usual. */
export const Condition = Type.Object(
  {
    type: Type.String({
      maxLength: 316,
      description: 'Type of condition in CamelCase, e.g. Available.',
    }),
    status: StringEnum(conditionStatuses, {
      description: 'Status of the condition: True, False or Unknown.',
    }),
    reason: Type.String({
      maxLength: 1024,
      description: 'Machine-readable CamelCase reason for the last transition.',
    }),
    message: Type.String({
      maxLength: 32768,
      description: 'Human-readable details about the last transition.',
    }),
    lastTransitionTime: Timestamp('When the condition last changed from one status to another.'),
    observedGeneration: Type.Optional(
      Type.Integer({
        minimum: 0,
        format: 'int64',
        description: 'The .metadata.generation the condition was set from.',
      }),
    ),
  },
  { additionalProperties: false, description: 'One aspect of the current state of the object.' },
);
export type Condition = Static<typeof Condition>;

/** A list of conditions keyed by type. */
export function Conditions(description: string) {
  return Type.Array(Condition, {
    maxItems: 16,
    description,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });
}

/** The Kubernetes toleration shape (core/v1 Toleration). */
export const Toleration = Type.Object(
  {
    key: Type.Optional(
      Type.String({ maxLength: 316, description: 'Taint key the toleration applies to.' }),
    ),
    operator: Type.Optional(
      StringEnum(['Exists', 'Equal'] as const, {
        description: 'Exists matches any value; Equal (the default) matches value.',
      }),
    ),
    value: Type.Optional(
      Type.String({ maxLength: 63, description: 'Taint value the toleration matches.' }),
    ),
    effect: Type.Optional(
      StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const, {
        description: 'Taint effect to match; empty matches all effects.',
      }),
    ),
    tolerationSeconds: Type.Optional(
      Type.Integer({
        format: 'int64',
        description: 'For NoExecute: how long the pod stays bound after the taint appears.',
      }),
    ),
  },
  { additionalProperties: false, description: 'A taint the pods of this pool tolerate.' },
);
export type Toleration = Static<typeof Toleration>;

/** Labels-like string map. */
export function StringMap(
  description: string,
  options: {
    maxProperties?: number;
    minProperties?: number;
    default?: Record<string, string>;
  } = {},
) {
  return Type.Record(
    Type.String({ maxLength: 316 }),
    Type.String({ maxLength: 1024, description: 'The value.' }),
    {
      description,
      maxProperties: 64,
      ...options,
    },
  );
}
