// Runtime validation of custom resource specs and manifests against their TypeBox schemas, with
// issues that name the field the way the API server does (`spec.manifest.services[0].image`).
import { FormatRegistry, type TSchema, type Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

/** One problem with a value: the field path (API server style) and what is wrong with it. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** Thrown when a value does not match its schema; `issues` name each bad field. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly what: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(`invalid ${what}: ${formatIssues(issues)}`);
  }
}

/** Issues reported per value at most: enough to fix it, bounded for hostile input. */
const maxIssues = 20;

/** The longest field name shown in a path, and the longest formatted list of issues. */
const maxKeyLength = 64;
const maxReasonLength = 4096;

/**
 * The key no input may carry: assigning it (as cloning and defaulting do) replaces an object's
 * prototype instead of adding a field, so the field would vanish from validation but not from use.
 */
const prototypeKey = '__proto__';

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => rfc3339.test(value) && !isNaN(Date.parse(value)));
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<T>;
}

/** A copy of `value` with the schema's defaults filled in (the API server applies the same). */
export function withDefaults<T extends TSchema>(schema: T, value: unknown): unknown {
  return Value.Default(schema, Value.Clone(value));
}

/**
 * Checks `value` (defaults applied first) against `schema`.
 * @param basePath prefix of reported paths, e.g. `spec` or `spec.manifest`.
 * @returns the defaulted value, typed, or the issues (deduplicated per field, at most 20).
 */
export function validate<T extends TSchema>(
  schema: T,
  value: unknown,
  basePath = '',
): { ok: true; value: Static<T> } | { ok: false; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  collectPrototypeKeys(value, '', issues);
  if (issues.length > 0) {
    return { ok: false, issues: issues.map((i) => ({ ...i, path: joinPath(basePath, i.path) })) };
  }
  const defaulted = withDefaults(schema, value);
  const check = checker(schema);
  if (check.Check(defaulted)) return { ok: true, value: defaulted as Static<T> };
  const seen = new Set<string>();
  for (const error of check.Errors(defaulted)) {
    const path = joinPath(basePath, pointerToPath(error.path));
    if (seen.has(path)) continue;
    seen.add(path);
    issues.push({ path, message: describe(error) });
    if (issues.length >= maxIssues) break;
  }
  return { ok: false, issues };
}

/** Like `validate` but throws a ValidationError naming `what` and every bad field. */
export function parseWith<T extends TSchema>(
  schema: T,
  value: unknown,
  what: string,
  basePath = '',
): Static<T> {
  const result = validate(schema, value, basePath);
  if (!result.ok) throw new ValidationError(what, result.issues);
  return result.value;
}

/** Reports every own `__proto__` key in a JSON-like value, at most `maxIssues`. */
function collectPrototypeKeys(value: unknown, path: string, issues: ValidationIssue[]): void {
  if (issues.length >= maxIssues || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => collectPrototypeKeys(item, `${path}[${index}]`, issues));
    return;
  }
  for (const key of Object.keys(value)) {
    const at = pointerToPath(`/${key}`);
    const child = path ? joinPath(path, at) : at;
    if (key === prototypeKey) {
      issues.push({ path: child, message: 'unknown field: __proto__ is never a field name' });
    } else {
      collectPrototypeKeys((value as Record<string, unknown>)[key], child, issues);
    }
  }
}

/** `path: message; path: message`, at most `maxReasonLength` characters. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return truncate(
    issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; '),
    maxReasonLength,
  );
}

/** `text` cut to `max` characters, ending with `...` when cut: hostile input stays bounded. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** `a.b` + `c[0].d` → `a.b.c[0].d`; either side may be empty or start with a bracket. */
export function joinPath(base: string, rest: string): string {
  if (!base) return rest;
  if (!rest) return base;
  return rest.startsWith('[') ? `${base}${rest}` : `${base}.${rest}`;
}

/** `/services/0/env/1/value` → `services[0].env[1].value`; odd keys in brackets. */
export function pointerToPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((token) => truncate(token.replace(/~1/g, '/').replace(/~0/g, '~'), maxKeyLength))
    .reduce((path, key) => {
      if (/^(0|[1-9][0-9]*)$/.test(key) || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) {
        return `${path}[${key}]`;
      }
      return path ? `${path}.${key}` : key;
    }, '');
}

function describe(error: ValueError): string {
  const schema = error.schema as {
    anyOf?: { const?: unknown }[];
    pattern?: string;
    patternMessage?: string;
  };
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field';
    case ValueErrorType.ObjectRequiredProperty:
      return 'required field is missing';
    case ValueErrorType.Union:
      if (schema.anyOf?.every((option) => option.const !== undefined)) {
        return `must be one of ${schema.anyOf.map((option) => JSON.stringify(option.const)).join(', ')}; got ${preview(error.value)}`;
      }
      return error.message;
    case ValueErrorType.StringPattern:
      // Schemas may carry `patternMessage` (ignored by TypeBox and the CRD generator) to say
      // what a pattern means instead of printing the regular expression.
      return schema.patternMessage
        ? `${schema.patternMessage}; got ${preview(error.value)}`
        : `${preview(error.value)} does not match ${schema.pattern}`;
    default:
      return `${error.message}${typeof error.value === 'number' ? `; got ${error.value}` : ''}`;
  }
}

/** A short, safe rendering of a bad value for an error message. */
function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
