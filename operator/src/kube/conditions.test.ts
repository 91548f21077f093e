import {
  findCondition,
  isConditionTrue,
  metaTime,
  removeCondition,
  sameConditions,
  setCondition,
} from './conditions.js';

const t0 = new Date('2025-01-01T00:00:00.123Z');
const t1 = new Date('2025-01-01T00:05:00Z');

describe('setCondition', () => {
  it('adds a condition with the transition time in whole seconds', () => {
    const conditions = setCondition(
      undefined,
      {
        type: 'Ready',
        status: 'False',
        reason: 'Deploying',
        observedGeneration: 3,
      },
      t0,
    );
    expect(conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        observedGeneration: 3,
        lastTransitionTime: '2025-01-01T00:00:00Z',
        reason: 'Deploying',
        message: '',
      },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, but takes the new reason, message and generation', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Deploying' }, t0);
    const second = setCondition(
      first,
      {
        type: 'Ready',
        status: 'False',
        reason: 'Waiting',
        message: 'pods pending',
        observedGeneration: 4,
      },
      t1,
    );
    expect(second[0]).toMatchObject({
      lastTransitionTime: metaTime(t0),
      reason: 'Waiting',
      message: 'pods pending',
      observedGeneration: 4,
    });
    const third = setCondition(second, { type: 'Ready', status: 'True', reason: 'Available' }, t1);
    expect(third[0]?.lastTransitionTime).toBe('2025-01-01T00:05:00Z');
    expect(first[0]?.reason).toBe('Deploying'); // inputs are not mutated
  });

  it('touches only the condition of its type', () => {
    let conditions = setCondition(
      [],
      { type: 'Verified', status: 'True', reason: 'HashMatches' },
      t0,
    );
    conditions = setCondition(
      conditions,
      { type: 'Funded', status: 'False', reason: 'EscrowLow' },
      t0,
    );
    conditions = setCondition(
      conditions,
      { type: 'Verified', status: 'True', reason: 'HashMatches' },
      t1,
    );
    expect(conditions.map((c) => c.type)).toEqual(['Verified', 'Funded']);
    expect(isConditionTrue(conditions, 'Verified')).toBe(true);
    expect(isConditionTrue(conditions, 'Funded')).toBe(false);
    expect(isConditionTrue(conditions, 'Missing')).toBe(false);
    expect(findCondition(removeCondition(conditions, 'Funded'), 'Funded')).toBeUndefined();
  });

  it('rejects reasons the API server would refuse', () => {
    expect(() => setCondition([], { type: 'Ready', status: 'True', reason: 'not valid!' })).toThrow(
      /reason "not valid!" is invalid/,
    );
  });
});

describe('sameConditions', () => {
  it('ignores order and notices any field change', () => {
    const a = setCondition(
      setCondition([], { type: 'A', status: 'True', reason: 'R' }, t0),
      {
        type: 'B',
        status: 'False',
        reason: 'R',
      },
      t0,
    );
    expect(sameConditions(a, [...a].reverse())).toBe(true);
    expect(
      sameConditions(a, setCondition(a, { type: 'A', status: 'True', reason: 'Other' }, t0)),
    ).toBe(false);
    expect(sameConditions(undefined, [])).toBe(true);
  });
});
