// The metric names a PromQL expression reads, and the names a /metrics page exports: what the
// monitoring test compares. A tokenizer, not a parser: promtool checks that the expressions
// parse; this only has to find the names in expressions that do.

/** PromQL's keywords and the words that take a label list (never metric names). */
const keywords = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);

/**
 * Metric names in a PromQL expression: identifiers that are not inside a string, label matchers
 * (`{...}`), a range (`[...]`) or a label list (`by (...)`), not a keyword, and not called (a
 * function or an aggregation). Grafana's `$variables` only appear inside matchers and ranges.
 *
 * @example metricNames('sum by (le) (rate(x_bucket{a="b"}[5m])) / on (a) y') // x_bucket, y
 */
export function metricNames(expression: string): Set<string> {
  const text = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  // A number (1e18, 0.1, 5m) is one token, so its letters are never taken for a name.
  for (const [, number, name, call] of text.matchAll(/(\d[\w.]*)|([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    if (number === undefined && name && !call && !keywords.has(name.toLowerCase())) {
      names.add(name);
    }
  }
  return names;
}

/**
 * The sample names a Prometheus text page exports: every `# TYPE` family (with the `_bucket`,
 * `_sum` and `_count` series of a histogram, `_sum` and `_count` of a summary), whether or not it
 * has a sample yet, and every sample's name.
 */
export function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, family = '', kind] = type;
      names.add(family);
      const suffixes =
        kind === 'histogram'
          ? ['_bucket', '_sum', '_count']
          : kind === 'summary'
            ? ['_sum', '_count']
            : [];
      for (const suffix of suffixes) names.add(family + suffix);
    } else if (line && !line.startsWith('#')) {
      names.add(/^[^{\s]+/.exec(line)?.[0] ?? '');
    }
  }
  names.delete('');
  return names;
}

/** A Grafana dashboard: the parts that hold queries. */
export interface Dashboard {
  panels: { title: string; type: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

/** Every PromQL query of a dashboard, by where it is: panel targets and query variables. */
export function dashboardQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  const panels = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map(({ expr }) => ({ where: `panel "${panel.title}"`, expr })),
  );
  const variables = dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
      // label_values(selector, label): the selector is the PromQL part.
      const selector = /^label_values\((.*),\s*\w+\)$/.exec(query ?? '')?.[1];
      if (!selector) throw new Error(`variable ${variable.name}: not label_values(...): ${query}`);
      return { where: `variable $${variable.name}`, expr: selector };
    });
  return [...panels, ...variables];
}

/**
 * Grafana's variables replaced by values PromQL takes, so promtool can check a dashboard query:
 * `$__rate_interval` and other `$__` durations by 5m, anything else by `x`.
 */
export function withVariablesReplaced(expr: string): string {
  return expr.replace(/\$__\w+/g, '5m').replace(/\$\{?\w+\}?/g, 'x');
}
