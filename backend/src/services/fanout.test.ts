import { describe, expect, it } from 'vitest';
import { Fanout, type Transport, type UserEvent } from './fanout.js';

function recorder(): Transport & { seen: [string[], UserEvent][]; ended: string[] } {
  const seen: [string[], UserEvent][] = [];
  const ended: string[] = [];
  return {
    seen,
    ended,
    deliver: (users, event) => void seen.push([[...users], event]),
    endSessions: async (userId, reason) => void ended.push(`${userId}:${reason}`),
    deliverTo: (ids, event) => void seen.push([[...ids], event]),
    connectionsOf: async (userId) => [`${userId}#1`],
  };
}

describe('Fanout: the core reaches users through every subscribed transport', () => {
  it('delivers each event to every transport, and stops after unsubscribing', async () => {
    const fanout = new Fanout();
    const a = recorder();
    const b = recorder();
    fanout.subscribe(a);
    const stopB = fanout.subscribe(b);
    fanout.toUsers(['u1', 'u2'], 'typing:changed', { userId: 'u3', typing: true, in: { kind: 'direct', id: 'u3' } });
    fanout.toUsers([], 'user:updated', { user: { id: 'x', username: 'x', displayName: 'X', avatarUrl: null } });
    expect(a.seen).toEqual([
      [
        ['u1', 'u2'],
        { event: 'typing:changed', data: { userId: 'u3', typing: true, in: { kind: 'direct', id: 'u3' } } },
      ],
    ]);
    expect(b.seen).toEqual(a.seen);
    stopB();
    await fanout.endSessions('u1', 'logout', {});
    expect(a.ended).toEqual(['u1:logout']);
    expect(b.ended).toEqual([]);
  });
});
