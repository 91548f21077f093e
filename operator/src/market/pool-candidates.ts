// The pools as the bid decision takes them: each pool view (the pool and its largest node, from
// the informer cache) with the GPUs live bids hold on it. The bid engine counts its own
// reservations; the gateway's quote counts the live bids the Provider status records.
import type { PoolCandidate } from './decide.js';

/** A pool as the engine is handed it: reservations are the caller's to add. */
export type PoolView = Omit<PoolCandidate, 'reservedGpus'>;

/**
 * @param reservedGpusOn the GPUs live bids hold on the pool of that name.
 * @example poolCandidates(poolViews(cache), (pool) => reservations.gpusOn(pool))
 */
export function poolCandidates(
  views: readonly PoolView[],
  reservedGpusOn: (pool: string) => number,
): PoolCandidate[] {
  return views.map((view) => ({
    ...view,
    reservedGpus: reservedGpusOn(view.pool.metadata.name ?? ''),
  }));
}
