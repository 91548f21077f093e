// Bounded concurrency: the lease sync, the settlement and the bid engine read many leases and
// orders, a few (batch) calls at a time.
/** Runs `task` over `items` with at most `limit` in flight; rejects on the first failure. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Runs `task` over `items` cut in chunks of at most `size` (a batch call's bound), with at most
 * `limit` chunks in flight; returns the chunks' results in the order of `items`.
 *
 * @example mapInChunks(ids, maxBatchRead, 4, (chunk) => readOrders(p, { marketplace, orderIds: chunk }))
 */
export async function mapInChunks<T, R>(
  items: readonly T[],
  size: number,
  limit: number,
  task: (chunk: T[]) => Promise<R[]>,
): Promise<R[]> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return (await mapWithConcurrency(chunks, limit, task)).flat();
}
