import yaml from 'js-yaml';
import { operatorRules } from '../src/api/rbac.js';
import { generateRbac, rbacFiles, rulesYaml, withGeneratedRules } from './generate-rbac.js';

const rules = rulesYaml(operatorRules);
const withoutComments = operatorRules.map(({ apiGroups, resources, verbs }) => ({
  apiGroups,
  resources,
  verbs,
}));

const manifest = [
  '# a hand-written comment',
  'kind: ClusterRole',
  'rules:',
  '  - apiGroups: [stale]',
  '    resources: [stale]',
  '    verbs: [get]',
  '---',
  'kind: Role',
  'rules:',
  '  - apiGroups: [coordination.k8s.io]',
  '',
].join('\n');

describe('rulesYaml', () => {
  it('is YAML of exactly the rules (the core group quoted), under their comments', () => {
    const block = rules.join('\n');
    expect(yaml.load(`rules:\n${block}`)).toEqual({ rules: withoutComments });
    expect(block).toContain("apiGroups: ['']");
    for (const line of operatorRules.flatMap((rule) => rule.comment ?? [])) {
      expect(block).toContain(`  # ${line}\n`);
    }
  });
});

describe('withGeneratedRules', () => {
  const generated = withGeneratedRules(manifest, '# `make generate` header', rules);

  it("puts the header first and replaces the ClusterRole's rules only", () => {
    expect(generated.split('\n')).toEqual([
      '# `make generate` header',
      '# a hand-written comment',
      'kind: ClusterRole',
      'rules:',
      ...rules,
      ...manifest.split('\n').slice(6),
    ]);
  });

  it('replaces a previous header rather than adding another, and is idempotent', () => {
    const again = withGeneratedRules(generated, '# `make generate` new header', rules);
    expect(again).toBe(generated.replace('header', 'new header'));
    expect(withGeneratedRules(again, '# `make generate` new header', rules)).toBe(again);
  });

  it('refuses a file without ClusterRole rules', () => {
    expect(() => withGeneratedRules('kind: Role\nrules:\n', '# header', rules)).toThrow(
      'no ClusterRole',
    );
  });
});

describe('generateRbac', () => {
  it("writes the rules into every file that grants them, under each file's header", () => {
    const files = generateRbac();
    expect([...files.keys()]).toEqual(Object.keys(rbacFiles));
    for (const [path, content] of files) {
      const file = rbacFiles[path]!;
      expect(content.split('\n')[0]).toBe(file.header);
      expect(content).toContain(`rules:\n${rulesYaml(file.rules).join('\n')}\n---\n`);
    }
  });
});
