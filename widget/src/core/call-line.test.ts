import { describe, expect, it, vi } from 'vitest';
import { callLine, type CallEvent } from './call-line.js';
import type { FeatureContext } from './feature.js';

/** A feature context whose server events and resets the test fires by hand. */
function fakeContext() {
  const handlers = new Map<string, (data: unknown) => void>();
  const resets: (() => void)[] = [];
  const context = {
    on: (event: string, handler: (data: unknown) => void) => {
      handlers.set(event, handler);
      return () => handlers.delete(event);
    },
    request: vi.fn(),
    onReset: (fn: () => void) => void resets.push(fn),
  } as unknown as FeatureContext;
  return {
    context,
    fire: (event: string, data: unknown) => handlers.get(event)!(data),
    reset: () => resets.forEach((f) => f()),
  };
}

describe('the core’s call line', () => {
  it('holds call events until the call chunk attaches, and wakes it only when a call rings', () => {
    const { context, fire, reset } = fakeContext();
    const wake = vi.fn();
    const line = callLine(wake)(context);
    fire('call:ended', { callId: 'old', reason: 'timeout' });
    expect(wake).not.toHaveBeenCalled();
    fire('call:incoming', { callId: 'c1', kind: 'video' });
    expect(wake).toHaveBeenCalledTimes(1);
    const seen: CallEvent[] = [];
    line.attach((e) => seen.push(e));
    expect(seen.map((e) => e.event)).toEqual(['call:ended', 'call:incoming']);
    fire('call:signal', { callId: 'c1', signal: { type: 'candidate', candidate: null } });
    reset();
    expect(seen.map((e) => e.event)).toEqual(['call:ended', 'call:incoming', 'call:signal', 'reset']);
  });
});
