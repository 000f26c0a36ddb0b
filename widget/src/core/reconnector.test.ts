import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RECONNECT_BASE_MS, RECONNECT_CAP_MS, REFUSED_BASE_MS } from './reconnect-policy.js';
import { createReconnector } from './reconnector.js';

/** A socket that records when it was asked to connect. */
function socket() {
  return {
    connected: false,
    attempts: [] as number[],
    connect() {
      this.attempts.push(Date.now());
    },
  };
}

describe('createReconnector', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('tries again within the backoff window after each failure, growing up to the cap', () => {
    const s = socket();
    const r = createReconnector(s);
    r.lost();
    vi.advanceTimersByTime(RECONNECT_BASE_MS);
    expect(s.attempts).toHaveLength(1);
    for (let failure = 1; failure < 12; failure++) {
      const failedAt = Date.now();
      r.failed(false);
      vi.advanceTimersByTime(RECONNECT_CAP_MS);
      expect(s.attempts).toHaveLength(failure + 1);
      expect(s.attempts[failure]! - failedAt).toBeLessThan(
        Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** failure),
      );
    }
  });

  it('starts from the first step again once connected', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const s = socket();
    const r = createReconnector(s);
    for (let i = 0; i < 6; i++) r.failed(false);
    r.connected();
    r.lost();
    vi.advanceTimersByTime(RECONNECT_BASE_MS - 2);
    expect(s.attempts).toHaveLength(0);
    vi.advanceTimersByTime(2);
    expect(s.attempts).toEqual([RECONNECT_BASE_MS - 1]);
    vi.restoreAllMocks();
  });

  it("waits the server's delay after server:shutdown, once", () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const s = socket();
    const r = createReconnector(s);
    r.after(7000);
    r.lost();
    vi.advanceTimersByTime(6999);
    expect(s.attempts).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(s.attempts).toEqual([7000]);
    // That attempt failed: back to the backoff, not the hint again.
    r.failed(false);
    vi.advanceTimersByTime(RECONNECT_BASE_MS);
    expect(s.attempts).toHaveLength(2);
    vi.restoreAllMocks();
  });

  it('waits longer after refusals, and not at all once the socket is gone or connected', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    let alive = true;
    const s = socket();
    const r = createReconnector(s, () => alive);
    r.failed(true);
    vi.advanceTimersByTime(REFUSED_BASE_MS - 2);
    expect(s.attempts).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(s.attempts).toHaveLength(1);
    r.failed(true);
    alive = false;
    vi.advanceTimersByTime(60_000);
    expect(s.attempts).toHaveLength(1);
    alive = true;
    r.lost();
    s.connected = true;
    vi.advanceTimersByTime(60_000);
    expect(s.attempts).toHaveLength(1);
    vi.restoreAllMocks();
  });
});
