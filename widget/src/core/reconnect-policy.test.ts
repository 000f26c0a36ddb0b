import { describe, expect, it } from 'vitest';
import {
  RECONNECT_BASE_MS,
  RECONNECT_CAP_MS,
  REFUSED_BASE_MS,
  REFUSED_CAP_MS,
  SHUTDOWN_HINT_MAX_MS,
  reconnectDelay,
  refusedDelay,
  shutdownDelay,
} from './reconnect-policy.js';

/** A random source that returns the given values in turn. */
const fixed =
  (...values: number[]) =>
  () =>
    values.length > 1 ? values.shift()! : values[0]!;

describe('reconnectDelay: exponential backoff with full jitter', () => {
  it('spans the whole window from 0 to base · 2^attempt', () => {
    expect(reconnectDelay(0, fixed(0))).toBe(0);
    expect(reconnectDelay(0, fixed(0.999_999))).toBe(RECONNECT_BASE_MS - 1);
    expect(reconnectDelay(1, fixed(0.5))).toBe(RECONNECT_BASE_MS);
    expect(reconnectDelay(2, fixed(0.999_999))).toBe(4 * RECONNECT_BASE_MS - 1);
  });

  it('never waits longer than the cap, however many attempts failed (and takes odd input)', () => {
    for (const attempt of [4, 10, 50, 1e9, Number.POSITIVE_INFINITY]) {
      expect(reconnectDelay(attempt, fixed(0.999_999))).toBe(RECONNECT_CAP_MS - 1);
    }
    expect(reconnectDelay(-3, fixed(0.999_999))).toBe(RECONNECT_BASE_MS - 1);
    expect(reconnectDelay(Number.NaN, fixed(0.5))).toBe(RECONNECT_CAP_MS / 2);
  });

  it('spreads clients that lost the server at once evenly over the window (no waves)', () => {
    const n = 20_000;
    const buckets = Array.from({ length: 10 }, () => 0);
    for (let i = 0; i < n; i++) buckets[Math.floor(reconnectDelay(8) / (RECONNECT_CAP_MS / 10))]!++;
    // Uniform: every tenth of the window holds about a tenth of the clients.
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 10 / 4);
  });

  it('brings every client back within the cap once the server listens again', () => {
    // Simulate 5,000 clients retrying against a dead server for 12 s, then count how long after
    // the server is back each one tries again.
    const up = 12_000;
    let latest = 0;
    for (let c = 0; c < 5000; c++) {
      let t = 0;
      for (let attempt = 0; t < up; attempt++) t += reconnectDelay(attempt) + 1;
      latest = Math.max(latest, t - up);
    }
    expect(latest).toBeLessThanOrEqual(RECONNECT_CAP_MS);
  });
});

describe('refusedDelay', () => {
  it('backs off from a second up to half a minute after refusals', () => {
    expect(refusedDelay(1, fixed(0.999_999))).toBe(REFUSED_BASE_MS - 1);
    expect(refusedDelay(2, fixed(0.999_999))).toBe(2 * REFUSED_BASE_MS - 1);
    expect(refusedDelay(40, fixed(0.999_999))).toBe(REFUSED_CAP_MS - 1);
  });
});

describe('shutdownDelay: the server says when to come back', () => {
  it("takes the connection's own delay when the server gives one", () => {
    expect(shutdownDelay({ reconnectWithinMs: 10_000, reconnectAfterMs: 4321 }, fixed(0))).toBe(4321);
  });

  it('draws within the window when the server gives only the window (an older server)', () => {
    expect(shutdownDelay({ reconnectWithinMs: 2000 }, fixed(0.5))).toBe(1000);
  });

  it('cannot be told to wait for ever, or a negative time', () => {
    expect(shutdownDelay({ reconnectWithinMs: 0, reconnectAfterMs: 1e12 })).toBe(SHUTDOWN_HINT_MAX_MS);
    expect(shutdownDelay({ reconnectWithinMs: 0, reconnectAfterMs: -5 })).toBe(0);
    expect(shutdownDelay({ reconnectWithinMs: Number.POSITIVE_INFINITY }, fixed(0.5))).toBe(0);
  });
});
