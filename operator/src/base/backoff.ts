// Exponential delays: the work queue's per-key retries (kube/rate-limiter.ts), and the jittered
// reconnects of watches, leader election and the chain side.
import type { Clock } from './clock.js';

/** base × 2^attempt, capped at max; safe for any attempt count (no overflow to Infinity/NaN). */
export function exponentialDelay(baseMs: number, maxMs: number, attempt: number): number {
  // 2^64 already exceeds any sensible cap; avoid computing huge powers.
  if (attempt >= 64) return maxMs;
  return Math.min(maxMs, baseMs * 2 ** attempt);
}

/** Parameters of a reconnect backoff. */
export interface BackoffParameters {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Fraction of the delay added at random (0.5 → up to +50%), so clients do not retry in step. */
  readonly jitter: number;
  /** After this long without a failure the next failure starts again from `initialMs`. */
  readonly resetAfterMs: number;
}

/**
 * Watch reconnects: 800 ms doubling, reset after 2 min of health (client-go's reflector), but
 * capped at 10 s instead of 30 s: after an API server restart the cache is current again within
 * 10 s, and a reconnect attempt per kind every 10 s costs the server nothing.
 */
export const watchReconnectBackoff: BackoffParameters = {
  initialMs: 800,
  maxMs: 10_000,
  jitter: 0.5,
  resetAfterMs: 120_000,
};

/**
 * A capped, jittered exponential backoff for reconnecting (watches, leader election). Jitter
 * spreads the reconnects of many clients after an API server restart, so they do not flood it.
 */
export class Backoff {
  private attempt = 0;
  private lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly parameters: BackoffParameters = watchReconnectBackoff,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    const now = this.clock.now();
    if (now - this.lastFailureAt > this.parameters.resetAfterMs) this.attempt = 0;
    this.lastFailureAt = now;
    const base = exponentialDelay(this.parameters.initialMs, this.parameters.maxMs, this.attempt++);
    return Math.min(this.parameters.maxMs, base * (1 + this.parameters.jitter * this.random()));
  }

  /** Forgets past failures (after a success that proves the connection healthy). */
  reset(): void {
    this.attempt = 0;
  }
}
