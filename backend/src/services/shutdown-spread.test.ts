import { describe, expect, it } from 'vitest';
import {
  MAX_WINDOW_MS,
  MIN_WINDOW_MS,
  READMIT_PER_SECOND,
  shutdownWindowMs,
  spreadDelayMs,
} from './shutdown-spread.js';

describe('the spread of clients after server:shutdown', () => {
  it('grows the window with the number of clients, within its bounds', () => {
    expect(shutdownWindowMs(0)).toBe(MIN_WINDOW_MS);
    expect(shutdownWindowMs(10)).toBe(MIN_WINDOW_MS);
    expect(shutdownWindowMs(5 * READMIT_PER_SECOND)).toBe(5000);
    expect(shutdownWindowMs(1_000_000)).toBe(MAX_WINDOW_MS);
  });

  it('gives each client a delay in its own slot, so arrivals per second stay near the admission rate', () => {
    const count = 5000;
    const window = shutdownWindowMs(count);
    const delays = Array.from({ length: count }, (_, i) => spreadDelayMs(i, count, window));
    for (const [i, d] of delays.entries()) {
      expect(d).toBeGreaterThanOrEqual(Math.floor((i * window) / count));
      expect(d).toBeLessThanOrEqual(Math.ceil(((i + 1) * window) / count));
    }
    const perSecond = new Map<number, number>();
    for (const d of delays) perSecond.set(Math.floor(d / 1000), (perSecond.get(Math.floor(d / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(READMIT_PER_SECOND + 1);
  });

  it('draws a new point within the slot each time (no client is always first)', () => {
    const first = new Set(Array.from({ length: 20 }, () => spreadDelayMs(0, 10, 10_000)));
    expect(first.size).toBeGreaterThan(1);
    expect(Math.max(...first)).toBeLessThan(1000);
  });
});
