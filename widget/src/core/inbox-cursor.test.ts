import { describe, expect, it } from 'vitest';
import type { InboxEntry } from '@parley/backend/protocol';
import { createInboxCursor, type SyncPage } from './inbox-cursor.js';

const entry = (seq: number): InboxEntry => ({
  seq,
  kind: 'message',
  message: {
    id: `m${seq}`,
    clientId: `c${seq}`,
    conversationId: 'dm:a:b',
    senderId: 'a',
    recipientId: 'b',
    content: { kind: 'text', text: `hello ${seq}` },
    createdAt: new Date(0).toISOString(),
  },
});

/** A fake server inbox holding entries 1..head, paging `page` at a time. */
function inbox(head: number, page = 3) {
  const calls: number[] = [];
  const fetchPage = async (after: number): Promise<SyncPage> => {
    calls.push(after);
    const entries = [];
    for (let s = after + 1; s <= Math.min(head, after + page); s++) entries.push(entry(s));
    return { entries, hasMore: after + page < head };
  };
  return { fetchPage, calls, grow: (n: number) => (head = n) };
}

describe('InboxCursor', () => {
  it('applies live entries in order and drops ones it already has', () => {
    const applied: number[] = [];
    const saved: number[] = [];
    const cursor = createInboxCursor(
      0,
      inbox(0).fetchPage,
      (e) => applied.push(e.seq),
      (s) => saved.push(s),
    );
    cursor.receive(entry(1));
    cursor.receive(entry(1));
    cursor.receive(entry(2));
    expect(applied).toEqual([1, 2]);
    expect(saved.at(-1)).toBe(2);
  });

  it('syncs every page after the cursor, once each', async () => {
    const applied: number[] = [];
    const server = inbox(10);
    const cursor = createInboxCursor(
      2,
      server.fetchPage,
      (e) => applied.push(e.seq),
      () => {},
    );
    await cursor.sync();
    expect(applied).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(server.calls).toEqual([2, 5, 8]);
  });

  it('holds an entry from further ahead until the ones before it arrive, without a sync', () => {
    const applied: number[] = [];
    const server = inbox(0);
    const cursor = createInboxCursor(
      1,
      server.fetchPage,
      (e) => applied.push(e.seq),
      () => {},
      1_000,
    );
    // As in a cluster: the acknowledgement of the user's own message (4, 5) overtakes the entries
    // of others' messages stored before it (2, 3), which come through Redis a moment later.
    cursor.receive(entry(4));
    cursor.receive(entry(5));
    expect(applied).toEqual([]);
    cursor.receive(entry(2));
    expect(applied).toEqual([2]);
    cursor.receive(entry(3));
    expect(applied).toEqual([2, 3, 4, 5]);
    expect(server.calls).toEqual([]);
  });

  it('fills a gap: an entry from further ahead triggers a sync when the ones before it do not come', async () => {
    const applied: number[] = [];
    const server = inbox(5, 10);
    const cursor = createInboxCursor(
      1,
      server.fetchPage,
      (e) => applied.push(e.seq),
      () => {},
      10,
    );
    cursor.receive(entry(5));
    expect(applied).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(server.calls).toEqual([1]);
    expect(applied).toEqual([2, 3, 4, 5]);
    cursor.receive(entry(4));
    cursor.receive(entry(5));
    expect(applied).toEqual([2, 3, 4, 5]);
  });

  it('goes round again when a live entry arrives past what a running sync read', async () => {
    const applied: number[] = [];
    const server = inbox(3, 10);
    const cursor = createInboxCursor(
      0,
      server.fetchPage,
      (e) => applied.push(e.seq),
      () => {},
    );
    const running = cursor.sync();
    server.grow(4);
    cursor.receive(entry(4)); // arrives while the first page is in flight
    await running;
    expect(applied).toEqual([1, 2, 3, 4]);
  });
});
