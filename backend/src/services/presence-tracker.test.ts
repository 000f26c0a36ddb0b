import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PresenceTracker } from './presence-tracker.js';

describe('PresenceTracker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const events: string[] = [];
    const tracker = new PresenceTracker(1000, {
      online: (id) => events.push(`online ${id}`),
      offline: (id) => events.push(`offline ${id}`),
    });
    return { tracker, events };
  }

  it('is online while any connection is open and announces only the first and the last', () => {
    const { tracker, events } = setup();
    tracker.connect('u');
    tracker.connect('u');
    tracker.disconnect('u');
    vi.advanceTimersByTime(5000);
    expect(events).toEqual(['online u']);
    tracker.disconnect('u');
    expect(tracker.isOnline('u')).toBe(true); // within the grace period
    vi.advanceTimersByTime(1000);
    expect(events).toEqual(['online u', 'offline u']);
    expect(tracker.isOnline('u')).toBe(false);
  });

  it('hides a reconnect within the grace period', () => {
    const { tracker, events } = setup();
    tracker.connect('u');
    tracker.disconnect('u');
    vi.advanceTimersByTime(900);
    tracker.connect('u');
    vi.advanceTimersByTime(5000);
    expect(events).toEqual(['online u']);
  });

  it('flush ends every grace period at once', () => {
    const { tracker, events } = setup();
    tracker.connect('a');
    tracker.connect('b');
    tracker.disconnect('a');
    tracker.disconnect('b');
    tracker.flush();
    expect(events).toEqual(['online a', 'online b', 'offline a', 'offline b']);
  });
});
