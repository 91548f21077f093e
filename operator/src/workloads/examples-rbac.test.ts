// examples/operator-rbac.yaml (the operator's RBAC for a run by hand, which the README applies)
// must grant exactly what test/integration/controllers/rbac.yaml grants: the integration tests
// run the operator with the latter, so a rule missing there fails them, and this test carries
// that to the example. The ClusterRole's rules are generated into both (`make check-generated`);
// this covers the hand-written rest: the objects, their names, the bindings and the Roles.
// (test/integration/chart/render.test.ts does the same for the chart.)
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface KubeObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly rules?: unknown[];
}

const objects = (path: string) =>
  yaml.loadAll(readFileSync(join(repoRoot, path), 'utf8')) as KubeObject[];
const key = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe('examples/operator-rbac.yaml', () => {
  const example = objects('examples/operator-rbac.yaml');
  const tested = objects('test/integration/controllers/rbac.yaml');

  it('has the objects the integration tests run the operator with', () => {
    expect(example.map(key)).toEqual(tested.map(key));
  });

  it.each(tested.map((o) => [key(o), o] as const))('%s is the same there', (name, object) => {
    expect(example.find((o) => key(o) === name)).toEqual(object);
  });

  it('grants no wildcard', () => {
    const rules = example.flatMap((o) => (o.rules ?? []) as Record<string, string[]>[]);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs']) {
        expect(rule[field]).not.toContain('*');
      }
    }
  });
});
