import { FakeClock } from './testing/fake-clock.js';
import {
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.js';
import { Backoff, exponentialDelay } from '../base/backoff.js';

describe('ExponentialFailureRateLimiter', () => {
  it('doubles from 5 ms per failure of the same key and caps at 1000 s', () => {
    const limiter = new ExponentialFailureRateLimiter<string>(5, 1_000_000);
    const delays = Array.from({ length: 20 }, () => limiter.when('a'));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    // 5 ms × 2^17 = 655.36 s, × 2^18 would be 1310.72 s: capped.
    expect(delays[17]).toBe(655_360);
    expect(delays[18]).toBe(1_000_000);
    expect(delays[19]).toBe(1_000_000);
    expect(limiter.numRequeues('a')).toBe(20);
  });

  it('keeps keys independent and starts over after forget', () => {
    const limiter = new ExponentialFailureRateLimiter<string>(5, 1_000_000);
    limiter.when('a');
    limiter.when('a');
    expect(limiter.when('b')).toBe(5);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });
});

describe('exponentialDelay', () => {
  it('never overflows for large attempt counts', () => {
    expect(exponentialDelay(5, 1000, 10_000)).toBe(1000);
    expect(exponentialDelay(5, 1000, 63)).toBe(1000);
  });
});

describe('TokenBucketRateLimiter', () => {
  it('lets a burst through at once, then spaces retries at the rate', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketRateLimiter<string>(clock, 10, 100);
    const burst = Array.from({ length: 100 }, (_, i) => bucket.when(`k${i}`));
    expect(burst.every((delay) => delay === 0)).toBe(true);
    // Tokens are reserved in the future: the 101st waits 100 ms, the 102nd 200 ms.
    expect(bucket.when('x')).toBeCloseTo(100);
    expect(bucket.when('y')).toBeCloseTo(200);
  });

  it('refills over time, never beyond the burst', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketRateLimiter<string>(clock, 10, 5);
    for (let i = 0; i < 5; i++) bucket.when('k');
    await clock.advance(1_000_000);
    const delays = Array.from({ length: 6 }, () => bucket.when('k'));
    expect(delays.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(delays[5]).toBeCloseTo(100);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('is the larger of the per-key backoff and the overall bucket', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter<string>(clock);
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('a')).toBe(10);
    for (let i = 0; i < 98; i++) limiter.when(`other-${i}`);
    // The bucket is empty now: a new key waits for a token (100 ms), more than its 5 ms backoff.
    expect(limiter.when('fresh')).toBeCloseTo(100);
    expect(limiter.numRequeues('a')).toBe(2);
  });

  it('forgets in every limiter', () => {
    const limiter = new MaxOfRateLimiter<string>(
      new ExponentialFailureRateLimiter(5, 100),
      new ExponentialFailureRateLimiter(1, 1000),
    );
    for (let i = 0; i < 4; i++) limiter.when('a');
    expect(limiter.when('a')).toBe(80); // max(5 × 2^4, 1 × 2^4)
    limiter.forget('a');
    expect(limiter.when('a')).toBe(5);
  });
});

describe('Backoff', () => {
  const parameters = { initialMs: 800, maxMs: 30_000, jitter: 0.5, resetAfterMs: 120_000 };

  it('grows exponentially with jitter and stays under the cap', () => {
    const clock = new FakeClock();
    const noJitter = new Backoff(clock, parameters, () => 0);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => noJitter.next())).toEqual([
      800, 1600, 3200, 6400, 12800, 25600, 30000,
    ]);
    const fullJitter = new Backoff(clock, parameters, () => 1);
    expect(fullJitter.next()).toBe(1200);
    for (let i = 0; i < 10; i++) expect(fullJitter.next()).toBeLessThanOrEqual(30_000);
  });

  it('starts over after a healthy period or reset()', async () => {
    const clock = new FakeClock();
    const backoff = new Backoff(clock, parameters, () => 0);
    backoff.next();
    backoff.next();
    await clock.advance(120_001);
    expect(backoff.next()).toBe(800);
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(800);
  });
});
