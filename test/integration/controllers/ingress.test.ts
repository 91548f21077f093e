// Exposure through an Ingress, on the real API server: an operator started with an ingress
// domain, class and cert-manager issuer gives each exposed HTTP port of a lease a host under the
// domain, in one Ingress owned by the lease, lists each port's URL in the lease status, leaves
// plain TCP ports out, and deletes the Ingress once the manifest has no HTTP port any more.
import { join } from 'node:path';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { ComputeLeaseKind } from '../../../operator/src/api/kinds.js';
import {
  IngressKind,
  NetworkPolicyKind,
  type KubeClient,
} from '../../../operator/src/kube/index.js';
import { canonicalManifestHash } from '../../../operator/src/workloads/canonical.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import { waitFor } from '../../harness/stack.js';
import { repoRoot } from '../../stack/paths.js';
import {
  adminClient,
  createLease,
  deleteLeases,
  example,
  installCrdsAndRbac,
  kubectl,
  phaseIs,
  runId,
  slow,
  testLease,
  waitForLease,
} from '../../harness/cluster-fixtures.js';
import {
  forbiddenErrors,
  startOperator,
  type OperatorProcess,
} from '../../harness/test-run-operator.js';

const run = runId();
const leaseName = `ing-${run}`;
const domain = `${run}.gpu.example.test`;

/** The H100 example's manifest with two HTTP ports and a plain TCP port, all exposed. */
function httpManifest(base: ComputeLease['spec']['manifest']): ComputeLease['spec']['manifest'] {
  const manifest = structuredClone(base);
  manifest.services[0]!.ports = [
    { name: 'http', port: 8000, protocol: 'TCP', expose: true, http: true },
    { name: 'metrics', port: 9090, protocol: 'TCP', expose: true, http: true },
    { name: 'ssh', port: 2222, protocol: 'TCP', expose: true },
  ];
  return manifest;
}

describe('HTTP ports exposed through an Ingress', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let lease: ComputeLease;
  let namespace: string;

  beforeAll(async () => {
    client = adminClient();
    installCrdsAndRbac();
    kubectl(['apply', '--server-side', '-f', join(repoRoot, 'examples/gpunodepool-h100.yaml')]);
    operator = startOperator({
      run,
      extraArgs: [
        '--ingress-domain',
        domain,
        '--ingress-class',
        'nginx',
        '--ingress-cluster-issuer',
        'letsencrypt-dns',
      ],
    });
    await operator.ready();
    const base = example<ComputeLease>('computelease-h100.yaml');
    lease = await createLease(
      client,
      testLease(base, run, leaseName, { manifest: httpManifest(base.spec.manifest) }),
    );
    namespace = leaseNamespaceName(lease.spec.leaseId);
  }, slow);

  afterAll(async () => {
    await deleteLeases(client, [leaseName]);
    const code = await operator.stop();
    client.close();
    expect(code).toBe(0);
  }, slow);

  it(
    'publishes a host per HTTP port under the domain and lists its URL in the status',
    async () => {
      const running = await waitForLease(
        client,
        leaseName,
        'Running with the URLs of its HTTP ports',
        (l) => phaseIs('Running')(l) && (l.status?.endpoints ?? []).some((e) => e.url),
      );
      const api = `lease-${lease.spec.leaseId}-llm.${domain}`;
      const metrics = `lease-${lease.spec.leaseId}-llm-9090.${domain}`;
      const host = `llm.${namespace}.svc`;
      expect(running.status?.endpoints).toEqual([
        { service: 'llm', port: 8000, protocol: 'TCP', host, url: `https://${api}` },
        { service: 'llm', port: 9090, protocol: 'TCP', host, url: `https://${metrics}` },
        { service: 'llm', port: 2222, protocol: 'TCP', host },
      ]);

      const ingress = await client.get(IngressKind, 'http', namespace);
      expect(ingress?.metadata?.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'ComputeLease',
          uid: lease.metadata.uid,
          controller: true,
        }),
      ]);
      expect(ingress?.metadata?.annotations?.['cert-manager.io/cluster-issuer']).toBe(
        'letsencrypt-dns',
      );
      expect(ingress?.spec?.ingressClassName).toBe('nginx');
      expect(
        ingress?.spec?.rules?.map((rule) => [
          rule.host,
          rule.http?.paths[0]?.backend.service?.name,
          rule.http?.paths[0]?.backend.service?.port?.number,
        ]),
      ).toEqual([
        [api, 'llm', 8000],
        [metrics, 'llm', 9090],
      ]);
      expect(ingress?.spec?.tls).toEqual([
        { hosts: [api], secretName: `lease-${lease.spec.leaseId}-llm-tls` },
        { hosts: [metrics], secretName: `lease-${lease.spec.leaseId}-llm-9090-tls` },
      ]);

      // The ingress controller, in the ingress namespace, reaches the pods on the exposed ports.
      const policy = await client.get(NetworkPolicyKind, 'ingress', namespace);
      expect(policy?.spec?.ingress?.[1]?.ports?.map((p) => p.port)).toEqual([8000, 9090, 2222]);
      expect(forbiddenErrors(operator.lines)).toEqual([]);
    },
    slow,
  );

  it(
    'deletes the Ingress and the URLs once the manifest has no HTTP port',
    async () => {
      const current = (await client.get(ComputeLeaseKind, leaseName))!;
      const manifest = structuredClone(current.spec.manifest);
      for (const port of manifest.services[0]!.ports) delete port.http;
      await client.patch(ComputeLeaseKind, leaseName, 'merge', {
        spec: { manifest, manifestHash: canonicalManifestHash(manifest) },
      });
      const updated = await waitForLease(
        client,
        leaseName,
        'Running without URLs',
        (l) =>
          phaseIs('Running')(l) &&
          l.metadata.generation === 2 &&
          (l.status?.endpoints ?? []).every((e) => e.url === undefined),
      );
      expect(updated.status?.endpoints).toHaveLength(3);
      await waitFor(
        'the Ingress deleted',
        async () => (await client.get(IngressKind, 'http', namespace)) === undefined,
        30_000,
      );
    },
    slow,
  );
});
