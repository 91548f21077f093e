import { holdsDesired, jsonEqual, parseQuantity, sameQuantity } from './semantic.js';

describe('parseQuantity', () => {
  it.each([
    ['16000m', 16n, 1n],
    ['128Gi', 128n * 1024n ** 3n, 1n],
    ['1e3', 1000n, 1n],
    ['0.5', 5n, 10n],
    ['100n', 100n, 10n ** 9n],
  ])('reads %s exactly', (text, numerator, denominator) => {
    const parsed = parseQuantity(text)!;
    expect(parsed.numerator * denominator).toBe(numerator * parsed.denominator);
  });

  it('refuses what is not a quantity', () => {
    expect(parseQuantity('abc')).toBeUndefined();
    expect(parseQuantity('1 Gi')).toBeUndefined();
    expect(parseQuantity('')).toBeUndefined();
  });
});

describe('sameQuantity', () => {
  it('compares by value', () => {
    expect(sameQuantity('16000m', '16')).toBe(true);
    expect(sameQuantity('131072Mi', '128Gi')).toBe(true);
    expect(sameQuantity('1500m', '1')).toBe(false);
    expect(sameQuantity('x', 'x')).toBe(false);
  });
});

describe('holdsDesired', () => {
  const deployment = {
    metadata: { name: 'llm', labels: { a: '1', added: 'by-server' } },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            {
              name: 'llm',
              env: [{ name: 'HOME', value: '/tmp' }],
              resources: { limits: { cpu: '16', memory: '128Gi' } },
              terminationMessagePath: '/dev/termination-log',
            },
          ],
          volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } }],
        },
      },
    },
  };

  const desired = {
    metadata: { name: 'llm', labels: { a: '1' } },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            {
              name: 'llm',
              env: [{ name: 'HOME', value: '/tmp' }],
              resources: { limits: { cpu: '16000m', memory: '131072Mi' } },
            },
          ],
          volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '16384Mi' } }],
        },
      },
    },
  };

  it('accepts server defaults, extra labels and canonical quantities', () => {
    expect(holdsDesired(desired, deployment)).toBe(true);
  });

  it('notices a changed value, a missing field and a list of another length', () => {
    expect(holdsDesired({ ...desired, spec: { ...desired.spec, replicas: 2 } }, deployment)).toBe(
      false,
    );
    expect(holdsDesired({ metadata: { labels: { b: '2' } } }, deployment)).toBe(false);
    const twoEnv = structuredClone(desired);
    twoEnv.spec.template.spec.containers[0]!.env.push({ name: 'X', value: '1' });
    expect(holdsDesired(twoEnv, deployment)).toBe(false);
  });

  it('compares quantities by value only where Kubernetes stores quantities', () => {
    expect(holdsDesired({ env: [{ value: '1000m' }] }, { env: [{ value: '1' }] })).toBe(false);
    expect(holdsDesired({ hard: { pods: '4' } }, { hard: { pods: '4000m' } })).toBe(true);
  });

  it('notices a missing object', () => {
    expect(holdsDesired(desired, undefined)).toBe(false);
  });
});

describe('jsonEqual', () => {
  it('ignores key order and undefined keys', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(
      true,
    );
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 0 })).toBe(false);
  });
});
