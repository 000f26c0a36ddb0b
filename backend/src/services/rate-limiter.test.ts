import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then the sustained rate', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 5, () => now);
    const burst = Array.from({ length: 8 }, () => limiter.take('u'));
    expect(burst).toEqual([true, true, true, true, true, false, false, false]);
    now += 100; // 10/s refills one token in 100 ms
    expect(limiter.take('u')).toBe(true);
    expect(limiter.take('u')).toBe(false);
    expect(limiter.take('someone else')).toBe(true);
  });

  it('counts slow rates per minute and per hour', () => {
    let now = 0;
    const login = RateLimiter.perMinute(3, () => now);
    expect([1, 2, 3, 4].map(() => login.take('alice'))).toEqual([true, true, true, false]);
    now += 19_000; // 3 per minute: one token every 20 s
    expect(login.take('alice')).toBe(false);
    now += 1_000;
    expect(login.take('alice')).toBe(true);

    const register = RateLimiter.perHour(2, () => now);
    expect([1, 2, 3].map(() => register.take('10.0.0.1'))).toEqual([true, true, false]);
    now += 1_800_000;
    expect(register.take('10.0.0.1')).toBe(true);
  });

  it('keeps memory bounded under a spray of keys and still limits the key under attack', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 2, () => now, 1000);
    expect(limiter.take('victim')).toBe(true);
    expect(limiter.take('victim')).toBe(true);
    for (let i = 0; i < 5000; i++) {
      limiter.take(`spray-${i}`);
      // The attacked key keeps being used, so it stays among the recently used and stays empty.
      if (i % 100 === 0) expect(limiter.take('victim')).toBe(false);
    }
    expect(limiter.size).toBeLessThanOrEqual(1000);
  });
});
