import { beforeEach, describe, expect, it } from 'vitest';
import { createOutbox } from './outbox.js';

const saved = new Map<string, string>();
const localStorage = {
  getItem: (key: string) => saved.get(key) ?? null,
  setItem: (key: string, value: string) => void saved.set(key, value),
  removeItem: (key: string) => void saved.delete(key),
};
Object.assign(globalThis, { window: { localStorage } });

const message = (clientId: string) => ({
  clientId,
  senderId: 'me',
  recipientId: 'bob',
  content: { kind: 'text' as const, text: `hello ${clientId}` },
  createdAt: '2026-12-01T00:00:00.000Z',
});

describe('Outbox', () => {
  beforeEach(() => saved.clear());

  it('keeps pending messages across a reload and forgets them once sent', () => {
    const outbox = createOutbox('k');
    outbox.add(message('a'));
    outbox.add(message('b'));
    expect(
      createOutbox('k')
        .all()
        .map((m) => m.clientId),
    ).toEqual(['a', 'b']);
    outbox.remove('a');
    outbox.remove('b');
    expect(saved.has('k')).toBe(false);
  });

  it('takes messages a protocol 1 widget saved with `body`, and drops what it cannot read', () => {
    const { content, ...v1 } = message('old');
    saved.set('k', JSON.stringify([{ ...v1, body: content.text, state: 'pending' }, { clientId: 7 }]));
    expect(createOutbox('k').all()).toEqual([{ ...message('old'), state: 'pending', id: null }]);
    saved.set('k', '{not json');
    expect(createOutbox('k').all()).toEqual([]);
    expect(saved.has('k')).toBe(false);
  });

  it('keeps a reply’s quote across a reload, and drops an entry whose quote is malformed', () => {
    const replyTo = { id: 'm1', senderId: 'bob', kind: 'text' as const, excerpt: 'the original' };
    createOutbox('k').add({ ...message('r'), replyTo });
    expect(createOutbox('k').all()).toEqual([{ ...message('r'), replyTo, state: 'pending', id: null }]);
    saved.set('k', JSON.stringify([{ ...message('x'), replyTo: { id: 5 }, state: 'pending' }]));
    expect(createOutbox('k').all()).toEqual([]);
  });
});
