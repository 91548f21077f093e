// The chart renders what it should: `helm lint --strict`, golden `helm template` outputs, bad
// values refused with the field at fault, the README's values table matching values.yaml, and
// every rendered object accepted by the real API server (server-side dry run, Pod Security
// "restricted" enforced on the namespace).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { annotations } from '../../../operator/src/api/constants.js';
import { GpuNodePoolSpec } from '../../../operator/src/api/gpunodepool.js';
import { leaseChildKinds } from '../../../operator/src/controllers/computelease/children.js';
import { ProviderSpec } from '../../../operator/src/api/provider.js';
import { gatewayRules } from '../../../operator/src/api/rbac.js';
import {
  tenantRegistrySecretName,
  tenantSecretName,
} from '../../../operator/src/workloads/names.js';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from '../../harness/stack.js';
import { runId } from '../../harness/cluster-fixtures.js';
import {
  chartDir,
  exampleValues,
  objectKey,
  parseObjects,
  render,
  runTool,
  templateArgs,
  tool,
  clusterScopedOfRun,
  dryRunCreate,
  ensureServiceMonitorCrd,
  type KubeObject,
} from './helm.js';

const here = join(chartDir, '../../test/integration/chart');
const goldenDir = join(here, 'golden');
const badValuesDir = join(here, 'bad-values');
/** `UPDATE_GOLDEN=1 make test-integration` rewrites the golden files from the chart. */
const updateGolden = process.env.UPDATE_GOLDEN === '1';
const goldenValues = ['minimal', 'typical', 'full'] as const;

describe('helm lint --strict', () => {
  it.each(['local', ...goldenValues])('passes with examples/values-%s.yaml', (name) => {
    const result = runTool('helm', ['lint', '--strict', chartDir, '--values', exampleValues(name)]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({
      status: 0,
    });
  });

  it('refuses the chart defaults, naming the values a provider must set', () => {
    for (const args of [[], ['--strict']]) {
      const result = runTool('helm', ['lint', ...args, chartDir]);
      expect(result.status).not.toBe(0);
      const output = result.stdout + result.stderr;
      // The chain and the gateway URL have no default; the key is in one of three places.
      expect(output).toContain("at '/provider': missing property 'gatewayUrl'");
      expect(output).toContain(
        "at '/provider/chain': missing properties 'rpcUrls', 'registry', 'marketplace'",
      );
      for (const keyPlace of ['/wallet/existingSecret', '/wallet/create', '/signer/url']) {
        expect(output).toContain(`at '${keyPlace}'`);
      }
    }
  });
});

describe('golden helm template outputs', () => {
  it.each(goldenValues)('values-%s.yaml matches its golden file', (name) => {
    const rendered = render({ valuesFiles: [exampleValues(name)] });
    const golden = join(goldenDir, `${name}.yaml`);
    if (updateGolden || !existsSync(golden)) {
      if (!updateGolden)
        throw new Error(`${golden} is missing: run with UPDATE_GOLDEN=1 to write it`);
      mkdirSync(goldenDir, { recursive: true });
      writeFileSync(golden, rendered);
    }
    expect(rendered).toBe(readFileSync(golden, 'utf8'));
  });
});

describe('values.schema.json and the templates refuse bad values', () => {
  const files = readdirSync(badValuesDir).filter((file) => file.endsWith('.yaml'));

  it('has bad values files', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('%s is refused with the message on its first line', (file) => {
    const path = join(badValuesDir, file);
    const expected = /^# expect: (.+)$/m.exec(readFileSync(path, 'utf8'))?.[1];
    if (!expected) throw new Error(`${file}: the first line must be "# expect: <message>"`);
    // On top of a valid values file, so that the bad value is the only thing wrong.
    const result = runTool('helm', templateArgs({ valuesFiles: [exampleValues('minimal'), path] }));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(expected);
  });
});

/** A JSON schema node: the parts the comparison reads. */
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  $ref?: string;
}

/**
 * Dotted paths of every property of a schema, nested objects included; `$ref`s resolved in
 * `definitions`. Maps (no `properties`) are leaves.
 */
function propertyPaths(
  node: SchemaNode,
  definitions: Record<string, SchemaNode>,
  prefix = '',
): string[] {
  const resolved = node.$ref ? definitions[node.$ref.replace('#/definitions/', '')]! : node;
  if (!resolved.properties) return prefix ? [prefix] : [];
  return Object.entries(resolved.properties).flatMap(([key, child]) => [
    ...(prefix ? [prefix] : []),
    ...propertyPaths(child, definitions, prefix ? `${prefix}.${key}` : key),
  ]);
}

describe('values.schema.json follows the custom resources', () => {
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as {
    definitions: Record<string, SchemaNode>;
    properties: { provider: SchemaNode };
  };
  const unique = (paths: string[]) => [...new Set(paths)].sort();
  const crd = (node: unknown) => unique(propertyPaths(node as SchemaNode, {}));
  const values = (node: SchemaNode) => unique(propertyPaths(node, schema.definitions));

  it('a nodePools entry has the fields of a GpuNodePool spec, plus its name', () => {
    expect(values(schema.definitions.nodePool!)).toEqual(unique(['name', ...crd(GpuNodePoolSpec)]));
  });

  it('provider has the fields of a Provider spec, plus its name and labels, less the key (wallet.*, signer.*)', () => {
    const providerFields = crd(ProviderSpec).filter(
      (path) => !path.startsWith('walletSecretRef') && !path.startsWith('remoteSigner'),
    );
    expect(values(schema.properties.provider)).toEqual(
      unique(['name', 'labels', ...providerFields]),
    );
  });
});

/** Leaf keys of values.yaml as dotted paths; maps and lists that are empty by default count as leaves. */
function valuePaths(values: unknown, prefix = ''): string[] {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return [prefix];
  const entries = Object.entries(values as Record<string, unknown>);
  if (entries.length === 0) return [prefix];
  // A map of free-form keys (labels, requests) is one value, documented as a whole.
  if (['resources', 'dnsPodLabels'].includes(prefix.split('.').pop() ?? '')) return [prefix];
  return entries.flatMap(([key, value]) => valuePaths(value, prefix ? `${prefix}.${key}` : key));
}

describe('the chart README', () => {
  it('documents every key of values.yaml with its default, and no other', () => {
    const values = yaml.load(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const documented = new Map(
      [...readme.matchAll(/^\| `([A-Za-z0-9.]+)` \| `(.*?)` \|/gm)].map((match) => [
        match[1]!,
        match[2]!,
      ]),
    );
    const paths = valuePaths(values);
    expect([...documented.keys()].sort()).toEqual([...paths].sort());
    for (const path of paths) {
      const value = path
        .split('.')
        .reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], values);
      expect({ path, default: documented.get(path) }).toEqual({
        path,
        default: JSON.stringify(value),
      });
    }
  });
});

describe('every rendered object is accepted by the API server', () => {
  const kubeConfig = adminKubeConfig();
  let namespace: string;
  const run = runId();

  beforeAll(async () => {
    namespace = await createTestNamespace(kubeConfig, 'chart-dry-run', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    ensureServiceMonitorCrd();
  });

  afterAll(async () => {
    await deleteNamespace(kubeConfig, namespace);
  });

  it.each(['local', ...goldenValues])('values-%s.yaml', (name) => {
    const objects = parseObjects(render({ namespace, valuesFiles: [exampleValues(name)] })).map(
      (object) => clusterScopedOfRun(object, run),
    );
    const result = dryRunCreate(objects);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // One line per object created: nothing was skipped.
    expect(result.stdout.trim().split('\n')).toHaveLength(objects.length);
    expect(new Set(objects.map(objectKey)).size).toBe(objects.length);
  });
});

describe("the chart's RBAC", () => {
  // The rules the integration tests run the operator with: the chart must grant the same.
  const tested = parseObjects(
    readFileSync(join(here, '../controllers/rbac.yaml'), 'utf8'),
  ) as (KubeObject & { rules?: Record<string, unknown>[] })[];
  const rendered = parseObjects(
    render({ valuesFiles: [exampleValues('minimal')] }),
  ) as (KubeObject & {
    rules?: Record<string, unknown>[];
  })[];
  const rulesOf = (objects: typeof tested, kind: string, nameEnd: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name.endsWith(nameEnd))?.rules;

  it.each([
    ['ClusterRole', 'supercloud-operator', 'supercloud-provider'],
    ['Role', '-leader-election', '-leader-election'],
  ])(
    '%s %s has the rules of test/integration/controllers/rbac.yaml',
    (kind, testedName, chartName) => {
      expect(rulesOf(rendered, kind, chartName)).toEqual(rulesOf(tested, kind, testedName));
    },
  );

  it('the wallet Role grants what rbac.yaml grants, on the wallet Secret only', () => {
    const walletRules = rulesOf(rendered, 'Role', '-wallet');
    expect(walletRules).toEqual(
      rulesOf(tested, 'Role', '-wallet')?.map((rule) => ({
        ...rule,
        resourceNames: ['supercloud-provider-wallet'],
      })),
    );
  });
});

/** A rule of a ClusterRole or of a ValidatingAdmissionPolicy's matchConstraints. */
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs?: string[];
  operations?: string[];
}

describe("the operator's admission policy", () => {
  const renderWith = (...set: string[]) =>
    parseObjects(
      tool('helm', [
        ...templateArgs({ valuesFiles: [exampleValues('minimal')] }),
        ...set.flatMap((value) => ['--set', value]),
      ]),
    );
  const rendered = renderWith();
  /** The operator's policy (the gateway has its own, `-gateway-writes`). */
  const operatorPolicy = (objects: KubeObject[]) =>
    objects.find(
      (o) =>
        o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name.endsWith('-lease-namespaces'),
    );
  const policy = operatorPolicy(rendered) as
    | (KubeObject & {
        spec: {
          matchConstraints: { resourceRules: Rule[] };
          matchConditions: { name: string; expression: string }[];
        };
      })
    | undefined;
  const confined = new Set(
    (policy?.spec.matchConstraints.resourceRules ?? []).flatMap((rule) =>
      rule.apiGroups.flatMap((group) => rule.resources.map((resource) => `${resource}.${group}`)),
    ),
  );
  /**
   * What the operator writes outside lease namespaces, on purpose: its cluster-scoped custom
   * resources, and Events (in the namespace of the object they are about; `default` for the
   * cluster-scoped leases and pools). Its leader-election Lease is granted by a Role.
   */
  const unconfined = (resource: string) =>
    resource.endsWith('.supercloud.dev') || resource === 'events.events.k8s.io';

  it('is rendered by default, with its binding (Deny), and fails closed', () => {
    expect(policy?.spec).toMatchObject({ failurePolicy: 'Fail' });
    const binding = rendered.find(
      (o) =>
        o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === policy?.metadata.name,
    );
    expect(binding?.spec).toEqual({
      policyName: policy?.metadata.name,
      validationActions: ['Deny'],
    });
  });

  it('confines every resource the ClusterRole lets the operator write, but its own', () => {
    const clusterRole = rendered.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'supercloud-provider',
    ) as (KubeObject & { rules: Rule[] }) | undefined;
    const written = clusterRole!.rules
      .filter((rule) =>
        rule.verbs!.some((verb) => ['create', 'update', 'patch', 'delete'].includes(verb)),
      )
      .flatMap((rule) =>
        rule.apiGroups.flatMap((group) =>
          // A subresource (computeleases/status) is written through its resource.
          rule.resources.map((resource) => `${resource.split('/')[0]}.${group}`),
        ),
      );
    expect(written.length).toBeGreaterThan(0);
    expect([...new Set(written)].filter((r) => !unconfined(r) && !confined.has(r))).toEqual([]);
  });

  it('confines every kind a lease becomes (the ComputeLease controller writes them)', () => {
    const kinds = Object.values(leaseChildKinds).map(
      (kind) =>
        `${kind.plural}.${kind.apiVersion.includes('/') ? kind.apiVersion.split('/')[0] : ''}`,
    );
    expect(kinds.filter((kind) => !confined.has(kind))).toEqual([]);
  });

  it.each([
    [[], 'system:serviceaccount:supercloud-system:supercloud-provider'],
    [['serviceAccount.name=operator'], 'system:serviceaccount:supercloud-system:operator'],
    [
      ['serviceAccount.create=false', 'serviceAccount.name=existing'],
      'system:serviceaccount:supercloud-system:existing',
    ],
  ])('with %j applies to the ServiceAccount the operator runs as only', (set, user) => {
    const objects = renderWith(...set);
    const deployment = objects.find(
      (o) =>
        o.kind === 'Deployment' &&
        o.metadata.labels?.['app.kubernetes.io/component'] === 'operator',
    ) as
      (KubeObject & { spec: { template: { spec: { serviceAccountName: string } } } }) | undefined;
    expect(
      `system:serviceaccount:supercloud-system:${deployment?.spec.template.spec.serviceAccountName}`,
    ).toBe(user);
    const rendered = operatorPolicy(objects) as typeof policy;
    expect(rendered?.spec.matchConditions).toEqual([
      {
        name: 'is-the-operator',
        expression: expect.stringContaining(`request.userInfo.username == '${user}'`),
      },
    ]);
  });

  it('is left out with admissionPolicy.enabled=false', () => {
    const kinds = renderWith('admissionPolicy.enabled=false').map((o) => o.kind);
    expect(kinds).toContain('ClusterRole');
    expect(kinds.filter((kind) => kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
  });
});

/** A container of a rendered Deployment: the fields the gateway tests read. */
interface Container {
  name: string;
  image: string;
  args: string[];
  ports?: { name: string; containerPort: number }[];
  securityContext: unknown;
  livenessProbe: { httpGet: { path: string; port: string; scheme?: string } };
  readinessProbe: { httpGet: { path: string; port: string; scheme?: string } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface Deployment extends KubeObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        automountServiceAccountToken: boolean;
        securityContext: unknown;
        containers: Container[];
        volumes: { name: string; secret?: { secretName: string } }[];
      };
    };
  };
}

describe('the gateway', () => {
  const renderWith = (...set: string[]) =>
    parseObjects(
      tool('helm', [
        ...templateArgs({ valuesFiles: [exampleValues('minimal')] }),
        ...set.flatMap((value) => ['--set', value]),
      ]),
    );
  const component = (object: KubeObject) => object.metadata.labels?.['app.kubernetes.io/component'];
  const deploymentOf = (objects: KubeObject[], of: string) =>
    objects.find((o) => o.kind === 'Deployment' && component(o) === of) as Deployment | undefined;
  /** Every object of the gateway: its component label, or its name. */
  const gatewayObjects = (objects: KubeObject[]) =>
    objects.filter(
      (o) => component(o) === 'gateway' || /-gateway(-writes)?$/.test(o.metadata.name),
    );
  const everything = [
    'gateway.service.enabled=true',
    'gateway.ingress.enabled=true',
    'networkPolicy.enabled=true',
  ];
  const rendered = renderWith(...everything);
  const gateway = deploymentOf(rendered, 'gateway');
  const operator = deploymentOf(rendered, 'operator');
  const gatewayUser = 'system:serviceaccount:supercloud-system:supercloud-provider-gateway';

  it('runs `supercloud-operator gateway` from the operator image, as its own ServiceAccount, restricted like the operator', () => {
    expect(gateway?.metadata.name).toBe('supercloud-provider-gateway');
    const pod = gateway!.spec.template.spec;
    const container = pod.containers[0]!;
    expect(gateway!.spec.replicas).toBe(1);
    expect(container.args).toEqual(['gateway', '--listen', '0.0.0.0:8443', '--log-level', 'info']);
    expect(container.image).toBe(operator!.spec.template.spec.containers[0]!.image);
    expect(container.ports).toEqual([{ name: 'gateway', containerPort: 8443, protocol: 'TCP' }]);
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      expect(probe.httpGet).toEqual({ path: '/healthz', port: 'gateway', scheme: 'HTTP' });
    }
    expect(pod.serviceAccountName).toBe('supercloud-provider-gateway');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.securityContext).toEqual(operator!.spec.template.spec.securityContext);
    expect(container.securityContext).toEqual(
      operator!.spec.template.spec.containers[0]!.securityContext,
    );
    const serviceAccount = rendered.find(
      (o) => o.kind === 'ServiceAccount' && o.metadata.name === pod.serviceAccountName,
    );
    expect(serviceAccount).toBeDefined();
    const binding = rendered.find(
      (o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'supercloud-provider-gateway',
    ) as (KubeObject & { subjects: unknown[]; roleRef: { name: string } }) | undefined;
    expect(binding?.subjects).toEqual([
      { kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'supercloud-system' },
    ]);
    const clusterRole = rendered.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === binding?.roleRef.name,
    ) as (KubeObject & { rules: unknown[] }) | undefined;
    expect(clusterRole?.rules).toEqual(gatewayRules.map(({ comment: _, ...rule }) => rule));
  });

  it('the gateway Service selects the gateway pods, not the operator pods, which serve no gateway port', () => {
    const service = rendered.find(
      (o) => o.kind === 'Service' && o.metadata.name === 'supercloud-provider-gateway',
    ) as
      (KubeObject & { spec: { selector: Record<string, string>; ports: unknown[] } }) | undefined;
    const selects = (labels: Record<string, string>) =>
      Object.entries(service!.spec.selector).every(([key, value]) => labels[key] === value);
    expect(service?.spec.selector).toEqual(gateway!.spec.selector.matchLabels);
    expect(selects(gateway!.spec.template.metadata.labels)).toBe(true);
    expect(selects(operator!.spec.template.metadata.labels)).toBe(false);
    expect(service?.spec.ports).toEqual([
      { name: 'gateway', port: 443, targetPort: 'gateway', protocol: 'TCP' },
    ]);
    expect(operator!.spec.template.spec.containers[0]!.ports?.map((port) => port.name)).toEqual([
      'health',
    ]);
    const ingress = rendered.find((o) => o.kind === 'Ingress') as
      (KubeObject & { spec: { rules: { http: { paths: { backend: unknown }[] } }[] } }) | undefined;
    expect(ingress?.spec.rules[0]?.http.paths[0]?.backend).toEqual({
      service: { name: service!.metadata.name, port: { name: 'gateway' } },
    });
  });

  it('serves HTTPS with gateway.tls.secretName: the Secret mounted, passed as --tls-cert and --tls-key', () => {
    const tls = deploymentOf(renderWith('gateway.tls.secretName=gateway-tls'), 'gateway')!;
    const pod = tls.spec.template.spec;
    const container = pod.containers[0]!;
    expect(pod.volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'gateway-tls', defaultMode: 0o440 },
    });
    const mount = container.volumeMounts?.find((m) => m.name === 'tls');
    expect(mount).toMatchObject({ readOnly: true });
    expect(container.args.slice(-4)).toEqual([
      '--tls-cert',
      `${mount!.mountPath}/tls.crt`,
      '--tls-key',
      `${mount!.mountPath}/tls.key`,
    ]);
    expect(container.livenessProbe.httpGet.scheme).toBe('HTTPS');
    expect(container.readinessProbe.httpGet.scheme).toBe('HTTPS');
  });

  it('has a NetworkPolicy: the gateway port from anywhere, out to networkPolicy.gatewayEgress only', () => {
    const policies = rendered.filter((o) => o.kind === 'NetworkPolicy') as (KubeObject & {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: { from?: unknown; ports: { port: string }[] }[];
        egress: unknown[];
      };
    })[];
    const forGateway = policies.find(
      (p) => p.spec.podSelector.matchLabels['app.kubernetes.io/component'] === 'gateway',
    );
    expect(forGateway?.spec.ingress).toEqual([{ ports: [{ port: 'gateway', protocol: 'TCP' }] }]);
    expect(forGateway?.spec.egress).toEqual([
      {
        ports: [
          { port: 443, protocol: 'TCP' },
          { port: 6443, protocol: 'TCP' },
        ],
      },
    ]);
    const forOperator = policies.find((p) => p !== forGateway);
    expect(
      forOperator?.spec.ingress.flatMap((rule) => rule.ports.map((port) => port.port)),
    ).toEqual(['health']);
  });

  it("has its admission policy, for the gateway's ServiceAccount, naming the tenant Secrets and annotations the gateway writes", () => {
    const policy = rendered.find(
      (o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name.endsWith('-gateway-writes'),
    ) as
      | (KubeObject & {
          spec: {
            failurePolicy: string;
            matchConstraints: { resourceRules: Rule[] };
            matchConditions: { name: string; expression: string }[];
            variables: { name: string; expression: string }[];
          };
        })
      | undefined;
    expect(policy?.spec.failurePolicy).toBe('Fail');
    expect(policy?.spec.matchConstraints.resourceRules).toEqual([
      {
        apiGroups: ['*'],
        apiVersions: ['*'],
        operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'],
        resources: ['*/*'],
      },
    ]);
    expect(policy?.spec.matchConditions).toEqual([
      {
        name: 'is-the-gateway',
        expression: expect.stringContaining(`request.userInfo.username == '${gatewayUser}'`),
      },
    ]);
    const variable = (name: string) =>
      policy?.spec.variables.find((v) => v.name === name)?.expression;
    expect(variable('tenantSecretTypes')).toBe(
      `{'${tenantSecretName}': 'Opaque', '${tenantRegistrySecretName}': 'kubernetes.io/dockerconfigjson'}`,
    );
    expect(variable('gatewayAnnotations')).toBe(
      `['${annotations.tenantSecrets}', '${annotations.tenantRegistry}', '${annotations.gatewayNonces}']`,
    );
    const binding = rendered.find(
      (o) =>
        o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === policy?.metadata.name,
    );
    expect(binding?.spec).toEqual({
      policyName: policy?.metadata.name,
      validationActions: ['Deny'],
    });
  });

  it('gateway.enabled=false renders no gateway object (Deployment, ServiceAccount, RBAC, policy, Service, Ingress, NetworkPolicy)', () => {
    expect(
      gatewayObjects(rendered)
        .map((o) => o.kind)
        .sort(),
    ).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'Ingress',
      'NetworkPolicy',
      'Service',
      'ServiceAccount',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    const without = renderWith(...everything, 'gateway.enabled=false');
    expect(gatewayObjects(without).map(objectKey)).toEqual([]);
    // The operator and its own objects are all still there.
    expect(without.map(objectKey).sort()).toEqual(
      rendered
        .filter((o) => !gatewayObjects(rendered).includes(o))
        .map(objectKey)
        .sort(),
    );
  });
});
