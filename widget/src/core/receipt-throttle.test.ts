import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReceiptThrottle, type ReceiptThrottle, type ReceiptKind } from './receipt-throttle.js';

describe('ReceiptThrottle', () => {
  let sent: [string, ReceiptKind, string][];
  let throttle: ReceiptThrottle;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    throttle = createReceiptThrottle((key, kind, upTo) => sent.push([key, kind, upTo]), 250);
  });
  afterEach(() => vi.useRealTimers());

  it('sends the first receipt at once and merges a burst into one at the window’s end', () => {
    throttle.push('bob', 'delivered', 'm1');
    expect(sent).toEqual([['bob', 'delivered', 'm1']]);
    throttle.push('bob', 'delivered', 'm3');
    throttle.push('bob', 'delivered', 'm2');
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([
      ['bob', 'delivered', 'm1'],
      ['bob', 'delivered', 'm3'],
    ]);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
  });

  it('sends a read that follows a delivered receipt at once, covering everything seen', () => {
    throttle.push('bob', 'delivered', 'm1');
    throttle.push('bob', 'delivered', 'm4');
    throttle.push('bob', 'read', 'm2');
    expect(sent).toEqual([
      ['bob', 'delivered', 'm1'],
      ['bob', 'read', 'm4'],
    ]);
    // A later read in the new window waits for its end.
    throttle.push('bob', 'read', 'm5');
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(250);
    expect(sent.at(-1)).toEqual(['bob', 'read', 'm5']);
  });

  it('keeps conversations apart', () => {
    throttle.push('bob', 'read', 'm1');
    throttle.push('carol', 'delivered', 'x1');
    expect(sent).toEqual([
      ['bob', 'read', 'm1'],
      ['carol', 'delivered', 'x1'],
    ]);
  });

  it('flush sends what waits and nothing twice; clear drops it', () => {
    throttle.push('bob', 'read', 'm1');
    throttle.push('bob', 'read', 'm2');
    throttle.push('carol', 'delivered', 'x1');
    throttle.flush();
    expect(sent).toEqual([
      ['bob', 'read', 'm1'],
      ['carol', 'delivered', 'x1'],
      ['bob', 'read', 'm2'],
    ]);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(3);
    throttle.push('bob', 'read', 'm3');
    throttle.push('bob', 'read', 'm4');
    throttle.clear();
    vi.advanceTimersByTime(1000);
    expect(sent.at(-1)).toEqual(['bob', 'read', 'm3']);
  });
});
