import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRuntimeError } from './errors.js';

/** Where the operator's credentials come from. */
export interface KubeConfigSource {
  /** A kubeconfig file (as `kubectl --kubeconfig`). */
  readonly kubeconfig?: string;
  /** A context of that file other than its current one. */
  readonly context?: string;
  /** The pod's service account (token, CA and namespace mounted by Kubernetes). */
  readonly inCluster?: boolean;
}

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Loads credentials: a kubeconfig file, the in-cluster service account, or by default what
 * kubectl would use ($KUBECONFIG, ~/.kube/config, then in-cluster).
 */
export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (source.inCluster) {
    if (!process.env.KUBERNETES_SERVICE_HOST || !existsSync(`${serviceAccountDir}/token`)) {
      throw new KubeRuntimeError('not running in a pod with a service account', {
        details: `KUBERNETES_SERVICE_HOST is unset or ${serviceAccountDir}/token is missing`,
        action: 'run in-cluster with automountServiceAccountToken, or pass a kubeconfig',
      });
    }
    kubeConfig.loadFromCluster();
  } else if (source.kubeconfig) {
    if (!existsSync(source.kubeconfig)) {
      throw new KubeRuntimeError(`kubeconfig ${source.kubeconfig} does not exist`, {
        action: 'pass the path of a kubeconfig file',
      });
    }
    kubeConfig.loadFromFile(source.kubeconfig);
  } else {
    kubeConfig.loadFromDefault();
  }
  if (source.context) {
    if (!kubeConfig.getContextObject(source.context)) {
      throw new KubeRuntimeError(`the kubeconfig has no context "${source.context}"`, {
        details: `contexts: ${kubeConfig
          .getContexts()
          .map((c) => c.name)
          .join(', ')}`,
        action: 'pass one of those contexts',
      });
    }
    kubeConfig.setCurrentContext(source.context);
  }
  return kubeConfig;
}
