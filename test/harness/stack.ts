import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api, type V1Namespace } from '@kubernetes/client-node';
import { JsonRpcProvider, Wallet } from 'ethers';
import { readStackDescription, type StackDescription } from '../stack/description.js';
import { loadKubeConfig } from '../stack/kube.js';
import { waitFor } from '../stack/process.js';

/** The running local stack (brought up by the jest global set-up). */
export function stack(): StackDescription {
  const description = readStackDescription();
  if (!description)
    throw new Error('no local stack: run `make cluster-up` or the integration tests via make');
  return description;
}

/** An admin KubeConfig for the local cluster. */
export function adminKubeConfig(): KubeConfig {
  return loadKubeConfig(stack().kubeconfig);
}

/** An ethers provider for the local chain. Destroy it in afterAll. */
export function chainProvider(): JsonRpcProvider {
  const { rpcUrl, chainId } = stack();
  return new JsonRpcProvider(rpcUrl, chainId, {
    staticNetwork: true,
    pollingInterval: 200,
    // ethers caches identical calls for 250 ms; back-to-back sends would reuse a stale nonce.
    cacheTimeout: -1,
  });
}

/** A funded wallet of the local chain: index 0 deploys, the rest are free for tests. */
export function chainWallet(index: number, provider: JsonRpcProvider): Wallet {
  const account = stack().accounts[index];
  if (!account) throw new Error(`the stack has no account ${index}`);
  return new Wallet(account.privateKey, provider);
}

/**
 * Creates a namespace with a unique name for one test and waits for its default ServiceAccount
 * (pods cannot be created before it exists). Delete it with `deleteNamespace` in afterEach/afterAll.
 */
export async function createTestNamespace(
  kubeConfig: KubeConfig,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const name = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
  const body: V1Namespace = {
    metadata: { name, labels: { 'supercloud.dev/test': 'true', ...labels } },
  };
  await core.createNamespace({ body });
  await waitFor(
    `the default ServiceAccount in ${name}`,
    async () =>
      (await core.readNamespacedServiceAccount({ name: 'default', namespace: name })) !== undefined,
    30_000,
  );
  return name;
}

/** Deletes a namespace (and everything in it); harmless when it is already gone. */
export async function deleteNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.deleteNamespace({ name }).catch((error: { code?: number }) => {
    if (error.code !== 404) throw error;
  });
}

export { waitFor };
