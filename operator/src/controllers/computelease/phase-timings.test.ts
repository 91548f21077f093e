import { LeasePhaseTracker, type TrackedLease } from './phase-timings.js';

const fresh: TrackedLease = { name: 'a', uid: 'uid-a', fresh: true };
/** The same lease on a later reconcile, its status past Pending. */
const deploying: TrackedLease = { ...fresh, fresh: false };

describe('LeasePhaseTracker', () => {
  it('times each phase from the first fresh reconcile, once per lease', () => {
    const tracker = new LeasePhaseTracker();
    tracker.start(fresh, 1_000);
    expect(
      tracker.reached(fresh, [
        ['verified', 1_250],
        ['namespace_applied', 1_250],
      ]),
    ).toEqual([
      { phase: 'verified', seconds: 0.25 },
      { phase: 'namespace_applied', seconds: 0.25 },
    ]);
    tracker.start(deploying, 2_000); // a later reconcile does not restart the clock
    expect(
      tracker.reached(deploying, [
        ['verified', 3_000],
        ['quota_enforced', 3_000],
      ]),
    ).toEqual([{ phase: 'quota_enforced', seconds: 2 }]);
  });

  it('forgets a lease once Running, so later reconciles record nothing', () => {
    const tracker = new LeasePhaseTracker();
    tracker.start(fresh, 0);
    expect(tracker.reached(fresh, [['running', 4_000]])).toEqual([
      { phase: 'running', seconds: 4 },
    ]);
    expect(tracker.size).toBe(0);
    tracker.start(deploying, 5_000);
    expect(tracker.reached(deploying, [['running', 6_000]])).toEqual([]);
  });

  it('does not time a lease first seen past Pending (its start is unknown)', () => {
    const tracker = new LeasePhaseTracker();
    tracker.start(deploying, 0);
    expect(tracker.reached(deploying, [['walls_applied', 1_000]])).toEqual([]);
    expect(tracker.size).toBe(0);
  });

  it('drops a deleted lease and starts over for one re-created under its name', () => {
    const tracker = new LeasePhaseTracker();
    tracker.start(fresh, 0);
    tracker.reached(fresh, [['verified', 100]]);
    tracker.forget('a');
    expect(tracker.size).toBe(0);
    const recreated = { ...fresh, uid: 'uid-b' };
    tracker.start(fresh, 0);
    tracker.start(recreated, 1_000);
    expect(tracker.reached(fresh, [['verified', 1_500]])).toEqual([]);
    expect(tracker.reached(recreated, [['verified', 1_500]])).toEqual([
      { phase: 'verified', seconds: 0.5 },
    ]);
  });

  it('times at most maxLeases leases at once', () => {
    const tracker = new LeasePhaseTracker(2);
    for (const name of ['a', 'b', 'c']) tracker.start({ name, uid: name, fresh: true }, 0);
    expect(tracker.size).toBe(2);
    expect(tracker.reached({ name: 'c', uid: 'c', fresh: true }, [['verified', 1]])).toEqual([]);
  });
});
