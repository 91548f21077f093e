// TypeBox JSON schema → a structural OpenAPI v3 schema the API server accepts in a CRD: a type on
// every node, no $ref/anyOf/additionalProperties:false (the API server prunes unknown fields
// itself), unions of literals as enums, records as additionalProperties maps.
import type { TSchema } from '@sinclair/typebox';

/** The subset of JSONSchemaProps a CRD schema uses. */
export interface StructuralSchema {
  type: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, StructuralSchema>;
  required?: string[];
  additionalProperties?: StructuralSchema;
  items?: StructuralSchema;
  enum?: (string | number | boolean)[];
  default?: unknown;
  [keyword: string]: unknown;
}

/** Keywords copied as they are (validation, defaults and the x-kubernetes extensions). */
const passThrough = [
  'description',
  'default',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'nullable',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
] as const;

/**
 * Converts a TypeBox schema to a structural schema.
 * @param path where in the schema we are, for the error message.
 * @throws Error naming the path when a construct has no structural equivalent.
 */
export function toStructuralSchema(schema: TSchema, path = '(root)'): StructuralSchema {
  const source = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const keyword of passThrough) {
    if (source[keyword] !== undefined) out[keyword] = structuredClone(source[keyword]);
  }

  const anyOf = source.anyOf as TSchema[] | undefined;
  if (anyOf) {
    const values = anyOf.map((option) => (option as { const?: unknown }).const);
    const types = new Set(values.map((value) => typeof value));
    if (values.some((value) => value === undefined) || types.size !== 1) {
      throw new Error(`${path}: only unions of literals of one type can become a CRD enum`);
    }
    return {
      ...out,
      type: jsonType([...types][0] as string, path),
      enum: values as (string | number | boolean)[],
    };
  }
  if (source.const !== undefined) {
    return { ...out, type: jsonType(typeof source.const, path), enum: [source.const as string] };
  }

  switch (source.type) {
    case 'object':
      return { ...out, type: 'object', ...objectMembers(source, path) };
    case 'array':
      return {
        ...out,
        type: 'array',
        items: toStructuralSchema(source.items as TSchema, `${path}[]`),
      };
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean':
      return { ...out, type: source.type };
    default:
      throw new Error(`${path}: no structural equivalent for ${JSON.stringify(source.type)}`);
  }
}

function objectMembers(
  source: Record<string, unknown>,
  path: string,
): Pick<StructuralSchema, 'properties' | 'required' | 'additionalProperties'> {
  const patternProperties = source.patternProperties as Record<string, TSchema> | undefined;
  if (patternProperties) {
    const [valueSchema, ...others] = Object.values(patternProperties);
    if (!valueSchema || others.length > 0) {
      throw new Error(`${path}: a record must have exactly one value schema`);
    }
    return { additionalProperties: toStructuralSchema(valueSchema, `${path}{}`) };
  }
  const properties = (source.properties ?? {}) as Record<string, TSchema>;
  const converted = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => [
      name,
      toStructuralSchema(property, path === '(root)' ? name : `${path}.${name}`),
    ]),
  );
  const required = (source.required as string[] | undefined) ?? [];
  // A field with a default is filled in by the API server, so it need not be sent.
  const mustSend = required.filter((name) => properties[name]?.default === undefined);
  return {
    properties: converted,
    ...(mustSend.length > 0 ? { required: mustSend } : {}),
  };
}

function jsonType(jsType: string, path: string): StructuralSchema['type'] {
  if (jsType === 'string' || jsType === 'boolean') return jsType;
  if (jsType === 'number') return 'number';
  throw new Error(`${path}: literal of type ${jsType} cannot be a CRD enum`);
}
