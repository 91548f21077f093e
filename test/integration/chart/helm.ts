// Helm and kubectl for the chart tests: render the chart, install it into the local stack, and
// read what a release put there. Every call runs the real binaries `make setup` built.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { stack } from '../../harness/stack.js';
import { repoRoot, toolPath } from '../../stack/paths.js';

export const chartDir = join(repoRoot, 'charts/supercloud-provider');
export const examplesDir = join(repoRoot, 'examples');

/** A Kubernetes object as rendered or read back (only what the tests look at is typed). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    generation?: number;
    resourceVersion?: string;
  };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a toolchain binary against the local stack; never throws (look at `status`). */
export function runTool(tool: 'helm' | 'kubectl', args: readonly string[], input?: string) {
  const result = spawnSync(toolPath(tool), args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, KUBECONFIG: stack().kubeconfig },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr } as CommandResult;
}

/** Runs a toolchain binary and returns its output; throws with its stderr when it fails. */
export function tool(tool: 'helm' | 'kubectl', args: readonly string[], input?: string): string {
  const result = runTool(tool, args, input);
  if (result.status !== 0) {
    throw new Error(`${tool} ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  }
  return result.stdout;
}

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Values files, in order (later ones win). */
  readonly valuesFiles: readonly string[];
}

/** The arguments of `helm template` for these values (also what `helm lint` takes). */
export function templateArgs({
  release = 'supercloud-provider',
  namespace = 'supercloud-system',
  valuesFiles,
}: RenderOptions): string[] {
  return [
    'template',
    release,
    chartDir,
    '--namespace',
    namespace,
    ...valuesFiles.flatMap((file) => ['--values', file]),
  ];
}

/** `helm template` output for these values. */
export function render(options: RenderOptions): string {
  return tool('helm', templateArgs(options));
}

/** The objects of a multi-document YAML stream (empty documents dropped). */
export function parseObjects(text: string): KubeObject[] {
  return yaml.loadAll(text).filter((doc): doc is KubeObject => doc !== null && doc !== undefined);
}

/** kind/namespace/name: what identifies an object across renders. */
export function objectKey(object: KubeObject): string {
  return `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** Writes `values` to a fresh temporary values file and returns its path. */
export function valuesFile(name: string, values: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'supercloud-chart-')), `${name}.yaml`);
  writeFileSync(path, yaml.dump(values));
  return path;
}

/** An example values file of the chart, by its suffix: `local` is examples/values-local.yaml. */
export function exampleValues(name: string): string {
  return join(examplesDir, `values-${name}.yaml`);
}

/** The live version of an object, or undefined when it does not exist. */
export function getLive(object: KubeObject): KubeObject | undefined {
  const args = ['get', `${object.kind}.${object.apiVersion.split('/')[0]}`, object.metadata.name];
  // core/v1 objects have no group: kind alone names them.
  if (!object.apiVersion.includes('/')) args[1] = object.kind;
  if (object.metadata.namespace) args.push('--namespace', object.metadata.namespace);
  const result = runTool('kubectl', [...args, '--output', 'json']);
  if (result.status !== 0) {
    if (result.stderr.includes('NotFound')) return undefined;
    throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as KubeObject;
}

/** The objects of an installed release, as Helm last applied them, namespaces filled in. */
export function releaseObjects(release: string, namespace: string): KubeObject[] {
  const manifest = tool('helm', ['get', 'manifest', release, '--namespace', namespace]);
  return parseObjects(manifest);
}

/**
 * Gives cluster-scoped objects a name of this run (`<name>-<run>`), so that creating or applying
 * them never meets the objects of another suite or release on the shared stack.
 */
export function clusterScopedOfRun(object: KubeObject, run: string): KubeObject {
  return object.metadata.namespace
    ? object
    : { ...object, metadata: { ...object.metadata, name: `${object.metadata.name}-${run}` } };
}

/** A multi-document YAML stream of objects. */
export function toYamlStream(objects: readonly KubeObject[]): string {
  return objects.map((object) => yaml.dump(object)).join('---\n');
}

/** True for an object of the chart's `helm test` hooks (`helm.sh/hook: test`). */
export function isTestHook(object: KubeObject): boolean {
  const annotations = (object.metadata as { annotations?: Record<string, string> }).annotations;
  return annotations?.['helm.sh/hook'] === 'test';
}

/**
 * `kubectl create --dry-run=server --validate=strict`: the API server admits every object (schema,
 * unknown fields, admission, Pod Security) without keeping any. Returns kubectl's result, one
 * line per object. Admission looks a pod's ServiceAccount up, and `helm test` creates the test
 * pods' ServiceAccount (a hook of a lower weight) before them: that ServiceAccount is created for
 * real first (it goes with its test namespace) and applied in the dry run.
 */
export function dryRunCreate(objects: readonly KubeObject[]): CommandResult {
  const hookAccounts = objects.filter((o) => o.kind === 'ServiceAccount' && isTestHook(o));
  const dryRun = (verb: string[], of: readonly KubeObject[]): CommandResult =>
    of.length === 0
      ? { status: 0, stdout: '', stderr: '' }
      : runTool(
          'kubectl',
          [...verb, '--dry-run=server', '--validate=strict', '--output', 'name', '-f', '-'],
          toYamlStream(of),
        );
  if (hookAccounts.length > 0) {
    tool('kubectl', ['apply', '--server-side', '-f', '-'], toYamlStream(hookAccounts));
  }
  const applied = dryRun(['apply', '--server-side'], hookAccounts);
  const created = dryRun(
    ['create'],
    objects.filter((o) => !hookAccounts.includes(o)),
  );
  return {
    status: Math.max(applied.status ?? 1, created.status ?? 1),
    stdout: applied.stdout + created.stdout,
    stderr: applied.stderr + created.stderr,
  };
}

/**
 * The Prometheus Operator is not part of the local stack: a ServiceMonitor CRD with the fields
 * the chart uses (strict, no unknown fields) stands in for it. Left installed: it is harmless.
 */
export function ensureServiceMonitorCrd(): void {
  tool('kubectl', [
    'apply',
    '--server-side',
    '-f',
    join(repoRoot, 'test/integration/chart/fixtures/servicemonitor-crd.yaml'),
  ]);
  tool('kubectl', [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/servicemonitors.monitoring.coreos.com',
  ]);
}
