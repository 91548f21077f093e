// The operator of an installed release as a local process: KWOK runs no containers, so the test
// runs the container's own arguments (read back from the live Deployment) through the same entry
// point, acting as the release's ServiceAccount so the chart's RBAC is what it runs with.
import { spawnOperator, type OperatorProcess } from '../../harness/operator.js';
import { stack } from '../../harness/stack.js';

/** The parts of a Deployment the launcher reads. */
export interface OperatorDeployment {
  metadata: { namespace?: string };
  spec: {
    template: {
      spec: {
        serviceAccountName: string;
        containers: { name: string; args?: string[] }[];
      };
    };
  };
}

export type ReleaseOperator = OperatorProcess;

/**
 * What a pod's process gets that a local one must be told: the cluster (a kubeconfig acting as
 * the pod's ServiceAccount) and a free local port for /healthz instead of the pod's.
 */
export function localProcessArgs(
  deployment: OperatorDeployment,
  extra: readonly string[] = [],
): string[] {
  const namespace = deployment.metadata.namespace;
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'operator');
  if (!namespace || !container?.args) {
    throw new Error('the Deployment has no namespace or no operator container with arguments');
  }
  return [
    ...container.args.filter((arg) => !arg.startsWith('--health-address')),
    '--health-address=127.0.0.1:0',
    '--kubeconfig',
    stack().kubeconfig,
    '--as',
    `system:serviceaccount:${namespace}:${pod.serviceAccountName}`,
    '--as-group',
    'system:serviceaccounts',
    '--as-group',
    `system:serviceaccounts:${namespace}`,
    ...extra,
  ];
}

/** Starts the release's operator (operator/src/main.ts, the image's entry point) locally. */
export function startReleaseOperator(
  deployment: OperatorDeployment,
  extra: readonly string[] = [],
): ReleaseOperator {
  return spawnOperator(localProcessArgs(deployment, extra));
}
