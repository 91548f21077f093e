// Equality-based label selectors as kubectl takes them (`a=b,c!=d,e,!f`), matched in memory.

/** A parsed selector: its text (for logs) and a predicate over an object's labels. */
export interface LabelSelector {
  readonly text: string;
  /** The `key=value` terms: labels an object the operator creates carries to be selected. */
  readonly equalities: Readonly<Record<string, string>>;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly value: string }
  | { readonly key: string; readonly op: 'exists' | 'absent' };

const keyPattern =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const valuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function requirement(term: string, selector: string): Requirement {
  const match = /^(!?)([^=!]+?)\s*(?:(!=|==|=)\s*(.*))?$/.exec(term);
  const [, not = '', key = '', op, value = ''] = match ?? [];
  const bad = (what: string): Error =>
    new Error(
      `label selector "${selector}": ${what} in "${term}"; write key=value, key!=value, key or !key, separated by commas`,
    );
  if (!match || !keyPattern.test(key)) throw bad('not a label key');
  if (op === undefined) return { key, op: not ? 'absent' : 'exists' };
  if (not) throw bad('"!" with a value');
  if (!valuePattern.test(value)) throw bad('not a label value');
  return { key, op: op === '!=' ? 'notin' : 'in', value };
}

/**
 * Parses a selector; the empty string selects everything.
 *
 * @example parseLabelSelector('supercloud.dev/shard=a').matches({ 'supercloud.dev/shard': 'a' }) // true
 */
export function parseLabelSelector(text: string): LabelSelector {
  const requirements = text
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '')
    .map((term) => requirement(term, text));
  return {
    text,
    equalities: Object.fromEntries(
      requirements.flatMap((r) => (r.op === 'in' ? [[r.key, r.value]] : [])),
    ),
    matches: (labels = {}) =>
      requirements.every((r) => {
        const value = labels[r.key];
        switch (r.op) {
          case 'in':
            return value === r.value;
          case 'notin':
            return value !== r.value;
          case 'exists':
            return value !== undefined;
          case 'absent':
            return value === undefined;
        }
      }),
  };
}
