import { customResourceDefinition, customResourceKinds } from './crds.js';
import type { StructuralSchema } from './structural.js';

type Version = {
  name: string;
  subresources: unknown;
  additionalPrinterColumns: { jsonPath: string; name: string }[];
  schema: { openAPIV3Schema: StructuralSchema };
};

const crds = customResourceKinds.map((kind) => ({
  kind,
  crd: customResourceDefinition(kind) as {
    metadata: { name: string };
    spec: {
      scope: string;
      group: string;
      names: { categories: string[]; shortNames: string[] };
      versions: Version[];
    };
  },
}));

/** Every schema node with its path. */
function* walk(schema: StructuralSchema, path: string): Generator<[string, StructuralSchema]> {
  yield [path, schema];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    yield* walk(property, `${path}.${name}`);
  }
  if (schema.items) yield* walk(schema.items, `${path}[]`);
  if (schema.additionalProperties) yield* walk(schema.additionalProperties, `${path}{}`);
}

/** The schema node at a printer column's JSON path, e.g. `.spec.resources.gpus`. */
function nodeAt(schema: StructuralSchema, jsonPath: string): StructuralSchema | undefined {
  return jsonPath
    .split('.')
    .slice(1)
    .reduce<StructuralSchema | undefined>((node, name) => node?.properties?.[name], schema);
}

describe.each(crds.map(({ kind, crd }) => [kind.names.kind, crd] as const))(
  'the %s CRD',
  (_kind, crd) => {
    const version = crd.spec.versions[0]!;
    const schema = version.schema.openAPIV3Schema;

    it('is cluster-scoped, in the supercloud category, with short names and a status subresource', () => {
      expect(crd.metadata.name).toMatch(/\.supercloud\.dev$/);
      expect(crd.spec.scope).toBe('Cluster');
      expect(crd.spec.names.categories).toEqual(['supercloud']);
      expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
      expect(version.subresources).toEqual({ status: {} });
    });

    it('is structural: a type on every node, no unions or references', () => {
      for (const [path, node] of walk(schema, '')) {
        expect([path, typeof node.type]).toEqual([path, 'string']);
        for (const banned of ['anyOf', 'oneOf', 'allOf', '$ref', 'patternProperties', 'const']) {
          expect([path, banned, node[banned]]).toEqual([path, banned, undefined]);
        }
        if (node.properties) expect([path, node.additionalProperties]).toEqual([path, undefined]);
      }
    });

    it('describes every field (kubectl explain prints these)', () => {
      const undescribed = [...walk(schema, '')]
        .filter(([path]) => !path.endsWith('[]') && !path.endsWith('{}') && path !== '.metadata')
        .filter(([, node]) => !node.description)
        .map(([path]) => path);
      expect(undescribed).toEqual([]);
    });

    it('has printer columns whose paths exist in the schema', () => {
      for (const column of version.additionalPrinterColumns) {
        if (column.jsonPath === '.metadata.creationTimestamp') continue;
        expect([column.name, nodeAt(schema, column.jsonPath)?.type]).toEqual([
          column.name,
          expect.any(String),
        ]);
      }
    });

    it('requires only fields that have no default', () => {
      for (const [path, node] of walk(schema, '')) {
        for (const name of node.required ?? []) {
          expect([path, name, node.properties?.[name]?.default]).toEqual([path, name, undefined]);
        }
      }
    });
  },
);

describe('the ComputeLease CRD', () => {
  const crd = crds.find(({ kind }) => kind.names.kind === 'ComputeLease')!.crd;
  const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;

  it('keeps the identity of a lease immutable and a close final, with CEL', () => {
    const rules = (spec['x-kubernetes-validations'] as { rule: string }[]).map((r) => r.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'self.leaseId == oldSelf.leaseId',
        'self.tenant == oldSelf.tenant',
        '!has(oldSelf.closeRequested) || has(self.closeRequested)',
      ]),
    );
  });

  it('turns enums into string enums and records into maps', () => {
    const port = spec.properties!.manifest!.properties!.services!.items!.properties!.ports!.items!;
    expect(port.properties!.protocol).toMatchObject({
      type: 'string',
      enum: ['TCP', 'UDP'],
      default: 'TCP',
    });
    expect(spec.properties!.manifest!.properties!.services!['x-kubernetes-list-map-keys']).toEqual([
      'name',
    ]);
  });
});
