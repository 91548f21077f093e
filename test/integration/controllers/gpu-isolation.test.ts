// The GpuIsolation condition of a pool reports what the cluster shows of the GPU runtime: with no
// GPU Operator, Unknown (the toolkit's settings are node files); with a ClusterPolicy that lets a
// container's NVIDIA_VISIBLE_DEVICES choose its GPUs, False and a Warning Event; once the policy
// is hardened, True. The ClusterPolicy CRD here is a minimal stand-in for the GPU Operator's
// (same group, version, kind and fields read), on the real API server.
import type { GpuNodePool } from '../../../operator/src/api/gpunodepool.js';
import { GpuNodePoolKind } from '../../../operator/src/api/kinds.js';
import { ClusterPolicyKind } from '../../../operator/src/controllers/gpunodepool/gpu-isolation.js';
import { EventKind, type KubeClient } from '../../../operator/src/kube/index.js';
import { waitFor } from '../../harness/stack.js';
import {
  adminClient,
  createPoolNodes,
  deleteNodes,
  deletePools,
  installCrdsAndRbac,
  kubectl,
  runId,
  slow,
  testPool,
} from '../../harness/cluster-fixtures.js';
import {
  forbiddenErrors,
  startOperator,
  type OperatorProcess,
} from '../../harness/test-run-operator.js';

const run = runId();
const poolName = `iso-${run}`;
const policyName = `iso-${run}`;

const clusterPolicyCrd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusterpolicies.nvidia.com
spec:
  group: nvidia.com
  scope: Cluster
  names: { kind: ClusterPolicy, listKind: ClusterPolicyList, plural: clusterpolicies, singular: clusterpolicy }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;

function clusterPolicy(acceptEnvVar: string, strategy: string) {
  return {
    apiVersion: 'nvidia.com/v1',
    kind: 'ClusterPolicy',
    metadata: { name: policyName },
    spec: {
      toolkit: {
        env: [
          { name: 'ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED', value: acceptEnvVar },
        ],
      },
      devicePlugin: { env: [{ name: 'DEVICE_LIST_STRATEGY', value: strategy }] },
    },
  };
}

async function isolation(
  client: KubeClient,
  want: { status: string; reason: string },
): Promise<{ message: string }> {
  const condition = async () => {
    const pool = (await client.get(GpuNodePoolKind, poolName)) as GpuNodePool | undefined;
    return pool?.status?.conditions?.find((c) => c.type === 'GpuIsolation');
  };
  await waitFor(
    `pool ${poolName} GpuIsolation ${want.status} (${want.reason})`,
    async () => {
      const found = await condition();
      return found?.status === want.status && found.reason === want.reason;
    },
    60_000,
  );
  return { message: (await condition())?.message ?? '' };
}

describe('the GpuIsolation condition of a pool', () => {
  let client: KubeClient;
  let operator: OperatorProcess | undefined;
  let nodes: string[] = [];

  async function restartOperator(): Promise<void> {
    if (operator) expect(await operator.stop()).toBe(0);
    operator = startOperator({ run });
    await operator.ready();
  }

  beforeAll(async () => {
    client = adminClient();
    installCrdsAndRbac();
    kubectl(['delete', 'crd', 'clusterpolicies.nvidia.com', '--ignore-not-found', '--wait']);
    nodes = await createPoolNodes(poolName, 1);
    await client.create(GpuNodePoolKind, testPool(poolName));
  }, slow);

  afterAll(async () => {
    kubectl(['delete', 'crd', 'clusterpolicies.nvidia.com', '--ignore-not-found', '--wait']);
    await deletePools(client, [poolName]);
    await deleteNodes(client, nodes);
    const code = await operator?.stop();
    client.close();
    expect(code).toBe(0);
  }, slow);

  it(
    'is Unknown without a GPU Operator: the node settings are not visible',
    async () => {
      await restartOperator();
      const condition = await isolation(client, {
        status: 'Unknown',
        reason: 'NodeSettingsNotVisible',
      });
      expect(condition.message).toContain('docs/gpu-node-hardening.md');
    },
    slow,
  );

  it(
    "is False with a Warning Event when a container's environment can choose its GPUs",
    async () => {
      kubectl(['apply', '-f', '-'], clusterPolicyCrd);
      kubectl(['wait', '--for=condition=Established', 'crd/clusterpolicies.nvidia.com']);
      await client.create(ClusterPolicyKind, clusterPolicy('true', 'envvar'));
      await restartOperator();
      const condition = await isolation(client, {
        status: 'False',
        reason: 'DeviceListFromEnvironment',
      });
      expect(condition.message).toMatch(/ENVVAR_WHEN_UNPRIVILEGED "true".*"envvar"/);
      await waitFor(
        'a Warning Event DeviceListFromEnvironment',
        async () => {
          const events = await client.list(EventKind, {
            namespace: 'default',
            fieldSelector: `regarding.name=${poolName}`,
          });
          return events.items.some(
            (event) => event.reason === 'DeviceListFromEnvironment' && event.type === 'Warning',
          );
        },
        30_000,
      );
    },
    slow,
  );

  it(
    'is True once the GPU Operator ignores the variable and mounts the allocation',
    async () => {
      await client.delete(ClusterPolicyKind, policyName);
      await client.create(ClusterPolicyKind, clusterPolicy('false', 'volume-mounts'));
      await restartOperator();
      await isolation(client, { status: 'True', reason: 'DeviceListFromAllocation' });
      expect(forbiddenErrors(operator!.lines)).toEqual([]);
    },
    slow,
  );
});
