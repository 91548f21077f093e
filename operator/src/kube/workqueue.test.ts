import { FakeClock, flushPromises } from './testing/fake-clock.js';
import { ExponentialFailureRateLimiter } from './rate-limiter.js';
import { WorkQueue, type WorkQueueMetrics } from './workqueue.js';

function recordingMetrics() {
  const record = { added: 0, taken: [] as number[], done: [] as number[], retried: 0 };
  const metrics: WorkQueueMetrics = {
    added: () => void record.added++,
    taken: (seconds) => void record.taken.push(seconds),
    done: (seconds) => void record.done.push(seconds),
    retried: () => void record.retried++,
  };
  return { record, metrics };
}

async function take<K>(queue: WorkQueue<K>): Promise<K> {
  const item = await queue.get();
  if (!item) throw new Error('queue shut down');
  return item.key;
}

describe('WorkQueue', () => {
  it('deduplicates keys that were not taken yet, keeping first-in order', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    expect(queue.length).toBe(3);
    expect(queue.depth).toBe(3);
    expect([await take(queue), await take(queue), await take(queue)]).toEqual(['a', 'b', 'c']);
  });

  it('never hands a key being processed to a second worker, and re-queues it when done', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    queue.add('a');
    expect(await take(queue)).toBe('a');

    queue.add('a'); // changed while being processed
    queue.add('a');
    expect(queue.length).toBe(0);
    let second: string | undefined;
    void queue.get().then((item) => (second = item?.key));
    await flushPromises();
    expect(second).toBeUndefined();

    queue.done('a');
    await flushPromises();
    expect(second).toBe('a'); // processed again, exactly once
    expect(queue.length).toBe(0);
  });

  it('does not re-queue a key that was not added while processing', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    queue.add('a');
    queue.done(await take(queue));
    expect(queue.length).toBe(0);
    expect(queue.depth).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    const got = queue.get();
    queue.add('x');
    expect(await got).toEqual({ key: 'x' });
  });

  it('delays addAfter keys until due, keeping the earliest time when added twice', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    queue.addAfter('a', 1_000);
    queue.addAfter('a', 300);
    queue.addAfter('a', 2_000);
    queue.addAfter('b', 500);
    await clock.advance(299);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    expect(await take(queue)).toBe('a');
    await clock.advance(200);
    expect(await take(queue)).toBe('b');
    await clock.advance(10_000);
    expect(queue.length).toBe(0); // the later times of 'a' were superseded, not queued again
    expect(queue.delayedLength).toBe(0);
  });

  it('retries a failing key on the exponential schedule and counts retries', async () => {
    const clock = new FakeClock();
    const { record, metrics } = recordingMetrics();
    const queue = new WorkQueue<string>({
      clock,
      metrics,
      rateLimiter: new ExponentialFailureRateLimiter(5, 1_000_000),
    });
    const schedule: number[] = [];
    let lastTakenAt = clock.now();
    queue.add('k');
    for (let attempt = 0; attempt < 6; attempt++) {
      const key = await take(queue);
      schedule.push(clock.now() - lastTakenAt);
      queue.addRateLimited(key);
      queue.done(key);
      lastTakenAt = clock.now();
      while (queue.length === 0) await clock.advance(1);
    }
    expect(schedule).toEqual([0, 5, 10, 20, 40, 80]);
    expect(record.retried).toBe(6);
    expect(queue.numRequeues('k')).toBe(6);
    queue.forget('k');
    expect(queue.numRequeues('k')).toBe(0);
  });

  it('rate-limits retries of many keys together with the token bucket', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock }); // controller-runtime's default limiter
    for (let i = 0; i < 150; i++) queue.addRateLimited(`k${i}`);
    await clock.advance(5);
    expect(queue.length).toBe(100); // the burst
    await clock.advance(1_000);
    expect(queue.length).toBe(110); // then 10 per second
    await clock.advance(4_000);
    expect(queue.length).toBe(150);
  });

  it('reports queue and work durations', async () => {
    const clock = new FakeClock();
    const { record, metrics } = recordingMetrics();
    const queue = new WorkQueue<string>({ clock, metrics });
    queue.add('a');
    queue.add('a');
    await clock.advance(250);
    const key = await take(queue);
    await clock.advance(1_500);
    expect(queue.processingSeconds()).toEqual([1.5]);
    queue.done(key);
    expect(record).toEqual({ added: 1, taken: [0.25], done: [1.5], retried: 0 });
  });

  it('on shutdown wakes waiting workers, drops pending keys and drains in-flight ones', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    queue.add('busy');
    const busy = await take(queue);
    queue.add('queued');
    queue.addAfter('later', 1_000);
    let drained = false;
    const drain = queue.shutDownWithDrain().then(() => (drained = true));
    expect(await queue.get()).toBeUndefined();
    queue.add('ignored');
    await flushPromises();
    expect(drained).toBe(false);
    queue.done(busy);
    await drain;
    expect(drained).toBe(true);
    await clock.advance(5_000);
    expect(queue.length).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('retries keys in failure backoff at once after an outage, leaving plain delays alone', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({
      clock,
      rateLimiter: new ExponentialFailureRateLimiter(1_000, 1_000_000),
    });
    for (let i = 0; i < 5; i++) queue.addRateLimited('failed'); // now waiting 1 s
    queue.addRateLimited('failed'); // the earliest time wins: still 1 s
    queue.addAfter('polling', 60_000);
    expect(queue.retryFailedNow()).toBe(1);
    expect(await take(queue)).toBe('failed');
    expect(queue.numRequeues('failed')).toBe(6); // a new failure backs off further
    expect(queue.length).toBe(0);
    await clock.advance(60_000);
    expect(await take(queue)).toBe('polling');
    await clock.advance(10_000);
    expect(queue.length).toBe(0); // the stale heap entry of 'failed' queued nothing
  });
});
