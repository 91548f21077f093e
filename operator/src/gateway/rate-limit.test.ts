import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('lets a burst through, then one request per token refilled', () => {
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 });
    expect([0, 0, 0].map(() => limiter.take('a', 0))).toEqual([0, 0, 0]);
    expect(limiter.take('a', 0)).toBe(1);
    expect(limiter.take('a', 500)).toBe(0);
    expect(limiter.take('a', 500)).toBe(1);
  });

  it('keeps callers apart', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 });
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBe(1);
  });

  it('bounds its memory by forgetting callers whose bucket is full again', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, 2);
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('c', 5_000); // a and b refilled by now: forgotten
    expect(limiter.take('a', 5_000)).toBe(0);
  });
});
