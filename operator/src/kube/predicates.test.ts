import type { KubeObject } from './objects.js';
import { specOrMetadataChanged } from './predicates.js';

const lease = (metadata: KubeObject['metadata'], status?: unknown): KubeObject =>
  ({
    metadata: { name: 'l', generation: 1, resourceVersion: '1', ...metadata },
    ...(status ? { status } : {}),
  }) as KubeObject;

describe('specOrMetadataChanged', () => {
  it('is false for a status-only update (a new resourceVersion and managed fields, nothing else)', () => {
    const before = lease({}, { phase: 'Pending' });
    const after = lease(
      { resourceVersion: '2', managedFields: [{ manager: 'supercloud-operator' }] },
      { phase: 'Deploying' },
    );
    expect(specOrMetadataChanged(before, after)).toBe(false);
  });

  it.each([
    ['the spec (generation)', { generation: 2 }],
    ['the labels', { labels: { 'supercloud.dev/test-run': 'x' } }],
    ['the annotations', { annotations: { note: 'x' } }],
    ['the finalizers', { finalizers: ['example.dev/hold'] }],
    ['the owner references', { ownerReferences: [{ uid: 'u' }] }],
    ['the deletion mark', { deletionTimestamp: '2025-06-01T12:00:00Z' }],
  ] as [string, KubeObject['metadata']][])('is true when %s changed', (_what, metadata) => {
    expect(specOrMetadataChanged(lease({}), lease({ resourceVersion: '2', ...metadata }))).toBe(
      true,
    );
  });

  it('ignores the order of label keys', () => {
    const before = lease({ labels: { a: '1', b: '2' } });
    const after = lease({ resourceVersion: '2', labels: { b: '2', a: '1' } });
    expect(specOrMetadataChanged(before, after)).toBe(false);
  });
});
