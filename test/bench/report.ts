// The benchmark report: each section measures one target of DESIGN.md ("Targets the benchmarks
// report") and returns rows; run.ts prints them as markdown tables and writes them to JSON.

/** One figure: what was measured, the value with its unit, and the target or reference beside it. */
export interface Figure {
  readonly name: string;
  readonly value: string;
  readonly reference?: string;
}

export interface Section {
  readonly title: string;
  /** How the figures were obtained (the workload, the run size), printed under the title. */
  readonly method: string;
  readonly figures: readonly Figure[];
  /** Figures that must hold and do not (e.g. a zero-loss figure above zero): `make bench` fails. */
  readonly failures?: readonly string[];
}

export type Benchmark = () => Promise<Section>;

export function formatSection(section: Section): string {
  const rows = section.figures.map(
    (figure) => `| ${figure.name} | ${figure.value} | ${figure.reference ?? ''} |`,
  );
  return [
    `## ${section.title}`,
    '',
    section.method,
    '',
    '| measure | value | target / reference |',
    '|---|---|---|',
    ...rows,
    '',
    ...(section.failures ?? []).map((failure) => `**FAILED**: ${failure}\n`),
  ].join('\n');
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Nearest-rank percentile `p` (0–100) of the values (sorted here; NaN when there are none). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
