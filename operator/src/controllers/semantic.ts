// Comparisons that tell a reconcile whether a write is needed, so a converged object costs no
// request: the API server's copy holds everything the operator declares (it may add defaults and
// other managers' fields), and a status equals the one about to be written.

/** Map keys under which the API server stores Kubernetes quantities in canonical form. */
const quantityParents = new Set([
  'requests',
  'limits',
  'hard',
  'max',
  'min',
  'default',
  'defaultRequest',
  'maxLimitRequestRatio',
]);

/** Keys whose own value is a quantity. */
const quantityKeys = new Set(['sizeLimit']);

const quantityPattern =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const binarySuffixes: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const decimalSuffixes: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** A quantity as an exact fraction. */
interface Fraction {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/**
 * Parses a Kubernetes quantity (`16000m`, `128Gi`, `1e3`, `0.5`) exactly, or undefined when the
 * string is not one.
 */
export function parseQuantity(text: string): Fraction | undefined {
  const match = quantityPattern.exec(text);
  if (!match) return undefined;
  const [, sign = '', number = '', suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let numerator = BigInt(`${sign}${whole || '0'}${fraction}`);
  let denominator = 10n ** BigInt(fraction.length);
  const binary = binarySuffixes[suffix];
  const decimal = /^[eE]/.test(suffix) ? Number(suffix.slice(1)) : decimalSuffixes[suffix];
  if (binary !== undefined) numerator *= 1024n ** BigInt(binary);
  else if (decimal !== undefined && decimal >= 0) numerator *= 10n ** BigInt(decimal);
  else if (decimal !== undefined) denominator *= 10n ** BigInt(-decimal);
  return { numerator, denominator };
}

/** True when both strings are quantities of the same value (`16000m` and `16`). */
export function sameQuantity(a: string, b: string): boolean {
  const left = parseQuantity(a);
  const right = parseQuantity(b);
  return (
    left !== undefined &&
    right !== undefined &&
    left.numerator * right.denominator === right.numerator * left.denominator
  );
}

function isQuantityPath(path: readonly string[]): boolean {
  const key = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  return quantityKeys.has(key) || quantityParents.has(parent);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when `actual` holds every field of `desired` with the same value: maps may have more
 * keys, lists must have the same length with each item holding the desired one, and quantities
 * compare by value. Server-side apply of `desired` would then change nothing the operator owns.
 *
 * @example holdsDesired({ spec: { replicas: 1 } }, deploymentFromCache) // true when replicas is 1
 */
export function holdsDesired(
  desired: unknown,
  actual: unknown,
  path: readonly string[] = [],
): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(actual) &&
      actual.length === desired.length &&
      desired.every((item, index) => holdsDesired(item, actual[index], [...path, String(index)]))
    );
  }
  if (isPlainObject(desired)) {
    return (
      isPlainObject(actual) &&
      Object.entries(desired).every(
        ([key, value]) => value === undefined || holdsDesired(value, actual[key], [...path, key]),
      )
    );
  }
  if (desired === actual) return true;
  return (
    typeof desired === 'string' &&
    typeof actual === 'string' &&
    isQuantityPath(path) &&
    sameQuantity(desired, actual)
  );
}

/** Deep equality of JSON values; key order does not matter, undefined equals a missing key. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => jsonEqual(a[key], b[key]));
  }
  return a === b;
}
