// The write helpers against the real API server: server-side apply for core, apps, networking
// and custom resources; status through the status subresource with metav1.Condition semantics;
// finalizers; aggregated Events; impersonation.
import {
  ConfigMapKind,
  DeploymentKind,
  EventKind,
  EventRecorder,
  KubeApiError,
  KubeClient,
  NetworkPolicyKind,
  addFinalizer,
  apply,
  applyStatus,
  findCondition,
  hasFinalizer,
  removeFinalizer,
  resourceKind,
  setCondition,
  type Condition,
  type KubeObject,
} from '../../../operator/src/kube/index.js';
import { clientEventSink } from '../../../operator/src/kube/events.js';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  waitFor,
} from '../../harness/stack.js';
import { adminClient, testTimeoutMs } from './helpers.js';

const group = 'runtime-test.supercloud.dev';
const CrdKind = resourceKind<
  KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false);
interface Widget extends KubeObject {
  spec?: { size?: number; color?: string };
  status?: { phase?: string; conditions?: Condition[] };
}
const WidgetKind = resourceKind<Widget>(`${group}/v1`, 'Widget', 'widgets', false);

const widgetCrd = {
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: 'Cluster',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: { size: { type: 'integer' }, color: { type: 'string' } },
              },
              status: {
                type: 'object',
                properties: {
                  phase: { type: 'string' },
                  conditions: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['type'],
                    items: {
                      type: 'object',
                      required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
                      properties: {
                        type: { type: 'string' },
                        status: { type: 'string' },
                        observedGeneration: { type: 'integer' },
                        lastTransitionTime: { type: 'string', format: 'date-time' },
                        reason: { type: 'string' },
                        message: { type: 'string' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

function managers(object: KubeObject): string[] {
  return (object.metadata?.managedFields ?? []).map(
    (entry) => `${entry.manager}/${entry.operation}`,
  );
}

describe('apply, status, finalizer and Event helpers', () => {
  let namespace: string;
  const client = adminClient();
  const widgetName = `w-${Date.now().toString(36)}`;

  beforeAll(async () => {
    namespace = await createTestNamespace(adminKubeConfig(), 'runtime-apply');
    await apply(client, CrdKind, widgetCrd as KubeObject);
    await waitFor(
      'the Widget CRD to be established',
      async () =>
        (await client.get(CrdKind, widgetCrd.metadata.name))?.status?.conditions?.some(
          (c) => c.type === 'Established' && c.status === 'True',
        ) ?? false,
      30_000,
    );
  }, testTimeoutMs);

  afterAll(async () => {
    const widget = await client.get(WidgetKind, widgetName);
    if (widget)
      await removeFinalizer(client, WidgetKind, widget, 'runtime-test.supercloud.dev/cleanup');
    await client.delete(CrdKind, widgetCrd.metadata.name);
    const events = await client.list(EventKind, {
      namespace: 'default',
      fieldSelector: `regarding.name=${widgetName}`,
    });
    for (const event of events.items)
      await client.delete(EventKind, event.metadata!.name!, { namespace: 'default' });
    client.close();
    if (namespace) await deleteNamespace(adminKubeConfig(), namespace);
  }, testTimeoutMs);

  it(
    'applies core, apps and networking objects as supercloud-operator, and prunes what it stops declaring',
    async () => {
      const first = await apply(client, ConfigMapKind, {
        metadata: { name: 'applied', namespace },
        data: { keep: '1', drop: '2' },
      });
      expect(managers(first)).toContain('supercloud-operator/Apply');
      const second = await apply(client, ConfigMapKind, {
        metadata: { name: 'applied', namespace },
        data: { keep: '1' },
      });
      expect(second.data).toEqual({ keep: '1' });

      const labels = { app: 'applied' };
      const deployment = await apply(client, DeploymentKind, {
        metadata: { name: 'applied', namespace },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
          },
        },
      });
      expect(managers(deployment)).toContain('supercloud-operator/Apply');
      const policy = await apply(client, NetworkPolicyKind, {
        metadata: { name: 'deny-ingress', namespace },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      });
      expect(policy.spec?.policyTypes).toEqual(['Ingress']);
    },
    testTimeoutMs,
  );

  it(
    'does not take a field another manager owns unless forced',
    async () => {
      await client.patch(
        ConfigMapKind,
        'contested',
        'apply',
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'contested', namespace },
          data: { owner: 'tenant' },
        },
        { namespace, fieldManager: 'kubectl' },
      );
      const desired = { metadata: { name: 'contested', namespace }, data: { owner: 'operator' } };
      await expect(apply(client, ConfigMapKind, desired)).rejects.toMatchObject({ code: 409 });
      const forced = await apply(client, ConfigMapKind, desired, { force: true });
      expect(forced.data?.owner).toBe('operator');
    },
    testTimeoutMs,
  );

  it(
    'applies custom resources and writes status only through the status subresource',
    async () => {
      const widget = await apply(client, WidgetKind, {
        metadata: { name: widgetName },
        spec: { size: 3 },
      });
      expect(widget.metadata?.generation).toBe(1);

      // Status in the main resource is ignored by the API server (status subresource enabled).
      await apply(client, WidgetKind, {
        metadata: { name: widgetName },
        spec: { size: 3 },
        status: { phase: 'Sneaky' },
      } as Widget);
      expect((await client.get(WidgetKind, widgetName))?.status?.phase).toBeUndefined();

      const t0 = new Date('2025-01-01T00:00:00Z');
      const conditions = setCondition(
        undefined,
        { type: 'Ready', status: 'False', reason: 'Starting', observedGeneration: 1 },
        t0,
      );
      const withStatus = await applyStatus(client, WidgetKind, widget, {
        phase: 'Pending',
        conditions,
      });
      expect(withStatus.status?.phase).toBe('Pending');
      expect(withStatus.spec).toEqual({ size: 3 });
      expect(withStatus.metadata?.generation).toBe(1); // a status write is not a spec change

      const later = setCondition(
        withStatus.status?.conditions,
        { type: 'Ready', status: 'False', reason: 'Waiting', observedGeneration: 1 },
        new Date(),
      );
      const again = await applyStatus(client, WidgetKind, widget, {
        phase: 'Pending',
        conditions: later,
      });
      expect(findCondition(again.status?.conditions, 'Ready')).toMatchObject({
        reason: 'Waiting',
        lastTransitionTime: '2025-01-01T00:00:00Z',
        observedGeneration: 1,
      });
      expect(managers(again)).toContain('supercloud-operator/Apply');
    },
    testTimeoutMs,
  );

  it(
    'adds and removes finalizers without clobbering others',
    async () => {
      let widget = (await client.get(WidgetKind, widgetName))!;
      widget = await client.patch(WidgetKind, widgetName, 'merge', {
        metadata: { finalizers: ['someone.else/keep'] },
      });
      widget = await addFinalizer(
        client,
        WidgetKind,
        widget,
        'runtime-test.supercloud.dev/cleanup',
      );
      expect(widget.metadata?.finalizers).toEqual([
        'someone.else/keep',
        'runtime-test.supercloud.dev/cleanup',
      ]);
      const requestsBefore = client.requestCount;
      expect(
        await addFinalizer(client, WidgetKind, widget, 'runtime-test.supercloud.dev/cleanup'),
      ).toBe(widget);
      expect(client.requestCount).toBe(requestsBefore);

      // A stale copy must not overwrite a newer list (409 instead).
      await client.patch(WidgetKind, widgetName, 'merge', {
        metadata: { labels: { touched: 'yes' } },
      });
      await expect(
        removeFinalizer(client, WidgetKind, widget, 'someone.else/keep'),
      ).rejects.toBeInstanceOf(KubeApiError);

      widget = (await client.get(WidgetKind, widgetName))!;
      widget = (await removeFinalizer(client, WidgetKind, widget, 'someone.else/keep'))!;
      expect(hasFinalizer(widget, 'someone.else/keep')).toBe(false);
      expect(hasFinalizer(widget, 'runtime-test.supercloud.dev/cleanup')).toBe(true);
    },
    testTimeoutMs,
  );

  it(
    'aggregates repeated Events into one object with a series count',
    async () => {
      const widget = (await client.get(WidgetKind, widgetName))!;
      const recorder = new EventRecorder(clientEventSink(client), {
        reportingInstance: 'runtime-test',
        minUpdateIntervalMs: 200,
      });
      for (let i = 0; i < 5; i++) {
        recorder.record(WidgetKind, widget, {
          type: 'Warning',
          reason: 'TooBig',
          action: 'Resize',
          note: 'size 3 is too big',
        });
      }
      // A documented time-based behaviour, not a wait for nothing to happen: the series interval
      // (minUpdateIntervalMs, 200 ms) passes and its timer writes the batched count.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await recorder.flush();
      const events = await client.list(EventKind, {
        namespace: 'default',
        fieldSelector: `regarding.name=${widgetName}`,
      });
      expect(events.items).toHaveLength(1);
      expect(events.items[0]).toMatchObject({
        reason: 'TooBig',
        action: 'Resize',
        type: 'Warning',
        reportingController: 'supercloud.dev/operator',
        regarding: { kind: 'Widget', name: widgetName, uid: widget.metadata?.uid },
        series: { count: 5 },
      });
    },
    testTimeoutMs,
  );

  it(
    'acts as another user through impersonation, so RBAC applies',
    async () => {
      const serviceAccount = `system:serviceaccount:${namespace}:nobody`;
      const nobody = new KubeClient({
        kubeConfig: adminKubeConfig(),
        impersonate: { user: serviceAccount },
      });
      await expect(nobody.list(ConfigMapKind, { namespace })).rejects.toMatchObject({ code: 403 });
      nobody.close();
      const admin = new KubeClient({
        kubeConfig: adminKubeConfig(),
        impersonate: { user: serviceAccount, groups: ['system:masters', 'system:authenticated'] },
      });
      await expect(admin.list(ConfigMapKind, { namespace })).resolves.toHaveProperty('items');
      admin.close();
    },
    testTimeoutMs,
  );
});
