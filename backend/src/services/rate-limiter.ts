/** Takes one request's worth of allowance for `key` (a user, an address); false when over its rate. */
export interface Limiter {
  take(key: string): boolean | Promise<boolean>;
}

/**
 * A token bucket per key: `ratePerSecond` sustained, bursts up to `burst`. Kept in memory on this
 * node (cluster mode shares buckets through Redis instead: cluster/redis-rate-limiter.ts). Memory is bounded: at most `maxKeys` buckets are kept, and past that the least recently
 * used go first (most of them have refilled and hold nothing worth keeping). Rates below one per
 * second are fine: `perMinute(10)` refills one token every 6 s.
 */
export class RateLimiter implements Limiter {
  /** In least-recently-used order: every take moves its key to the end. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 100_000,
  ) {}

  /** `count` per minute, bursts of `count`. */
  static perMinute(count: number, now?: () => number): RateLimiter {
    return new RateLimiter(count / 60, count, now);
  }

  /** `count` per hour, bursts of `count`. */
  static perHour(count: number, now?: () => number): RateLimiter {
    return new RateLimiter(count / 3600, count, now);
  }

  /** Takes one token for `key`; false when none is left. */
  take(key: string): boolean {
    const t = this.now();
    const old = this.buckets.get(key);
    const tokens = old ? Math.min(this.burst, old.tokens + ((t - old.at) / 1000) * this.ratePerSecond) : this.burst;
    const allowed = tokens >= 1;
    if (old) this.buckets.delete(key);
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: t });
    if (this.buckets.size > this.maxKeys) this.evict();
    return allowed;
  }

  /** How many keys are tracked now (for tests of the memory bound). */
  get size(): number {
    return this.buckets.size;
  }

  private evict(): void {
    // Down to 90 %, so eviction runs once per many takes rather than on every one.
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}
