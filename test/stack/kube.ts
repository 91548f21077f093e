import { request as httpsRequest, type RequestOptions } from 'node:https';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { mapWithConcurrency } from '../../operator/src/market/concurrency.js';

/** A KubeConfig loaded from a kubeconfig file. */
export function loadKubeConfig(kubeconfigPath: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return kubeConfig;
}

/** True when the API server answers /readyz with "ok". */
export async function isApiServerReady(kubeConfig: KubeConfig): Promise<boolean> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) return false;
  const options: RequestOptions = { timeout: 3_000 };
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve) => {
    const request = httpsRequest(new URL('/readyz', cluster.server), options, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(response.statusCode === 200 && body === 'ok'));
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
    request.end();
  });
}

/** Creates the nodes that do not exist yet (32 requests in flight). */
export async function createNodes(kubeConfig: KubeConfig, nodes: readonly V1Node[]): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await mapWithConcurrency(nodes, 32, async (node) => {
    try {
      await core.createNode({ body: node });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
  });
}

/** The number of nodes whose Ready condition is True. */
export async function countReadyNodes(kubeConfig: KubeConfig): Promise<number> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const list = await core.listNode();
  return list.items.filter((node) =>
    node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}
