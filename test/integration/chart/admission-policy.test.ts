// The chart's ValidatingAdmissionPolicies on the local stack: with the chart installed, requests
// made as the release's ServiceAccount (impersonated, as the operator's local process is) may
// create, change and delete lease namespaces and write a lease's objects inside them, and nothing
// else of those kinds: not kube-system, not `default`, not a namespace someone else made, not one
// made to look like a lease namespace. Requests made as the gateway's own ServiceAccount may write
// the two tenant Secrets of a lease namespace and its delivery and nonce annotations, and nothing
// else, deleting nothing. Each refusal must come from a policy (the message names it), not from
// RBAC, which grants these verbs cluster-wide (for deletes, which the gateway's RBAC does not
// grant, the test grants them to show the policy refuses too). The operator serving a lease end to
// end with the policy enforced is in install.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { Wallet } from 'ethers';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { annotations } from '../../../operator/src/api/constants.js';
import { leaseChildKinds } from '../../../operator/src/controllers/computelease/children.js';
import type { Caller } from '../../../operator/src/gateway/auth.js';
import {
  nonceDigest,
  parseUsedNonces,
  recordLeaseNonce,
} from '../../../operator/src/gateway/lease-nonces.js';
import { putSecrets } from '../../../operator/src/gateway/secrets.js';
import { KubeClient } from '../../../operator/src/kube/client.js';
import { KubeApiError } from '../../../operator/src/kube/errors.js';
import { applyOrder, desiredObjects } from '../../../operator/src/workloads/desired-objects.js';
import {
  tenantRegistrySecretName,
  tenantSecretName,
} from '../../../operator/src/workloads/names.js';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  stack,
  waitFor,
} from '../../harness/stack.js';
import { example, runId, slow, testLease, testPool } from '../../harness/cluster-fixtures.js';
import { testRunLabel } from '../../harness/test-run-operator.js';
import {
  admissionPolicyName,
  asOperator,
  gatewayAdmissionPolicyName,
  releaseGateway,
  releaseOperator,
  waitForAdmissionPolicy,
  waitForGatewayAdmissionPolicy,
  type OperatorIdentity,
} from './admission.js';
import {
  chartDir,
  exampleValues,
  getLive,
  runTool,
  tool,
  toYamlStream,
  valuesFile,
  type CommandResult,
  type KubeObject,
} from './helm.js';

const leaseLabel = 'supercloud.dev/lease';

/**
 * Server-side apply as the operator, under its field manager: what its controller sends for every
 * object (a PATCH, so no `get`, which its ClusterRole does not grant, is needed first).
 */
const applyAs = (
  identity: OperatorIdentity,
  objects: readonly KubeObject[],
  ...flags: string[]
): CommandResult =>
  asOperator(
    identity,
    [
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=supercloud-operator',
      ...flags,
      '-f',
      '-',
    ],
    toYamlStream(objects),
  );

/** A Namespace as a partial object to apply: its name and labels. */
const namespaceWith = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

describe("the chart's admission policy confines the operator to lease namespaces", () => {
  const kubeConfig = adminKubeConfig();
  const run = runId();
  const release = `adm-${run}`;
  const policy = admissionPolicyName(release);
  let namespace = '';
  let operator: OperatorIdentity;
  /** A namespace of the test's own that is not a lease namespace (made by the admin). */
  let foreign = '';
  /** Named like a lease namespace, but made by the admin without the lease label. */
  const lookalikeId = `admu${run}`;
  const lookalike = `lease-${lookalikeId}`;
  /** A Deployment and a Service the admin makes in `default` for the operator to try to change. */
  const inDefault = `adm-${run}`;
  /** Namespaces the operator tries to create (left behind only if the policy let it through). */
  const plain = `adm-plain-${run}`;
  const misnamed = `adm-misnamed-${run}`;

  // What the operator applies for a lease, from the operator's own code. Owner references are
  // left out: the test makes no ComputeLease, and the garbage collector would remove children
  // of a missing owner.
  const leaseName = `lease-adm-${run}`;
  const lease = {
    ...testLease(example<ComputeLease>('computelease-h100.yaml'), run, leaseName, {
      pool: `adm-${run}`,
    }),
    metadata: { name: leaseName, uid: '00000000-0000-4000-8000-000000000000' },
  } as ComputeLease;
  const leaseObjects = applyOrder(desiredObjects(lease, testPool(`adm-${run}`))).map((object) => {
    const metadata = { ...object.metadata };
    delete metadata.ownerReferences;
    return { ...object, metadata } as KubeObject;
  });
  const leaseNamespace = leaseObjects.find((o) => o.kind === 'Namespace')!.metadata.name;
  const leaseService = leaseObjects.find((o) => o.kind === 'Service')!;
  const leaseDeployment = leaseObjects.find((o) => o.kind === 'Deployment')!;

  /** kubectl was refused by the release's policy (`by`), with `because` in the message. */
  const expectRefusedByPolicy = (result: CommandResult, because: string, by = policy) => {
    expect({ refused: result.status !== 0, stderr: result.stderr }).toEqual({
      refused: true,
      stderr: expect.stringContaining(
        `ValidatingAdmissionPolicy '${by}' with binding '${by}' denied request: ${because}`,
      ),
    });
  };
  const expectAdmitted = (result: CommandResult) =>
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });

  beforeAll(async () => {
    namespace = await createTestNamespace(kubeConfig, 'chart-admission');
    operator = releaseOperator(release, namespace);
    const { chainId, rpcUrl, contracts } = stack();
    // values-local.yaml with a Provider of the run's own and no pools: no operator runs here,
    // only its identity is used.
    const overrides = valuesFile('admission', {
      provider: {
        name: `adm-${run}`,
        labels: { [testRunLabel]: run },
        chain: {
          chainId,
          rpcUrls: [rpcUrl],
          registry: contracts.registry,
          marketplace: contracts.marketplace,
        },
      },
      wallet: { create: true, privateKey: Wallet.createRandom().privateKey, address: '' },
      nodePools: [],
    });
    tool('helm', [
      'install',
      release,
      chartDir,
      '--namespace',
      namespace,
      '--values',
      exampleValues('local'),
      '--values',
      overrides,
      '--wait=false',
    ]);
    foreign = await createTestNamespace(kubeConfig, 'adm-foreign');
    tool('kubectl', ['create', 'namespace', lookalike]);
    tool('kubectl', [
      'create',
      'deployment',
      inDefault,
      '--namespace=default',
      '--image=registry.example.com/none:1',
      '--replicas=0',
    ]);
    tool('kubectl', [
      'create',
      'service',
      'clusterip',
      inDefault,
      '--namespace=default',
      '--tcp=80',
    ]);
    // The API server loads a new policy asynchronously: wait until it refuses what it should.
    await waitForAdmissionPolicy(operator, release, `adm-probe-${run}`);
  }, slow);

  afterAll(async () => {
    runTool('helm', ['uninstall', release, '--namespace', namespace]);
    for (const kind of ['deployment', 'service']) {
      runTool('kubectl', ['delete', kind, inDefault, '--namespace=default', '--ignore-not-found']);
    }
    for (const name of [foreign, lookalike, leaseNamespace, plain, misnamed, namespace]) {
      if (name) await deleteNamespace(kubeConfig, name);
    }
  }, slow);

  it('is installed with its binding: Deny, failurePolicy Fail, for the release ServiceAccount only', () => {
    const live = getLive({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: policy },
    });
    expect(live?.spec).toMatchObject({
      failurePolicy: 'Fail',
      matchConditions: [
        {
          name: 'is-the-operator',
          expression: expect.stringContaining(`request.userInfo.username == '${operator.user}'`),
        },
      ],
    });
    const binding = getLive({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: policy },
    });
    expect(binding?.spec).toEqual({ policyName: policy, validationActions: ['Deny'] });
  });

  describe('refuses, as the operator', () => {
    it('deleting kube-system (NamespaceLifecycle refuses it first) or kube-node-lease (the policy does)', () => {
      // Server-side dry runs: admission runs in full, and nothing is deleted whatever the answer.
      const kubeSystem = asOperator(operator, [
        'delete',
        'namespace',
        'kube-system',
        '--dry-run=server',
        '--wait=false',
      ]);
      expect(kubeSystem.status).not.toBe(0);
      expect(kubeSystem.stderr).toContain('this namespace may not be deleted');
      // A system namespace Kubernetes lets one delete: only the policy stands in the way.
      expectRefusedByPolicy(
        asOperator(operator, [
          'delete',
          'namespace',
          'kube-node-lease',
          '--dry-run=server',
          '--wait=false',
        ]),
        'the supercloud operator may not DELETE namespace kube-node-lease: it is not a lease namespace',
      );
    });

    it('deleting a namespace that is not a lease namespace', () => {
      expectRefusedByPolicy(
        asOperator(operator, ['delete', 'namespace', foreign, '--wait=false']),
        `the supercloud operator may not DELETE namespace ${foreign}: it is not a lease namespace`,
      );
      const live = getLive({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: foreign } });
      expect(live && (live.metadata as { deletionTimestamp?: string }).deletionTimestamp).toBe(
        undefined,
      );
    });

    it('labelling kube-system, or a namespace it did not make, as a lease namespace', () => {
      expectRefusedByPolicy(
        applyAs(
          operator,
          [namespaceWith('kube-system', { [leaseLabel]: '1' })],
          '--dry-run=server',
        ),
        'the supercloud operator may not UPDATE namespace kube-system: it is not a lease namespace',
      );
      // Named lease-<id> and labelled <id>, the namespace as written would be a lease namespace:
      // only the check of the namespace as it was refuses it.
      expectRefusedByPolicy(
        applyAs(operator, [namespaceWith(lookalike, { [leaseLabel]: lookalikeId })]),
        `the supercloud operator may not UPDATE namespace ${lookalike}: it is not a lease namespace`,
      );
      const live = getLive({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: lookalike } });
      expect(live?.metadata.labels?.[leaseLabel]).toBeUndefined();
    });

    it('creating a namespace without the lease label, or labelled but not named after it', () => {
      expectRefusedByPolicy(
        asOperator(operator, ['create', 'namespace', plain]),
        `the supercloud operator may not CREATE namespace ${plain} without making it a lease namespace`,
      );
      const labelled = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: misnamed, labels: { [leaseLabel]: `adm${run}` } },
      };
      expectRefusedByPolicy(
        asOperator(operator, ['create', '-f', '-'], yaml.dump(labelled)),
        `the supercloud operator may not CREATE namespace ${misnamed} without making it a lease namespace`,
      );
    });

    it('changing or deleting a Deployment or a Service in default', () => {
      for (const [resource, apiVersion, kind] of [
        ['deployments', 'apps/v1', 'Deployment'],
        ['services', 'v1', 'Service'],
      ] as const) {
        const touched = {
          apiVersion,
          kind,
          metadata: { name: inDefault, namespace: 'default', labels: { touched: 'yes' } },
        };
        expectRefusedByPolicy(
          applyAs(operator, [touched]),
          `the supercloud operator may not UPDATE ${resource} ${inDefault} in namespace default: it is not a lease namespace`,
        );
        expectRefusedByPolicy(
          asOperator(operator, [
            'delete',
            resource,
            inDefault,
            '--namespace=default',
            '--wait=false',
          ]),
          `the supercloud operator may not DELETE ${resource} ${inDefault} in namespace default: it is not a lease namespace`,
        );
        const live = getLive(touched);
        expect([kind, live !== undefined, live?.metadata.labels?.touched]).toEqual([
          kind,
          true,
          undefined,
        ]);
      }
    });

    it("creating any of a lease's objects outside a lease namespace", () => {
      const outside = leaseObjects.filter((object) => object.kind !== 'Namespace');
      expect(outside.map((object) => object.kind).sort()).toEqual([
        'Deployment',
        'LimitRange',
        'NetworkPolicy',
        'NetworkPolicy',
        'ResourceQuota',
        'Service',
        'ServiceAccount',
      ]);
      for (const object of outside) {
        const elsewhere = { ...object, metadata: { ...object.metadata, namespace: foreign } };
        const resource = leaseChildKinds[object.kind as keyof typeof leaseChildKinds].plural;
        expectRefusedByPolicy(
          applyAs(operator, [elsewhere]),
          `the supercloud operator may not CREATE ${resource} ${object.metadata.name} in namespace ${foreign}: it is not a lease namespace`,
        );
      }
    });
  });

  describe('admits, as the operator', () => {
    it("applying a lease's namespace and objects as the operator makes them, then changing and pruning them", () => {
      expectAdmitted(applyAs(operator, leaseObjects));
      for (const object of leaseObjects) {
        expect([object.kind, getLive(object) !== undefined]).toEqual([object.kind, true]);
      }
      const scaledDown = {
        ...leaseDeployment,
        spec: { ...(leaseDeployment.spec as object), replicas: 0 },
      } as KubeObject;
      expectAdmitted(applyAs(operator, [scaledDown]));
      expect(getLive(leaseDeployment)?.spec?.replicas).toBe(0);
      expectAdmitted(
        asOperator(operator, [
          'delete',
          'service',
          leaseService.metadata.name,
          `--namespace=${leaseNamespace}`,
          '--wait=false',
        ]),
      );
    });

    it('but not taking the lease label off a lease namespace', () => {
      const namespaceObject = leaseObjects.find((o) => o.kind === 'Namespace')!;
      const labels = { ...namespaceObject.metadata.labels };
      delete labels[leaseLabel];
      expectRefusedByPolicy(
        applyAs(operator, [
          { ...namespaceObject, metadata: { ...namespaceObject.metadata, labels } },
        ]),
        `the supercloud operator may not UPDATE namespace ${leaseNamespace} without making it a lease namespace`,
      );
      const live = getLive(namespaceObject);
      expect(live?.metadata.labels?.[leaseLabel]).toBe(
        namespaceObject.metadata.labels?.[leaseLabel],
      );
    });

    it('deleting a lease namespace (a lease torn down)', () => {
      expectAdmitted(asOperator(operator, ['delete', 'namespace', leaseNamespace, '--wait=false']));
    });
  });

  describe("the gateway's policy confines the gateway to the tenant Secrets of lease namespaces", () => {
    const gatewayPolicy = gatewayAdmissionPolicyName(release);
    let gateway: OperatorIdentity;
    /** A lease namespace (label and name), made by the admin as the operator would. */
    const gatewayLeaseId = `admg${run}`;
    const gatewayLease = `lease-${gatewayLeaseId}`;
    /** A ClusterRole the test binds to the gateway to show that the policy refuses deletes too. */
    const deleter = `adm-gateway-deleter-${run}`;
    const refusedByGateway = (result: CommandResult, because: string) =>
      expectRefusedByPolicy(result, because, gatewayPolicy);
    const asGateway = (args: readonly string[], input?: string) => asOperator(gateway, args, input);
    const secret = (name: string, ns: string, type: string, stringData: Record<string, string>) =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: ns },
        type,
        stringData,
      }) as KubeObject;
    const liveNamespace = () =>
      getLive({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: gatewayLease } }) as
        (KubeObject & { metadata: { annotations?: Record<string, string> } }) | undefined;
    /** An exec as the gateway (a tenant's shell, over WebSocket): the API server's refusal. */
    const execAsGateway = async (ns: string, pod: string): Promise<KubeApiError | undefined> => {
      const client = new KubeClient({
        kubeConfig,
        impersonate: { user: gateway.user, groups: [...gateway.groups] },
      });
      try {
        const query = new URLSearchParams({ command: 'true', stdout: 'true' });
        const path = `/api/v1/namespaces/${ns}/pods/${pod}/exec`;
        (await client.connect(path, query, ['v5.channel.k8s.io'])).close();
        return undefined;
      } catch (error) {
        if (error instanceof KubeApiError) return error;
        throw error;
      } finally {
        client.close();
      }
    };

    beforeAll(async () => {
      gateway = releaseGateway(release, namespace);
      tool(
        'kubectl',
        ['create', '-f', '-'],
        yaml.dump(namespaceWith(gatewayLease, { [leaseLabel]: gatewayLeaseId })),
      );
      await waitForGatewayAdmissionPolicy(gateway, release);
    }, slow);

    afterAll(async () => {
      runTool('kubectl', [
        'delete',
        'clusterrolebinding,clusterrole',
        deleter,
        '--ignore-not-found',
      ]);
      await deleteNamespace(kubeConfig, gatewayLease);
    }, slow);

    it('is installed with its binding: Deny, failurePolicy Fail, every write, for the gateway ServiceAccount only', () => {
      const live = getLive({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: gatewayPolicy },
      });
      expect(live?.spec).toMatchObject({
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['*'],
              resources: ['*/*'],
              operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'],
            },
          ],
        },
        matchConditions: [
          {
            name: 'is-the-gateway',
            expression: expect.stringContaining(`request.userInfo.username == '${gateway.user}'`),
          },
        ],
      });
      const binding = getLive({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: gatewayPolicy },
      });
      expect(binding?.spec).toEqual({ policyName: gatewayPolicy, validationActions: ['Deny'] });
      // The gateway pods run as that ServiceAccount, not the operator's.
      const deployment = getLive({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `${release}-supercloud-provider-gateway`, namespace },
      }) as
        (KubeObject & { spec: { template: { spec: { serviceAccountName: string } } } }) | undefined;
      expect(
        `system:serviceaccount:${namespace}:${deployment?.spec.template.spec.serviceAccountName}`,
      ).toBe(gateway.user);
    });

    describe('admits, as the gateway', () => {
      it("an exec (a tenant's shell) into a pod of a lease namespace: on to the pod's lookup", async () => {
        // No such pod: the policy admitted the exec, the API server then found no pod.
        expect((await execAsGateway(gatewayLease, 'no-such-pod'))?.code).toBe(404);
      });

      it('creating tenant-secrets in a lease namespace, changing it, and annotating the namespace with its names', () => {
        expectAdmitted(
          asGateway([
            'create',
            'secret',
            'generic',
            tenantSecretName,
            `--namespace=${gatewayLease}`,
            '--from-literal=API_KEY=one',
          ]),
        );
        // A PATCH (server-side apply: the gateway cannot get a Secret first) is an UPDATE.
        expectAdmitted(
          asGateway(
            ['apply', '--server-side', '--field-manager=supercloud-gateway', '-f', '-'],
            toYamlStream([secret(tenantSecretName, gatewayLease, 'Opaque', { TOKEN: 'two' })]),
          ),
        );
        expectAdmitted(
          asGateway([
            'annotate',
            'namespace',
            gatewayLease,
            `${annotations.tenantSecrets}=API_KEY,TOKEN`,
          ]),
        );
        expect(liveNamespace()?.metadata.annotations?.[annotations.tenantSecrets]).toBe(
          'API_KEY,TOKEN',
        );
      });

      it("the gateway's own delivery (putSecrets): tenant-secrets patched, tenant-registry created, the annotations set", async () => {
        const client = new KubeClient({
          kubeConfig,
          impersonate: { user: gateway.user, groups: [...gateway.groups] },
          userAgent: 'supercloud-gateway',
        });
        try {
          const lease = { spec: { leaseId: gatewayLeaseId } } as unknown as ComputeLease;
          const answer = await putSecrets(client, lease, {
            values: { DB_PASSWORD: 'three' },
            registry: { server: 'registry.example.com', username: 'tenant', password: 'four' },
          });
          expect(answer).toEqual({ names: ['API_KEY', 'DB_PASSWORD', 'TOKEN'], registry: true });
        } finally {
          client.close();
        }
        const registry = getLive(
          secret(tenantRegistrySecretName, gatewayLease, 'kubernetes.io/dockerconfigjson', {}),
        );
        expect(registry?.type).toBe('kubernetes.io/dockerconfigjson');
        expect(liveNamespace()?.metadata.annotations).toMatchObject({
          [annotations.tenantSecrets]: 'API_KEY,DB_PASSWORD,TOKEN',
          [annotations.tenantRegistry]: 'true',
        });
      });

      it("the gateway's record of a signed request's nonce (recordLeaseNonce): the gateway-nonces annotation, written with the namespace's resourceVersion as precondition", async () => {
        const client = new KubeClient({
          kubeConfig,
          impersonate: { user: gateway.user, groups: [...gateway.groups] },
          userAgent: 'supercloud-gateway',
        });
        const now = Math.floor(Date.now() / 1000);
        const caller = {
          tenant: Wallet.createRandom().address,
          nonce: `0x${'ab'.repeat(32)}`,
          expiry: now + 120,
          lease: { spec: { leaseId: gatewayLeaseId } },
        } as unknown as Caller;
        try {
          await recordLeaseNonce({ client, caller, now });
          await expect(recordLeaseNonce({ client, caller, now })).rejects.toMatchObject({
            code: 'Replayed',
          });
        } finally {
          client.close();
        }
        const annotated = liveNamespace()?.metadata.annotations ?? {};
        expect(parseUsedNonces(annotated[annotations.gatewayNonces])).toEqual([
          { digest: nonceDigest(caller.tenant, caller.nonce), expiry: caller.expiry },
        ]);
        // The delivery annotations are left as they were.
        expect(annotated[annotations.tenantSecrets]).toBe('API_KEY,DB_PASSWORD,TOKEN');
      });
    });

    describe('refuses, as the gateway', () => {
      it.each(['default', 'kube-system'])('an exec into a pod in %s', async (ns) => {
        const refusal = await execAsGateway(ns, 'no-such-pod');
        expect({ code: refusal?.code, message: refusal?.status?.message }).toEqual({
          code: 403,
          message: expect.stringContaining(
            `ValidatingAdmissionPolicy '${gatewayPolicy}' with binding '${gatewayPolicy}' denied request: the supercloud gateway may not CONNECT pods/exec no-such-pod in namespace ${ns}: it is not a lease namespace`,
          ),
        });
      });

      it('a Secret of another name in a lease namespace, or a tenant Secret of another type', () => {
        refusedByGateway(
          asGateway([
            'create',
            'secret',
            'generic',
            'other',
            `--namespace=${gatewayLease}`,
            '--from-literal=a=b',
          ]),
          `the supercloud gateway may not CREATE secrets other in namespace ${gatewayLease}: it may write only the Secrets tenant-secrets (Opaque) and tenant-registry (kubernetes.io/dockerconfigjson)`,
        );
        expect(getLive(secret('other', gatewayLease, 'Opaque', {}))).toBeUndefined();
        // Each tenant Secret has its type: tenant-registry only ever holds pull credentials.
        // (A dry run: the policy answers before the API server finds the Secret already there.)
        refusedByGateway(
          asGateway([
            'create',
            'secret',
            'generic',
            tenantRegistrySecretName,
            `--namespace=${gatewayLease}`,
            '--from-literal=a=b',
            '--dry-run=server',
          ]),
          `the supercloud gateway may not CREATE secrets ${tenantRegistrySecretName} in namespace ${gatewayLease}: it may write only the Secrets tenant-secrets (Opaque) and tenant-registry (kubernetes.io/dockerconfigjson)`,
        );
      });

      it.each(['default', 'kube-system'])('any Secret in %s', (ns) => {
        for (const name of [tenantSecretName, 'other']) {
          refusedByGateway(
            asGateway([
              'create',
              'secret',
              'generic',
              name,
              `--namespace=${ns}`,
              '--from-literal=a=b',
              '--dry-run=server',
            ]),
            `the supercloud gateway may not CREATE secrets ${name} in namespace ${ns}: it is not a lease namespace`,
          );
        }
      });

      it("a lease namespace's labels, or annotations other than its own", () => {
        refusedByGateway(
          asGateway(['label', 'namespace', gatewayLease, 'touched=yes']),
          `the supercloud gateway may not UPDATE namespace ${gatewayLease}: it may change only its annotations, never its labels, spec, finalizers or owners`,
        );
        // A node selector of PodNodeSelector would move the tenant's pods: not the gateway's to set.
        refusedByGateway(
          asGateway([
            'annotate',
            'namespace',
            gatewayLease,
            'scheduler.alpha.kubernetes.io/node-selector=pool=h100',
          ]),
          `the supercloud gateway may not UPDATE namespace ${gatewayLease}: it may change only its annotations ${[annotations.tenantSecrets, annotations.tenantRegistry, annotations.gatewayNonces].join(', ')}`,
        );
        const live = liveNamespace();
        expect(live?.metadata.labels?.touched).toBeUndefined();
        expect(live?.metadata.annotations?.['scheduler.alpha.kubernetes.io/node-selector']).toBe(
          undefined,
        );
      });

      it('annotating or labelling kube-system', () => {
        for (const args of [
          ['annotate', 'namespace', 'kube-system', `${annotations.tenantSecrets}=a`],
          ['label', 'namespace', 'kube-system', `${leaseLabel}=1`],
        ]) {
          refusedByGateway(
            asGateway([...args, '--dry-run=server']),
            'the supercloud gateway may not UPDATE namespace kube-system: it is not a lease namespace',
          );
        }
      });

      it('deleting a Secret or a lease namespace: RBAC does not grant it, and the policy refuses it when RBAC would', async () => {
        const deleteSecret = (...flags: string[]) =>
          asGateway([
            'delete',
            'secret',
            tenantSecretName,
            `--namespace=${gatewayLease}`,
            '--wait=false',
            ...flags,
          ]);
        const byRbac = deleteSecret('--dry-run=server');
        expect({ status: byRbac.status, stderr: byRbac.stderr }).toEqual({
          status: 1,
          stderr: expect.stringContaining('cannot delete resource "secrets"'),
        });
        // Grant deletes, as a mistaken RBAC change would: only the policy stands in the way.
        tool('kubectl', [
          'create',
          'clusterrole',
          deleter,
          '--verb=delete',
          '--resource=secrets,namespaces',
        ]);
        tool('kubectl', [
          'create',
          'clusterrolebinding',
          deleter,
          `--clusterrole=${deleter}`,
          `--serviceaccount=${namespace}:${release}-supercloud-provider-gateway`,
        ]);
        try {
          let last = byRbac;
          await waitFor(
            'the API server to authorize the test grant',
            async () => {
              last = deleteSecret('--dry-run=server');
              return !last.stderr.includes('cannot delete resource');
            },
            30_000,
          );
          const because = `the supercloud gateway may not DELETE secrets ${tenantSecretName} in namespace ${gatewayLease}: it deletes nothing`;
          refusedByGateway(last, because);
          refusedByGateway(deleteSecret(), because);
          refusedByGateway(
            asGateway(['delete', 'namespace', gatewayLease, '--wait=false']),
            `the supercloud gateway may not DELETE namespaces ${gatewayLease}: it deletes nothing`,
          );
        } finally {
          tool('kubectl', ['delete', 'clusterrolebinding,clusterrole', deleter]);
        }
        expect(getLive(secret(tenantSecretName, gatewayLease, 'Opaque', {}))).toBeDefined();
        const live = liveNamespace() as
          (KubeObject & { metadata: { deletionTimestamp?: string } }) | undefined;
        expect([live !== undefined, live?.metadata.deletionTimestamp]).toEqual([true, undefined]);
      });
    });

    it('leaves every other user alone (the admin writes what the gateway may not)', () => {
      expectAdmitted(
        runTool('kubectl', [
          'create',
          'secret',
          'generic',
          'other',
          `--namespace=${gatewayLease}`,
          '--from-literal=a=b',
          '--dry-run=server',
        ]),
      );
      expectAdmitted(
        runTool('kubectl', ['label', 'namespace', gatewayLease, 'touched=yes', '--dry-run=server']),
      );
    });
  });

  it('leaves every other user alone (the admin does what the operator may not)', () => {
    expectAdmitted(runTool('kubectl', ['create', 'namespace', plain, '--dry-run=server']));
    expectAdmitted(
      runTool(
        'kubectl',
        ['apply', '--server-side', '--dry-run=server', '-f', '-'],
        toYamlStream([namespaceWith(lookalike, { [leaseLabel]: lookalikeId })]),
      ),
    );
    expectAdmitted(
      runTool('kubectl', [
        'delete',
        'deployment',
        inDefault,
        '--namespace=default',
        '--dry-run=server',
        '--wait=false',
      ]),
    );
  });
});
