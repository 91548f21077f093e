import type { GpuNodePool } from '../../api/gpunodepool.js';
import { corpusPool } from '../../workloads/testing/corpus.js';
import { gpuIsolationCondition, type ClusterPolicy } from './gpu-isolation.js';

function clusterPolicy(toolkit: Record<string, string>, devicePlugin: Record<string, string>) {
  const env = (vars: Record<string, string>) =>
    Object.entries(vars).map(([name, value]) => ({ name, value }));
  return {
    apiVersion: 'nvidia.com/v1',
    kind: 'ClusterPolicy',
    metadata: { name: 'cluster-policy' },
    spec: { toolkit: { env: env(toolkit) }, devicePlugin: { env: env(devicePlugin) } },
  } satisfies ClusterPolicy;
}

const hardened = clusterPolicy(
  { ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED: 'false' },
  { DEVICE_LIST_STRATEGY: 'volume-mounts' },
);

describe('gpuIsolationCondition', () => {
  it('is True when the GPU Operator ignores the variable and passes allocations as mounts or CDI', () => {
    expect(
      gpuIsolationCondition(corpusPool, { source: 'gpu-operator', policies: [hardened] }),
    ).toMatchObject({ type: 'GpuIsolation', status: 'True', reason: 'DeviceListFromAllocation' });
    const cdi = clusterPolicy(
      { ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED: 'False' },
      { DEVICE_LIST_STRATEGY: 'cdi-annotations,cdi-cri' },
    );
    expect(
      gpuIsolationCondition(corpusPool, { source: 'gpu-operator', policies: [cdi] }),
    ).toMatchObject({ status: 'True' });
  });

  it("is False, naming each setting, when a container's environment can choose its GPUs", () => {
    const defaults = clusterPolicy({}, {});
    expect(
      gpuIsolationCondition(corpusPool, { source: 'gpu-operator', policies: [defaults] }),
    ).toMatchObject({
      status: 'False',
      reason: 'DeviceListFromEnvironment',
      message: expect.stringMatching(
        /ENVVAR_WHEN_UNPRIVILEGED unset \(true\).*DEVICE_LIST_STRATEGY unset \(envvar\)/,
      ),
    });
    const envvar = clusterPolicy(
      { ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED: 'false' },
      { DEVICE_LIST_STRATEGY: 'envvar,volume-mounts' },
    );
    expect(
      gpuIsolationCondition(corpusPool, { source: 'gpu-operator', policies: [hardened, envvar] }),
    ).toMatchObject({ status: 'False', message: expect.stringMatching(/"envvar,volume-mounts"/) });
  });

  it('is Unknown when the settings cannot be seen from the API', () => {
    expect(gpuIsolationCondition(corpusPool, { source: 'none' })).toMatchObject({
      status: 'Unknown',
      reason: 'NodeSettingsNotVisible',
      message: expect.stringContaining('docs/gpu-node-hardening.md'),
    });
    expect(
      gpuIsolationCondition(corpusPool, { source: 'unreadable', error: 'forbidden' }),
    ).toMatchObject({ status: 'Unknown', reason: 'GpuOperatorUnreadable' });
    const amd: GpuNodePool = {
      ...corpusPool,
      spec: { ...corpusPool.spec, gpu: { ...corpusPool.spec.gpu, vendor: 'amd' } },
    };
    expect(
      gpuIsolationCondition(amd, { source: 'gpu-operator', policies: [hardened] }),
    ).toMatchObject({ status: 'Unknown', reason: 'NodeSettingsNotVisible' });
  });
});
