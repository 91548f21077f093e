import { StringInterner } from './intern.js';

describe('StringInterner', () => {
  it('leaves every value as it was, deeply, in objects and arrays', () => {
    const interner = new StringInterner();
    const object = {
      metadata: { name: 'a', labels: { pool: 'h100' }, ownerReferences: [{ uid: 'u-1' }] },
      spec: { args: ['--x', 'y'], replicas: 2, paused: false, empty: null },
    };
    const copy = structuredClone(object);

    expect(interner.intern(object)).toBe(object);
    expect(object).toEqual(copy);
  });

  it('keeps one entry per distinct short string, and none for long ones', () => {
    const interner = new StringInterner(8);
    interner.intern({ a: 'same', b: 'same', c: ['same', 'other'], d: 'far too long to share' });

    expect(interner.size).toBe(2);
  });

  it('starts afresh once full, so strings seen once cannot grow it without end', () => {
    const interner = new StringInterner(64, 100);
    for (let i = 0; i < 1_000; i++) interner.intern({ uid: `uid-${i}`, kind: 'Pod' });

    expect(interner.size).toBeLessThanOrEqual(100);
  });
});
