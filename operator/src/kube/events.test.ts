import { KubeApiError } from './errors.js';
import { EventRecorder, microTime, type EventObject, type EventSink } from './events.js';
import { ConfigMapKind, NamespaceKind } from './objects.js';
import { FakeClock } from './testing/fake-clock.js';

function fakeSink() {
  const created: EventObject[] = [];
  const series: { name: string; count: number }[] = [];
  let expired = false;
  const sink: EventSink = {
    create: async (event) => void created.push(event),
    updateSeries: async (_namespace, name, value) => {
      if (expired) throw new KubeApiError('PATCH', name, 404, { reason: 'NotFound' });
      series.push({ name, count: value!.count });
    },
  };
  return { sink, created, series, expire: () => (expired = true) };
}

const configMap = { metadata: { name: 'cm', namespace: 'ns', uid: 'u1' } };
const warning = { type: 'Warning', reason: 'ApplyFailed', action: 'Apply', note: 'quota' } as const;

describe('EventRecorder', () => {
  it('creates one Event, then counts repeats into its series, batched to one update per second', async () => {
    const clock = new FakeClock();
    const { sink, created, series } = fakeSink();
    const recorder = new EventRecorder(sink, { reportingInstance: 'op-0', clock });
    for (let i = 0; i < 5; i++) recorder.record(ConfigMapKind, configMap, warning);
    await clock.advance(1_000);
    await recorder.flush();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'ns' },
      reportingController: 'supercloud.dev/operator',
      reportingInstance: 'op-0',
      regarding: { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', namespace: 'ns', uid: 'u1' },
      type: 'Warning',
      reason: 'ApplyFailed',
      action: 'Apply',
      note: 'quota',
    });
    expect(series).toEqual([{ name: created[0]!.metadata!.name, count: 5 }]);

    recorder.record(ConfigMapKind, configMap, warning);
    await clock.advance(1_000);
    await recorder.flush();
    expect(series.at(-1)).toEqual({ name: created[0]!.metadata!.name, count: 6 });
    expect(created).toHaveLength(1);
  });

  it('keeps different reasons, notes and objects apart', async () => {
    const clock = new FakeClock();
    const { sink, created } = fakeSink();
    const recorder = new EventRecorder(sink, { reportingInstance: 'op-0', clock });
    recorder.record(ConfigMapKind, configMap, warning);
    recorder.record(ConfigMapKind, configMap, { ...warning, note: 'other' });
    recorder.record(ConfigMapKind, configMap, { ...warning, reason: 'Other' });
    recorder.record(ConfigMapKind, { metadata: { ...configMap.metadata, name: 'cm2' } }, warning);
    await recorder.flush();
    expect(created).toHaveLength(4);
  });

  it('starts a new Event after the series window, and when the old one expired on the server', async () => {
    const clock = new FakeClock();
    const { sink, created, expire } = fakeSink();
    const recorder = new EventRecorder(sink, { reportingInstance: 'op-0', clock });
    recorder.record(ConfigMapKind, configMap, warning);
    await clock.advance(361_000);
    recorder.record(ConfigMapKind, configMap, warning);
    await recorder.flush();
    expect(created).toHaveLength(2);

    expire();
    recorder.record(ConfigMapKind, configMap, warning);
    await clock.advance(1_000);
    await recorder.flush();
    expect(created).toHaveLength(3);
  });

  it('puts Events about cluster-scoped objects in the default namespace', async () => {
    const { sink, created } = fakeSink();
    const recorder = new EventRecorder(sink, { reportingInstance: 'op-0', clock: new FakeClock() });
    recorder.record(NamespaceKind, { metadata: { name: 'lease-1', uid: 'u' } }, warning);
    await recorder.flush();
    expect(created[0]?.metadata?.namespace).toBe('default');
    expect(created[0]?.regarding.namespace).toBeUndefined();
  });

  it('never throws when the API server refuses an Event', async () => {
    const recorder = new EventRecorder(
      {
        create: () => Promise.reject(new Error('forbidden')),
        updateSeries: () => Promise.resolve(),
      },
      { reportingInstance: 'op-0', clock: new FakeClock() },
    );
    expect(() => recorder.record(ConfigMapKind, configMap, warning)).not.toThrow();
    await expect(recorder.flush()).resolves.toBeUndefined();
  });

  it('formats MicroTime with microseconds', () => {
    expect(microTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678))).toBe('2025-01-02T03:04:05.678000Z');
  });
});
