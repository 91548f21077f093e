// What the cluster shows of the GPU runtime's isolation (docs/gpu-node-hardening.md): the NVIDIA
// container toolkit's settings live in files on the nodes, which the API does not show, but the
// GPU Operator's ClusterPolicy, when there is one, says how it configures the toolkit and the
// device plugin. The GpuIsolation condition of an NVIDIA pool reports what that says.
import { poolConditionTypes, poolReasons, type GpuNodePool } from '../../api/gpunodepool.js';
import type { ConditionUpdate } from '../../kube/conditions.js';
import { KubeApiError } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import { resourceKind, type KubeObject } from '../../kube/objects.js';

/** The GPU Operator's cluster-wide configuration (nvidia.com/v1 ClusterPolicy), the part read. */
export interface ClusterPolicy extends KubeObject {
  spec?: {
    toolkit?: { env?: { name?: string; value?: string }[] };
    devicePlugin?: { env?: { name?: string; value?: string }[] };
  };
}

export const ClusterPolicyKind = resourceKind<ClusterPolicy>(
  'nvidia.com/v1',
  'ClusterPolicy',
  'clusterpolicies',
  false,
);

/** What the cluster says of the NVIDIA runtime's configuration. */
export type GpuRuntimeObservation =
  | { readonly source: 'gpu-operator'; readonly policies: readonly ClusterPolicy[] }
  /** No GPU Operator: the node settings cannot be seen from the API. */
  | { readonly source: 'none' }
  /** The ClusterPolicies could not be read (no permission, API error). */
  | { readonly source: 'unreadable'; readonly error: string };

/** Device-plugin strategies that pass an allocation without an environment variable. */
const safeDeviceListStrategies = ['volume-mounts', 'cdi-annotations', 'cdi-cri'];

const docs = 'docs/gpu-node-hardening.md';

/** The GpuIsolation condition of a pool, from what the cluster shows. */
export function gpuIsolationCondition(
  pool: GpuNodePool,
  observed: GpuRuntimeObservation,
): ConditionUpdate {
  const type = poolConditionTypes.GpuIsolation;
  if (pool.spec.gpu.vendor !== 'nvidia') {
    return {
      type,
      status: 'Unknown',
      reason: poolReasons.NodeSettingsNotVisible,
      message: `the ${pool.spec.gpu.vendor} runtime's device selection is set on the nodes; apply ${docs}`,
    };
  }
  if (observed.source === 'unreadable') {
    return {
      type,
      status: 'Unknown',
      reason: poolReasons.GpuOperatorUnreadable,
      message: `the GPU Operator's ClusterPolicy could not be read (${observed.error}); apply ${docs}`,
    };
  }
  if (observed.source === 'none' || observed.policies.length === 0) {
    return {
      type,
      status: 'Unknown',
      reason: poolReasons.NodeSettingsNotVisible,
      message: `no GPU Operator ClusterPolicy: the container toolkit's settings are files on the nodes, which the API does not show; apply ${docs}`,
    };
  }
  const problems = observed.policies.flatMap(policyProblems);
  if (problems.length > 0) {
    return {
      type,
      status: 'False',
      reason: poolReasons.DeviceListFromEnvironment,
      message: `${problems.join('; ')}: a container could choose its GPUs through NVIDIA_VISIBLE_DEVICES; see ${docs}`,
    };
  }
  return {
    type,
    status: 'True',
    reason: poolReasons.DeviceListFromAllocation,
    message:
      "the GPU Operator's toolkit ignores NVIDIA_VISIBLE_DEVICES in unprivileged containers and its device plugin passes allocations as mounts or CDI devices",
  };
}

function policyProblems(policy: ClusterPolicy): string[] {
  const name = policy.metadata?.name ?? '';
  const env = (list: { name?: string; value?: string }[] | undefined, key: string) =>
    list?.find((variable) => variable.name === key)?.value;
  const problems: string[] = [];
  const acceptEnv = env(
    policy.spec?.toolkit?.env,
    'ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED',
  );
  if (acceptEnv?.toLowerCase() !== 'false') {
    problems.push(
      `ClusterPolicy ${name} leaves the toolkit's ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED ${acceptEnv === undefined ? 'unset (true)' : `"${acceptEnv}"`}`,
    );
  }
  const strategy = env(policy.spec?.devicePlugin?.env, 'DEVICE_LIST_STRATEGY');
  if (!strategy || !strategy.split(',').every((s) => safeDeviceListStrategies.includes(s.trim()))) {
    problems.push(
      `ClusterPolicy ${name} has the device plugin's DEVICE_LIST_STRATEGY ${strategy === undefined ? 'unset (envvar)' : `"${strategy}"`}`,
    );
  }
  return problems;
}

/** How long an observation answers for: the ClusterPolicy changes rarely. */
export const gpuRuntimeObservationTtlMs = 60_000;

/**
 * Reads the GPU Operator's ClusterPolicies at most once per `ttlMs`, for every pool.
 *
 * @example const observe = gpuRuntimeObserver(client); const observed = await observe();
 */
export function gpuRuntimeObserver(
  client: KubeClient,
  ttlMs = gpuRuntimeObservationTtlMs,
  now: () => number = Date.now,
): () => Promise<GpuRuntimeObservation> {
  let last: { readonly at: number; readonly observed: GpuRuntimeObservation } | undefined;
  return async () => {
    if (last && now() - last.at < ttlMs) return last.observed;
    let observed: GpuRuntimeObservation;
    try {
      const { items } = await client.list(ClusterPolicyKind);
      observed = { source: 'gpu-operator', policies: items };
    } catch (error) {
      // No such resource: no GPU Operator. Forbidden: the chart's ClusterRole was trimmed. Any
      // other failure is transient and retried by the reconcile.
      if (!(error instanceof KubeApiError) || ![403, 404].includes(error.code)) throw error;
      observed =
        error.code === 404 ? { source: 'none' } : { source: 'unreadable', error: error.message };
    }
    last = { at: now(), observed };
    return observed;
  };
}
