import { Type } from '@sinclair/typebox';
import {
  formatIssues,
  joinPath,
  parseWith,
  pointerToPath,
  validate,
  ValidationError,
} from './validate.js';

describe('pointerToPath', () => {
  it.each([
    ['', ''],
    ['/services/0/env/12/value', 'services[0].env[12].value'],
    ['/nodeSelector/supercloud.dev~1pool', 'nodeSelector[supercloud.dev/pool]'],
    ['/a~0b', '[a~b]'],
    ['/0', '[0]'],
  ])('%j → %j', (pointer, path) => {
    expect(pointerToPath(pointer)).toBe(path);
  });
});

describe('joinPath', () => {
  it('joins names with dots and indexes without', () => {
    expect(joinPath('spec', 'manifest.services')).toBe('spec.manifest.services');
    expect(joinPath('spec.services', '[0].name')).toBe('spec.services[0].name');
    expect(joinPath('', 'a')).toBe('a');
    expect(joinPath('a', '')).toBe('a');
  });
});

describe('validate', () => {
  const schema = Type.Object(
    {
      name: Type.String({ pattern: '^[a-z]+$', patternMessage: 'must be lower-case letters' }),
      kind: Type.Union([Type.Literal('A'), Type.Literal('B')]),
      count: Type.Integer({ minimum: 1, default: 1 }),
      at: Type.Optional(Type.String({ format: 'date-time' })),
    },
    { additionalProperties: false },
  );

  it('applies defaults and returns the typed value', () => {
    expect(validate(schema, { name: 'x', kind: 'A' })).toEqual({
      ok: true,
      value: { name: 'x', kind: 'A', count: 1 },
    });
  });

  it('does not change its input', () => {
    const input = { name: 'x', kind: 'A' };
    validate(schema, input);
    expect(input).toEqual({ name: 'x', kind: 'A' });
  });

  it('names each bad field once, under the base path, in words', () => {
    const result = validate(schema, { name: 'X1', kind: 'C', count: 0, extra: 1 }, 'spec');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: 'spec.extra', message: 'unknown field' },
      { path: 'spec.name', message: 'must be lower-case letters; got "X1"' },
      { path: 'spec.kind', message: 'must be one of "A", "B"; got "C"' },
      { path: 'spec.count', message: 'Expected integer to be greater or equal to 1; got 0' },
    ]);
  });

  it('reports a missing field once', () => {
    const result = validate(schema, { kind: 'A' });
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'name', message: 'required field is missing' }],
    });
  });

  it('checks RFC 3339 timestamps', () => {
    expect(validate(schema, { name: 'x', kind: 'A', at: '2025-01-02T03:04:05Z' }).ok).toBe(true);
    expect(validate(schema, { name: 'x', kind: 'A', at: 'yesterday' }).ok).toBe(false);
  });

  it('bounds the number of issues for hostile input', () => {
    const many = Type.Array(Type.String());
    const result = validate(
      many,
      Array.from({ length: 1000 }, () => 1),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toHaveLength(20);
  });

  it('throws a ValidationError carrying the issues from parseWith', () => {
    expect(() => parseWith(schema, { kind: 'A' }, 'thing')).toThrow(
      new ValidationError('thing', [{ path: 'name', message: 'required field is missing' }]),
    );
    expect(() => parseWith(schema, { kind: 'A' }, 'thing')).toThrow(
      'invalid thing: name: required field is missing',
    );
  });

  it('formats an issue at the root', () => {
    expect(formatIssues([{ path: '', message: 'Expected object' }])).toBe(
      '(root): Expected object',
    );
  });
});

describe('validate against hostile keys', () => {
  const schema = Type.Object(
    {
      name: Type.String(),
      inner: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  );

  it('refuses a __proto__ key, which would otherwise become the prototype of the result', () => {
    const value = JSON.parse('{"name":"x","inner":{"n":1,"__proto__":{"admin":true}}}') as unknown;
    const result = validate(schema, value, 'spec');
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'spec.inner.__proto__', message: expect.stringMatching(/never a field name/) },
      ],
    });
  });

  it('says "unknown field" of a constructor key, not what Object.prototype holds', () => {
    const value = JSON.parse('{"name":"x","inner":{"n":1},"constructor":{}}') as unknown;
    const result = validate(schema, value);
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'constructor', message: 'unknown field' }],
    });
  });

  it('keeps the reason short whatever the input: long keys are cut, the list is bounded', () => {
    const value: Record<string, unknown> = { name: 'x', inner: { n: 1 } };
    for (let i = 0; i < 50; i++) value[`${'k'.repeat(100_000)}${i}`] = 1;
    const result = validate(schema, value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const reason = formatIssues(result.issues);
    expect(reason.length).toBeLessThanOrEqual(4096);
    expect(result.issues.every((issue) => issue.path.length < 100)).toBe(true);
  });
});
