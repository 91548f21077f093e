import type { Clock } from '../base/clock.js';
import { exponentialDelay } from '../base/backoff.js';

/**
 * Decides how long a key waits before it is retried, as client-go's `workqueue.TypedRateLimiter`.
 * `when` records a failure and returns the delay in milliseconds; `forget` clears the key's
 * history once it succeeded.
 */
export interface RateLimiter<K = string> {
  when(key: K): number;
  forget(key: K): void;
  /** How many times the key failed since it was last forgotten. */
  numRequeues(key: K): number;
}

/** Per-key exponential backoff: base × 2^failures, capped (controller-runtime: 5 ms → 1000 s). */
export class ExponentialFailureRateLimiter<K = string> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    private readonly baseDelayMs = 5,
    private readonly maxDelayMs = 1_000_000,
  ) {}

  when(key: K): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    return exponentialDelay(this.baseDelayMs, this.maxDelayMs, failures);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * An overall token bucket shared by every key (controller-runtime: 10 per second, burst 100):
 * retries of many keys together never exceed that rate. Each `when` reserves a token, possibly
 * in the future, like golang.org/x/time/rate's `Reserve().Delay()`.
 */
export class TokenBucketRateLimiter<K = string> implements RateLimiter<K> {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly perSecond = 10,
    private readonly burst = 100,
  ) {
    this.tokens = burst;
    this.updatedAt = clock.now();
  }

  when(_key: K): number {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond,
    );
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.perSecond) * 1000;
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }
}

/** The longest delay of several limiters (controller-runtime's default combines the two above). */
export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  private readonly limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(key: K): number {
    return Math.max(0, ...this.limiters.map((limiter) => limiter.when(key)));
  }

  forget(key: K): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  numRequeues(key: K): number {
    return Math.max(0, ...this.limiters.map((limiter) => limiter.numRequeues(key)));
  }
}

/** controller-runtime's default controller rate limiter: 5 ms → 1000 s per key, 10 qps burst 100. */
export function defaultControllerRateLimiter<K = string>(clock: Clock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ExponentialFailureRateLimiter<K>(5, 1_000_000),
    new TokenBucketRateLimiter<K>(clock, 10, 100),
  );
}
