// The chart as chart-testing runs it (`ct lint` and `ct install` use each ci/*-values.yaml): `helm
// lint --strict` passes with every ci values file, and every object rendered from it, the helm
// test hooks included, is accepted by the API server (server-side dry run, Pod Security
// "restricted"). Then what those files exercise: the `helm test` hooks (the operator's image
// running `supercloud-operator check` as a ServiceAccount that may read the Provider only), the
// provider key in a remote signer (signer.*), and NOTES naming what to do next with the
// provider's own values.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from '../../harness/stack.js';
import { runId } from '../../harness/cluster-fixtures.js';
import {
  chartDir,
  clusterScopedOfRun,
  dryRunCreate,
  isTestHook,
  objectKey,
  parseObjects,
  runTool,
  templateArgs,
  tool,
  valuesFile,
  type KubeObject,
} from './helm.js';

const ciDir = join(chartDir, 'ci');
const ciFiles = readdirSync(ciDir)
  .filter((file) => file.endsWith('-values.yaml'))
  .sort();
const ci = (name: string) => join(ciDir, `${name}-values.yaml`);

/** `helm template` of the ci values file `name`, with `--set` overrides. */
function renderCi(name: string, ...set: string[]): KubeObject[] {
  return parseObjects(
    tool('helm', [
      ...templateArgs({ valuesFiles: [ci(name)] }),
      ...set.flatMap((value) => ['--set', value]),
    ]),
  );
}

interface Container {
  image: string;
  args: string[];
  securityContext: unknown;
}
interface PodLike extends KubeObject {
  metadata: KubeObject['metadata'] & { annotations: Record<string, string> };
  spec: {
    restartPolicy?: string;
    serviceAccountName: string;
    automountServiceAccountToken: boolean;
    securityContext: Record<string, unknown>;
    containers: Container[];
    template?: { spec: { containers: Container[] } };
  };
}

describe('ci/*-values.yaml', () => {
  it('has the chart-testing values files: a wallet Secret, a remote signer, a test wallet', () => {
    expect(ciFiles).toEqual([
      'remote-signer-values.yaml',
      'test-wallet-values.yaml',
      'wallet-secret-values.yaml',
    ]);
  });

  it.each(ciFiles)('helm lint --strict passes with ci/%s', (file) => {
    const result = runTool('helm', ['lint', '--strict', chartDir, '--values', join(ciDir, file)]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({
      status: 0,
    });
  });

  describe('every rendered object, the test hooks included, is accepted by the API server', () => {
    const kubeConfig = adminKubeConfig();
    const run = runId();
    let namespace: string;

    beforeAll(async () => {
      namespace = await createTestNamespace(kubeConfig, 'chart-ci', {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
    });

    afterAll(async () => {
      await deleteNamespace(kubeConfig, namespace);
    });

    it.each(ciFiles)('ci/%s', (file) => {
      const objects = parseObjects(
        tool('helm', templateArgs({ namespace, valuesFiles: [join(ciDir, file)] })),
      ).map((object) => clusterScopedOfRun(object, run));
      expect(objects.filter(isTestHook).map((o) => o.kind)).toEqual(
        expect.arrayContaining(['ServiceAccount', 'Pod']),
      );
      const result = dryRunCreate(objects);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.trim().split('\n')).toHaveLength(objects.length);
      expect(new Set(objects.map(objectKey)).size).toBe(objects.length);
    });
  });
});

describe('the helm test hooks', () => {
  const rendered = renderCi('wallet-secret');
  const tests = rendered.filter((o) => isTestHook(o));
  const pods = tests.filter((o) => o.kind === 'Pod') as PodLike[];
  const operator = rendered.find(
    (o) =>
      o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'operator',
  ) as PodLike;
  const operatorContainer = operator.spec.template!.spec.containers[0]!;
  const pod = (name: string) => pods.find((p) => p.metadata.name.endsWith(`-test-${name}`));

  it('are two pods running `supercloud-operator check` in the operator image, restricted like the operator', () => {
    expect(pods.map((p) => p.metadata.name).sort()).toEqual([
      'supercloud-provider-test-chain-connection',
      'supercloud-provider-test-operator-ready',
    ]);
    for (const p of pods) {
      expect(p.spec.restartPolicy).toBe('Never');
      expect(p.spec.containers).toHaveLength(1);
      expect(p.spec.containers[0]!.image).toBe(operatorContainer.image);
      expect(p.spec.containers[0]!.args[0]).toBe('check');
      expect(p.spec.containers[0]!.securityContext).toEqual(operatorContainer.securityContext);
      expect(p.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      // Kept when it fails (for `helm test --logs`), replaced on the next run.
      expect(p.metadata.annotations['helm.sh/hook-delete-policy']).toBe(
        'before-hook-creation,hook-succeeded',
      );
    }
  });

  it("asks the operator's /readyz through the metrics Service, with no API access", () => {
    const ready = pod('operator-ready')!;
    expect(ready.spec.containers[0]!.args).toEqual([
      'check',
      'ready',
      '--url=http://supercloud-provider-metrics.supercloud-system.svc:8081/readyz',
    ]);
    expect(ready.spec.automountServiceAccountToken).toBe(false);
  });

  it("reads the Provider's conditions as a ServiceAccount that may get that Provider and nothing else", () => {
    const chain = pod('chain-connection')!;
    expect(chain.spec.containers[0]!.args).toEqual([
      'check',
      'provider',
      '--name=ci-wallet-secret',
    ]);
    expect(chain.spec.automountServiceAccountToken).toBe(true);
    expect(chain.spec.serviceAccountName).toBe('supercloud-provider-test');
    const role = tests.find((o) => o.kind === 'ClusterRole') as KubeObject & { rules: unknown[] };
    expect(role.rules).toEqual([
      {
        apiGroups: ['supercloud.dev'],
        resources: ['providers'],
        resourceNames: ['ci-wallet-secret'],
        verbs: ['get'],
      },
    ]);
    const binding = tests.find((o) => o.kind === 'ClusterRoleBinding') as KubeObject & {
      subjects: unknown[];
      roleRef: { name: string };
    };
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([
      {
        kind: 'ServiceAccount',
        name: chain.spec.serviceAccountName,
        namespace: 'supercloud-system',
      },
    ]);
    // The ServiceAccount and its RBAC exist before the pods, and go once the tests passed.
    for (const object of tests.filter((o) => o.kind !== 'Pod')) {
      expect((object.metadata as PodLike['metadata']).annotations).toMatchObject({
        'helm.sh/hook-weight': '-10',
        'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
      });
    }
  });

  it('leave out what cannot run: the readiness check without the metrics Service, the chain check without RBAC', () => {
    const names = (objects: KubeObject[]) =>
      objects.filter((o) => isTestHook(o)).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names(renderCi('wallet-secret', 'metrics.service.enabled=false'))).not.toContain(
      'Pod/supercloud-provider-test-operator-ready',
    );
    expect(names(renderCi('wallet-secret', 'rbac.create=false')).sort()).toEqual([
      'Pod/supercloud-provider-test-operator-ready',
      'ServiceAccount/supercloud-provider-test',
    ]);
    expect(
      parseObjects(
        tool('helm', [...templateArgs({ valuesFiles: [ci('wallet-secret')] }), '--skip-tests']),
      ).filter((o) => isTestHook(o)),
    ).toEqual([]);
  });
});

describe('the provider key in a remote signer (ci/remote-signer-values.yaml)', () => {
  const rendered = renderCi('remote-signer');
  const provider = rendered.find((o) => o.kind === 'Provider')!;
  const walletRole = (objects: KubeObject[]) =>
    objects.find((o) => o.kind === 'Role' && o.metadata.name.endsWith('-wallet')) as
      (KubeObject & { rules: { resourceNames: string[] }[] }) | undefined;

  it('renders the Provider with remoteSigner and no walletSecretRef, and no wallet Secret', () => {
    expect(provider.spec).not.toHaveProperty('walletSecretRef');
    expect(provider.spec?.remoteSigner).toEqual({
      url: 'https://web3signer.supercloud-ci.svc:9000',
      address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      credentialsSecretRef: {
        name: 'web3signer-credentials',
        namespace: 'supercloud-system',
        tokenKey: 'token',
        caKey: 'ca.crt',
      },
      timeoutSeconds: 10,
    });
    expect(rendered.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it("lets the operator read the signer's credentials Secret only, and no Secret when the signer needs none", () => {
    expect(walletRole(rendered)?.rules.map((rule) => rule.resourceNames)).toEqual([
      ['web3signer-credentials'],
    ]);
    const without = renderCi('remote-signer', 'signer.existingSecret=');
    expect(without.find((o) => o.kind === 'Provider')?.spec?.remoteSigner).not.toHaveProperty(
      'credentialsSecretRef',
    );
    expect(walletRole(without)).toBeUndefined();
    expect(without.filter((o) => o.kind === 'RoleBinding').map((o) => o.metadata.name)).toEqual([
      'supercloud-provider-leader-election',
    ]);
  });

  it("opens the operator's NetworkPolicy to the signer's port, and its metrics port to the helm test pod", () => {
    const policy = rendered.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'supercloud-provider',
    ) as KubeObject & {
      spec: { egress: { ports: { port: number }[] }[]; ingress: { from: unknown[] }[] };
    };
    expect(policy.spec.egress.at(-1)).toEqual({ ports: [{ port: 9000, protocol: 'TCP' }] });
    expect(policy.spec.ingress[0]!.from).toContainEqual({
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/name': 'supercloud-provider',
          'app.kubernetes.io/instance': 'supercloud-provider',
          'app.kubernetes.io/component': 'test',
        },
      },
    });
    const port = (url: string) =>
      (
        renderCi('remote-signer', `signer.url=${url}`).find(
          (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'supercloud-provider',
        ) as typeof policy
      ).spec.egress.at(-1);
    expect(port('https://signer.example')).toEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
    expect(port('http://signer.example')).toEqual({ ports: [{ port: 80, protocol: 'TCP' }] });
  });
});

describe('NOTES', () => {
  const kubeConfig = adminKubeConfig();
  const run = runId();
  let namespace: string;

  beforeAll(async () => {
    namespace = await createTestNamespace(kubeConfig, 'chart-notes');
  });

  afterAll(async () => {
    await deleteNamespace(kubeConfig, namespace);
  });

  /** NOTES of `helm install --dry-run` of a ci values file, with names of this run. */
  function notes(name: string): string {
    const own = valuesFile('own-names', {
      provider: { name: `notes-${run}` },
    });
    const output = tool('helm', [
      'install',
      `notes-${run}`,
      chartDir,
      '--namespace',
      namespace,
      '--dry-run=client',
      '--skip-crds',
      '--values',
      ci(name),
      '--values',
      own,
      // Pool names of this run: the dry run still refuses objects another release owns.
      ...(name === 'test-wallet' ? [] : ['--set', `nodePools[0].name=notes-${run}`]),
    ]);
    return output.slice(output.indexOf('NOTES:'));
  }

  it("says what to do next with the provider's values: helm test, the address to fund, the pools", () => {
    const text = notes('test-wallet');
    expect(text).toContain(
      `Provider notes-${run} on chain 31337 (http://anvil.supercloud-ci.svc:8545)`,
    );
    expect(text).toContain(`helm test notes-${run} -n ${namespace} --logs`);
    expect(text).toContain('address: 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC');
    expect(text).toContain('WARNING: wallet.create is set');
    expect(text).toContain('With no pool the provider bids on nothing');
  });

  it('names the remote signer and what to check when it cannot sign', () => {
    const text = notes('remote-signer');
    expect(text).toContain(
      'signing through the remote signer at https://web3signer.supercloud-ci.svc:9000 (the key never enters the cluster)',
    );
    expect(text).toContain('with the token/CA of Secret web3signer-credentials');
    expect(text).toContain('address: 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC');
    expect(text).toContain(`1 declared: notes-${run}`);
    expect(text).not.toContain('WARNING');
  });
});
