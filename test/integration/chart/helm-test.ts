// `helm test` of a release on the local stack, whose pods KWOK cannot run: the release's test
// hooks (`helm get hooks`) are created the way helm creates them, the ServiceAccount and its RBAC
// first, and each test pod's command runs as a local process of the image's entry point, acting as
// the pod's ServiceAccount, the in-cluster URL of the metrics Service pointed at the release's
// operator running locally.
import { spawnOperator } from '../../harness/operator.js';
import { stack } from '../../harness/stack.js';
import { isTestHook, parseObjects, runTool, tool, toYamlStream, type KubeObject } from './helm.js';

/** A test pod of the release: the parts the runner reads. */
interface TestPod extends KubeObject {
  metadata: KubeObject['metadata'] & { namespace: string };
  spec: { serviceAccountName: string; containers: { args: string[] }[] };
}

/** What one test pod's command did. */
export interface TestPodResult {
  readonly pod: string;
  readonly exitCode: number | null;
  /** Its output lines. */
  readonly output: string;
}

/** The release's `helm test` hooks: the pods, and what they need (ServiceAccount, RBAC). */
export function releaseTestHooks(
  release: string,
  namespace: string,
): { pods: TestPod[]; needs: KubeObject[] } {
  const hooks = parseObjects(tool('helm', ['get', 'hooks', release, '--namespace', namespace]))
    .filter(isTestHook)
    .map((o) => ({ ...o, metadata: { namespace, ...o.metadata } }));
  return {
    pods: hooks.filter((o) => o.kind === 'Pod') as TestPod[],
    needs: hooks.filter((o) => o.kind !== 'Pod'),
  };
}

/** Creates what the test pods need, as helm does before them; `remove` deletes it again. */
export const testHookNeeds = {
  create: (needs: readonly KubeObject[]) =>
    tool('kubectl', ['apply', '--server-side', '-f', '-'], toYamlStream(needs)),
  remove: (needs: readonly KubeObject[]) =>
    runTool('kubectl', ['delete', '--ignore-not-found', '-f', '-'], toYamlStream(needs)),
};

/**
 * Runs a test pod's command locally: as its ServiceAccount against the stack's API server, the
 * metrics Service's URL replaced by `healthUrl` (the release's operator, a local process).
 */
export async function runTestPod(
  pod: TestPod,
  healthUrl: string,
  extra: readonly string[] = [],
): Promise<TestPodResult> {
  const args = pod.spec.containers[0]!.args.map((arg) =>
    arg.startsWith('--url=') ? `--url=${healthUrl}/readyz` : arg,
  );
  const apiAccess =
    args[1] === 'provider'
      ? [
          '--kubeconfig',
          stack().kubeconfig,
          '--as',
          `system:serviceaccount:${pod.metadata.namespace}:${pod.spec.serviceAccountName}`,
        ]
      : [];
  const check = spawnOperator([...args, ...apiAccess, '--interval', '1', ...extra]);
  const exitCode = await check.exited;
  return {
    pod: pod.metadata.name,
    exitCode,
    output: check.lines.map((line) => String(line.message)).join('\n'),
  };
}
