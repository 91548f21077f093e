// Per-caller token buckets: a tenant (or, before a signature is checked, an address) gets
// `burst` requests at once and `perSecond` after that, so one tenant cannot starve the others or
// the API server behind the gateway.

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxCallers = 100_000,
  ) {}

  /** Takes one token for `caller`; the seconds to wait when there is none (0: go ahead). */
  take(caller: string, nowMs: number): number {
    const bucket = this.refilled(caller, nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.limit.perSecond);
  }

  private refilled(caller: string, nowMs: number): Bucket {
    let bucket = this.buckets.get(caller);
    if (!bucket) {
      if (this.buckets.size >= this.maxCallers) this.forgetFull(nowMs);
      bucket = { tokens: this.limit.burst, at: nowMs };
      this.buckets.set(caller, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsed * this.limit.perSecond);
    bucket.at = nowMs;
    return bucket;
  }

  /** Drops buckets that have refilled: they hold nothing a new bucket would not. */
  private forgetFull(nowMs: number): void {
    const fullAfterMs = (this.limit.burst / this.limit.perSecond) * 1000;
    for (const [caller, bucket] of this.buckets) {
      if (nowMs - bucket.at >= fullAfterMs) this.buckets.delete(caller);
    }
  }
}
