import { mapInChunks, mapWithConcurrency } from './concurrency.js';

/** A task that records how many of its calls run at once. */
function tracked<T, R>(task: (item: T) => R) {
  const state = { running: 0, most: 0 };
  const run = async (item: T): Promise<R> => {
    state.running++;
    state.most = Math.max(state.most, state.running);
    await new Promise((resolve) => setImmediate(resolve));
    state.running--;
    return task(item);
  };
  return { state, run };
}

describe('mapWithConcurrency', () => {
  it('returns the results in the order of the items, with at most `limit` in flight', async () => {
    const { state, run } = tracked((n: number) => n * 2);
    expect(await mapWithConcurrency([1, 2, 3, 4, 5], 2, run)).toEqual([2, 4, 6, 8, 10]);
    expect(state.most).toBe(2);
  });
});

describe('mapInChunks', () => {
  it('calls the task with chunks of at most `size`, and joins their results in order', async () => {
    const seen: number[][] = [];
    const { state, run } = tracked((chunk: number[]) => {
      seen.push(chunk);
      return chunk.map((n) => -n);
    });
    const items = Array.from({ length: 7 }, (_, i) => i);
    expect(await mapInChunks(items, 3, 2, run)).toEqual(items.map((n) => -n));
    expect(seen.map((chunk) => chunk.length).sort()).toEqual([1, 3, 3]);
    expect(state.most).toBe(2);
  });

  it('calls nothing for no items', async () => {
    let calls = 0;
    const task = async (chunk: number[]) => (calls++, chunk);
    expect(await mapInChunks([], 500, 4, task)).toEqual([]);
    expect(calls).toBe(0);
  });
});
