import { describe, expect, it } from 'vitest';
import type { ShownMessage } from './conversations.js';
import { canDeleteForEveryone, canEdit, canReact } from './message-changes.js';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const minutesAgo = (n: number) => new Date(NOW - n * 60_000).toISOString();
const message = (over: Partial<ShownMessage> = {}): ShownMessage => ({
  id: 'm1',
  clientId: 'c1',
  senderId: 'me',
  recipientId: 'bob',
  content: { kind: 'text', text: 'hi' },
  createdAt: minutesAgo(1),
  state: 'sent',
  ...over,
});

describe('what the actions menu offers', () => {
  it('edit: the user’s own stored text or caption, within the default window', () => {
    expect(canEdit(message(), 'me', NOW)).toBe(true);
    expect(canEdit(message({ createdAt: minutesAgo(14) }), 'me', NOW)).toBe(true);
    expect(canEdit(message({ createdAt: minutesAgo(16) }), 'me', NOW)).toBe(false);
    expect(canEdit(message({ senderId: 'bob' }), 'me', NOW)).toBe(false);
    expect(canEdit(message({ id: null, state: 'pending' }), 'me', NOW)).toBe(false);
    expect(canEdit(message({ content: { kind: 'deleted' } }), 'me', NOW)).toBe(false);
    const file = { id: 'f', name: 'a.pdf', size: 1, mime: 'application/pdf', media: 'file' as const };
    expect(canEdit(message({ content: { kind: 'file', file } }), 'me', NOW)).toBe(true);
  });

  it('delete for everyone: one’s own; in a room, anyone’s for the owner and admins', () => {
    expect(canDeleteForEveryone(message(), 'me', null)).toBe(true);
    expect(canDeleteForEveryone(message({ senderId: 'bob' }), 'me', null)).toBe(false);
    const inRoom = message({ senderId: 'bob', roomId: 'r1', recipientId: '' });
    expect(canDeleteForEveryone(inRoom, 'me', 'member')).toBe(false);
    expect(canDeleteForEveryone(inRoom, 'me', 'admin')).toBe(true);
    expect(canDeleteForEveryone(inRoom, 'me', 'owner')).toBe(true);
    // Someone else's direct message stays theirs whatever roles the user has elsewhere.
    expect(canDeleteForEveryone(message({ senderId: 'bob' }), 'me', 'owner')).toBe(false);
    expect(canDeleteForEveryone(message({ content: { kind: 'deleted' } }), 'me', null)).toBe(false);
  });

  it('reactions: stored messages that are neither deleted nor call logs', () => {
    expect(canReact(message({ senderId: 'bob' }))).toBe(true);
    expect(canReact(message({ content: { kind: 'deleted' } }))).toBe(false);
    expect(canReact(message({ id: null, state: 'pending' }))).toBe(false);
  });
});
