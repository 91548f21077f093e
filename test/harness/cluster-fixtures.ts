// Cluster fixtures shared by the controller, chart, market and fault suites, the end-to-end suite
// and the benchmarks: the CRDs and RBAC on the stack, leases and pools built from the examples,
// GPU nodes of the test's own, and waits.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import type { GpuNodePool } from '../../operator/src/api/gpunodepool.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../operator/src/api/kinds.js';
import { KubeClient, NodeKind, type ObjectOf } from '../../operator/src/kube/index.js';
import { canonicalManifestHash } from '../../operator/src/workloads/canonical.js';
import { adminKubeConfig, stack, waitFor } from './stack.js';
import { createNodes } from '../stack/kube.js';
import { nodeObjects, poolLabel } from '../stack/nodes.js';
import { repoRoot, toolPath } from '../stack/paths.js';
import { testRunLabel } from './test-run-operator.js';

/** Timeout of hooks and tests that wait for the cluster (jest ignores the project's testTimeout). */
export const slow = 180_000;

/** A run id: lower-case, short, unique enough for names and label values. */
export function runId(): string {
  return `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/** A lease id no other run uses (namespaces are named after it). */
export function uniqueLeaseId(): string {
  return String(5_000_000_000 + Math.floor(Math.random() * 4_000_000_000));
}

export function kubectl(args: readonly string[], input?: string): string {
  return execFileSync(toolPath('kubectl'), ['--kubeconfig', stack().kubeconfig, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Installs the CRDs (waiting until they are served) and the operator's RBAC. */
export function installCrdsAndRbac(): void {
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  kubectl(['apply', '-f', join(repoRoot, 'test/integration/controllers/rbac.yaml')]);
}

/** A plain admin client for the tests' own writes and reads. */
export function adminClient(): KubeClient {
  return new KubeClient({ kubeConfig: adminKubeConfig() });
}

export function example<T>(file: string): T {
  return yaml.load(readFileSync(join(repoRoot, 'examples', file), 'utf8')) as T;
}

/** A lease of a test run: the given lease with its own name, id and the run's label. */
export function testLease(
  base: ComputeLease,
  run: string,
  name: string,
  overrides: Partial<ComputeLease['spec']> = {},
): ComputeLease {
  const spec = { ...base.spec, leaseId: uniqueLeaseId(), ...overrides };
  return {
    apiVersion: base.apiVersion,
    kind: base.kind,
    metadata: { name, labels: { [testRunLabel]: run } },
    spec: { ...spec, manifestHash: canonicalManifestHash(spec.manifest) },
  };
}

/**
 * A one-service manifest for pools of the test's own nodes; `extra` adds fields to the service
 * (e.g. one the manifest rules refuse).
 */
export function gpuManifest(
  gpus: number,
  replicas = 1,
  extra: Record<string, unknown> = {},
): ComputeLease['spec']['manifest'] {
  return {
    version: 'v1',
    services: [
      {
        name: 'worker',
        image: 'registry.example.com/team/worker:1.0',
        replicas,
        resources: {
          gpus,
          cpuMillis: 1000,
          memoryMiB: 1024,
          ephemeralStorageMiB: 1024,
          shmMiB: 64,
        },
        ...extra,
      },
    ],
  } as ComputeLease['spec']['manifest'];
}

/** Resources bought for exactly a `gpuManifest`. */
export function boughtFor(gpus: number, replicas = 1): ComputeLease['spec']['resources'] {
  return {
    gpus: gpus * replicas,
    gpuModel: 'NVIDIA-H100-80GB-HBM3',
    gpuMemoryMiB: 0,
    cpuMillis: 1000 * replicas,
    memoryMiB: 1024 * replicas,
    storageMiB: 1024 * replicas,
  };
}

/**
 * KWOK GPU nodes of a pool of the test's own (H100-shaped, `gpusPerNode` GPUs each, 8 by
 * default), so that what the test counts is not shared with other suites. Returns the node names.
 */
export async function createPoolNodes(
  pool: string,
  count: number,
  gpusPerNode = 8,
): Promise<string[]> {
  const nodes = nodeObjects([{ pool: 'h100', nodes: count, gpusPerNode }]).map((node, i) => {
    const name = `${pool}-${i}`;
    return {
      ...node,
      metadata: {
        ...node.metadata,
        name,
        labels: { ...node.metadata?.labels, 'kubernetes.io/hostname': name, [poolLabel]: pool },
      },
    };
  });
  await createNodes(adminKubeConfig(), nodes);
  return nodes.map((node) => node.metadata.name);
}

export async function deleteNodes(client: KubeClient, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => client.delete(NodeKind, name)));
}

/** A GpuNodePool like the H100 example, selecting the nodes labelled `supercloud.dev/pool: <name>`. */
export function testPool(name: string): GpuNodePool {
  const base = example<GpuNodePool>('gpunodepool-h100.yaml');
  return {
    ...base,
    metadata: { name },
    spec: { ...base.spec, nodeSelector: { [poolLabel]: name } },
  };
}

export type Lease = ComputeLease;
export type Pool = ObjectOf<typeof GpuNodePoolKind>;

export async function createLease(client: KubeClient, lease: ComputeLease): Promise<ComputeLease> {
  return client.create(ComputeLeaseKind, lease);
}

/** Waits until the lease's status satisfies `check`; returns the lease. */
export async function waitForLease(
  client: KubeClient,
  name: string,
  what: string,
  check: (lease: ComputeLease) => boolean,
  timeoutMs = 60_000,
): Promise<ComputeLease> {
  let last: ComputeLease | undefined;
  try {
    await waitFor(
      `lease ${name} ${what}`,
      async () => {
        last = await client.get(ComputeLeaseKind, name);
        return last !== undefined && check(last);
      },
      timeoutMs,
      100,
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; last status: ${JSON.stringify(last?.status ?? null)}`,
    );
  }
  return last!;
}

export const phaseIs =
  (phase: string) =>
  (lease: ComputeLease): boolean =>
    lease.status?.phase === phase && lease.status.observedGeneration === lease.metadata.generation;

export async function deleteLeases(client: KubeClient, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => client.delete(ComputeLeaseKind, name)));
}

export async function deletePools(client: KubeClient, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => client.delete(GpuNodePoolKind, name)));
}
