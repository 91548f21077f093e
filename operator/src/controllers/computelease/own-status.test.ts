import type { ComputeLease } from '../../api/computelease.js';
import { validLease } from '../../workloads/testing/corpus.js';
import { OwnStatusWrites, withControllerStatus } from './own-status.js';
import type { ControllerLeaseStatus } from './status.js';

const condition = (type: string, status: 'True' | 'False') => ({
  type,
  status,
  reason: 'R',
  message: '',
  lastTransitionTime: '2025-06-01T12:00:00Z',
});

/** The corpus lease as read from the cache at `resourceVersion`, with a status. */
function cachedLease(resourceVersion: string, status: ComputeLease['status']): ComputeLease {
  const lease = validLease();
  return { ...lease, metadata: { ...lease.metadata, resourceVersion }, status };
}

const deploying: ControllerLeaseStatus = {
  phase: 'Deploying',
  namespace: 'lease-900000',
  conditions: [condition('Verified', 'True')],
};

describe('withControllerStatus', () => {
  it("replaces the controller's fields and conditions, keeping the settlement's", () => {
    const lease = cachedLease('7', {
      phase: 'Pending',
      message: 'waiting for verification',
      escrowBalance: '100',
      conditions: [condition('Funded', 'True'), condition('Verified', 'False')],
    } as ComputeLease['status']);
    expect(withControllerStatus(lease, deploying).status).toEqual({
      phase: 'Deploying',
      namespace: 'lease-900000',
      escrowBalance: '100',
      conditions: [condition('Funded', 'True'), condition('Verified', 'True')],
    });
  });
});

describe('OwnStatusWrites', () => {
  it('reads the status written while the cache shows the lease as read for the write, then the cache', () => {
    const writes = new OwnStatusWrites();
    const before = cachedLease('7', {});
    expect(writes.current(before)).toBe(before);
    writes.wrote(before, deploying);
    expect(writes.current(before).status).toMatchObject({ phase: 'Deploying' });

    const caughtUp = cachedLease('8', { ...deploying });
    expect(writes.current(caughtUp)).toBe(caughtUp);
    expect(writes.size).toBe(0);
  });

  it('forgets a deleted lease', () => {
    const writes = new OwnStatusWrites();
    writes.wrote(cachedLease('7', {}), deploying);
    writes.forget('corpus-valid');
    expect(writes.size).toBe(0);
  });
});
