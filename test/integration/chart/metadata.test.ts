// What the chart tells people and tools about itself: the Artifact Hub annotations of Chart.yaml
// (the image the release runs, the CRDs and examples that are the repository's own, the changes
// and links), a description on every field of values.schema.json, the remote signer's values
// mapping onto the Provider's remoteSigner, and the README naming the values that have no
// default.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { RemoteSignerSpec } from '../../../operator/src/api/provider.js';
import { chartDir, examplesDir } from './helm.js';

interface Chart {
  appVersion: string;
  annotations: Record<string, string>;
}
const chart = yaml.load(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Chart;
const annotation = <T>(name: string) =>
  yaml.load(chart.annotations[`artifacthub.io/${name}`]!) as T;
const values = yaml.load(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as {
  image: { repository: string };
};

/** A JSON schema node: the parts these tests read. */
interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  $ref?: string;
}
const schema = JSON.parse(
  readFileSync(join(chartDir, 'values.schema.json'), 'utf8'),
) as SchemaNode & {
  definitions: Record<string, SchemaNode>;
};

describe('the Artifact Hub annotations', () => {
  it('list the image the chart runs by default (operator, gateway and helm test pods)', () => {
    expect(annotation<unknown[]>('images')).toEqual([
      { name: 'supercloud-operator', image: `${values.image.repository}:${chart.appVersion}` },
    ]);
  });

  it('list every CRD of the chart, by kind, version and name', () => {
    const crds = readdirSync(join(chartDir, 'crds')).map(
      (file) =>
        yaml.load(readFileSync(join(chartDir, 'crds', file), 'utf8')) as {
          metadata: { name: string };
          spec: { names: { kind: string }; versions: { name: string }[] };
        },
    );
    const listed = annotation<{ kind: string; version: string; name: string }[]>('crds');
    expect(
      listed
        .map(({ kind, version, name }) => ({ kind, version, name }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual(
      crds
        .map((crd) => ({
          kind: crd.spec.names.kind,
          version: crd.spec.versions[0]!.name,
          name: crd.metadata.name,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it('show the examples/ files as the CRDs examples, one of each kind', () => {
    const examples = ['provider.yaml', 'gpunodepool-h100.yaml', 'computelease-h100.yaml'].map(
      (file) => yaml.load(readFileSync(join(examplesDir, file), 'utf8')),
    );
    const shown = annotation<{ kind: string }[]>('crdsExamples');
    expect(shown).toEqual(examples);
    expect(shown.map((example) => example.kind).sort()).toEqual(
      annotation<{ kind: string }[]>('crds')
        .map((crd) => crd.kind)
        .sort(),
    );
  });

  it('say what changed, in the kinds Artifact Hub knows, and link to the docs', () => {
    const changes = annotation<{ kind: string; description: string }[]>('changes');
    expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) {
      expect(['added', 'changed', 'deprecated', 'removed', 'fixed', 'security']).toContain(
        change.kind,
      );
      expect(change.description.length).toBeGreaterThan(10);
    }
    for (const link of annotation<{ name: string; url: string }[]>('links')) {
      expect(link.url).toMatch(/^https:\/\/github\.com\/supercloud-dev\/supercloud/);
      expect(link.name.length).toBeGreaterThan(0);
    }
  });
});

/** Every property of the schema (definitions included) that has no description of its own. */
function undescribed(node: SchemaNode, path: string): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => [
    ...(child.description ? [] : [`${path}${key}`]),
    ...undescribed(child, `${path}${key}.`),
  ]);
}

describe('values.schema.json', () => {
  it('describes every field', () => {
    expect([
      ...undescribed(schema, ''),
      ...Object.entries(schema.definitions).flatMap(([name, node]) =>
        undescribed(node, `definitions.${name}.`),
      ),
    ]).toEqual([]);
  });

  it("maps signer.* onto the Provider's remoteSigner: the credentials Secret in the release namespace", () => {
    const signer = Object.keys(schema.properties!.signer!.properties!).sort();
    const crdFields = (node: SchemaNode, prefix = ''): string[] =>
      Object.entries(node.properties ?? {}).flatMap(([key, child]) =>
        child.properties ? crdFields(child, `${prefix}${key}.`) : [`${prefix}${key}`],
      );
    const asValues: Record<string, string> = {
      'credentialsSecretRef.name': 'existingSecret',
      'credentialsSecretRef.namespace': '', // the release namespace
      'credentialsSecretRef.tokenKey': 'tokenKey',
      'credentialsSecretRef.caKey': 'caKey',
    };
    expect(
      crdFields(RemoteSignerSpec as SchemaNode)
        .map((field) => asValues[field] ?? field)
        .filter(Boolean)
        .sort(),
    ).toEqual(signer);
  });
});

describe('the chart README', () => {
  it('marks required the values that have no default', () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const requiredRows = [...readme.matchAll(/^\| `([A-Za-z0-9.]+)` \| required \|/gm)].map(
      (match) => match[1],
    );
    const provider = schema.properties!.provider!;
    const required = [
      ...provider.required!.filter((key) => key === 'gatewayUrl').map((key) => `provider.${key}`),
      ...provider
        .properties!.chain!.required!.filter((key) => key !== 'chainId')
        .map((key) => `provider.chain.${key}`),
    ];
    expect(requiredRows.sort()).toEqual(required.sort());
  });
});
