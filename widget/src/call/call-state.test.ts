import { describe, expect, it } from 'vitest';
import { closesSilently, incoming, outgoing, reduceCall, refusalCause } from './call-state.js';

const bob = { id: 'u-bob', username: 'bob', displayName: 'Bob', avatarUrl: null };

describe('call state', () => {
  it('an outgoing call rings, connects, reconnects and ends with the time since the answer', () => {
    let s = outgoing(bob, 'video');
    s = reduceCall(s, { type: 'invited', callId: 'c1' });
    expect(s).toMatchObject({ callId: 'c1', phase: 'outgoing' });
    s = reduceCall(s, { type: 'connection', state: 'connected' });
    expect(s.phase).toBe('outgoing'); // nothing connects before the answer
    s = reduceCall(s, { type: 'accepted', at: 1000 });
    expect(s).toMatchObject({ phase: 'connecting', answeredAt: 1000 });
    s = reduceCall(s, { type: 'connection', state: 'connected' });
    expect(s.phase).toBe('connected');
    s = reduceCall(s, { type: 'connection', state: 'disconnected' });
    expect(s.phase).toBe('reconnecting');
    s = reduceCall(s, { type: 'connection', state: 'connected' });
    s = reduceCall(s, { type: 'ended', cause: 'hangup', at: 84_000 });
    expect(s).toMatchObject({ phase: 'ended', cause: 'hangup', durationMs: 83_000 });
    // Nothing revives an ended call.
    expect(reduceCall(s, { type: 'connection', state: 'connected' })).toBe(s);
  });

  it('the server’s duration wins; a failed connection shows as failed', () => {
    let s = reduceCall(incoming('c2', bob, 'audio'), { type: 'accepted', at: 0 });
    s = reduceCall(s, { type: 'connection', state: 'failed' });
    expect(s.phase).toBe('failed');
    s = reduceCall(s, { type: 'ended', cause: 'disconnected', durationMs: 5000, at: 9999 });
    expect(s.durationMs).toBe(5000);
  });

  it('maps invite refusals to what the caller sees', () => {
    expect(refusalCause('callee_unavailable')).toBe('unavailable');
    expect(refusalCause('callee_busy')).toBe('busy');
    expect(refusalCause('blocked')).toBe('refused');
    expect(refusalCause('forbidden')).toBe('refused');
    expect(refusalCause(undefined)).toBe('error');
  });

  it('a call that stops ringing here (elsewhere, cancelled) closes without a word; a declined outgoing call says so', () => {
    const ringing = incoming('c3', bob, 'video');
    expect(closesSilently(reduceCall(ringing, { type: 'ended', cause: 'answered_elsewhere', at: 1 }))).toBe(true);
    expect(closesSilently(reduceCall(ringing, { type: 'ended', cause: 'cancelled', at: 1 }))).toBe(true);
    const declined = reduceCall(outgoing(bob, 'audio'), { type: 'ended', cause: 'declined', at: 1 });
    expect(closesSilently(declined)).toBe(false);
    expect(declined.durationMs).toBeNull();
  });
});
