// Quantiles of a Prometheus histogram read from /metrics text, as PromQL's histogram_quantile
// computes them: linear interpolation inside the bucket that holds the rank.

/** The cumulative buckets (upper bound, count) of a histogram series whose labels match. */
function buckets(text: string, name: string, labels: Record<string, string>): [number, number][] {
  const prefix = `${name}_bucket{`;
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .map((line): [number, number] => {
      const le = /le="([^"]+)"/.exec(line)?.[1] ?? '+Inf';
      return [le === '+Inf' ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(' ') + 1))];
    })
    .sort(([a], [b]) => a - b);
}

/**
 * The q-quantile (0..1) of the series, NaN when it has no observations; a rank beyond the last
 * finite bucket answers that bucket's bound.
 *
 * @example histogramQuantile(await operator.metrics(), 'supercloud_lease_phase_seconds', { phase: 'running' }, 0.99)
 */
export function histogramQuantile(
  text: string,
  name: string,
  labels: Record<string, string>,
  q: number,
): number {
  const series = buckets(text, name, labels);
  const total = series.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let [lower, below] = [0, 0];
  for (const [bound, count] of series) {
    if (count >= rank) {
      if (bound === Infinity) return lower;
      return lower + ((bound - lower) * (rank - below)) / Math.max(count - below, 1e-9);
    }
    [lower, below] = [bound, count];
  }
  return lower;
}
