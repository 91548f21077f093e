import { parseLabelSelector } from './label-selector.js';

describe('parseLabelSelector', () => {
  it('matches equality, inequality, existence and absence', () => {
    const selector = parseLabelSelector('supercloud.dev/test-run=a1, tier!=free,team,!canary');
    expect(selector.matches({ 'supercloud.dev/test-run': 'a1', team: 'x' })).toBe(true);
    expect(selector.matches({ 'supercloud.dev/test-run': 'a1', team: 'x', tier: 'free' })).toBe(
      false,
    );
    expect(selector.matches({ 'supercloud.dev/test-run': 'a1' })).toBe(false);
    expect(selector.matches({ 'supercloud.dev/test-run': 'a1', team: 'x', canary: '' })).toBe(
      false,
    );
    expect(selector.matches(undefined)).toBe(false);
  });

  it('lists its key=value terms: the labels an object needs to be selected', () => {
    expect(parseLabelSelector('shard=a, tier!=free, team, b==c').equalities).toEqual({
      shard: 'a',
      b: 'c',
    });
    expect(parseLabelSelector('').equalities).toEqual({});
  });

  it('accepts == as =, and the empty selector matches everything', () => {
    expect(parseLabelSelector('a==b').matches({ a: 'b' })).toBe(true);
    expect(parseLabelSelector('').matches(undefined)).toBe(true);
  });

  it.each([
    ['a b=c', 'not a label key'],
    ['!a=b', '"!" with a value'],
    ['a=b c', 'not a label value'],
    ['a=' + 'x'.repeat(64), 'not a label value'],
  ])('refuses %j (%s)', (text, problem) => {
    expect(() => parseLabelSelector(text)).toThrow(problem);
  });
});
