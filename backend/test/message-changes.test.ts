import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  Limits,
  REACTIONS,
  type ChatMessage,
  type ConversationKey,
  type InboxEntry,
  type MessageChange,
  type ReactionEmoji,
} from '../src/protocol/index.js';
import { sweepRetention } from '../src/services/retention.js';
import { openForReading } from './services.js';
import { codeOf, sleep, uploadFile, useServer, waitFor, type SignedIn, type TestClient } from './support.js';

/**
 * Edits, deletions (for everyone, for oneself), replies and reactions (issue 18): each is an event
 * of the conversation, stored in one transaction with an inbox entry for everyone in it, so every
 * device, and every device that was offline, ends in the same state. Runs on SQLite and, in the
 * postgres project, on PostgreSQL with Redis.
 */
let clockOffsetMs = 0;
const server = useServer({
  // Edit windows are checked against this clock: a test moves it past the window.
  clock: () => new Date(Date.now() + clockOffsetMs),
  sites: [
    { id: 'strict', settings: { editWindowMinutes: 0 } },
    { id: 'brief', settings: { retentionDays: 1 } },
  ],
});

const direct = (id: string): ConversationKey => ({ kind: 'direct', id });
const room = (id: string): ConversationKey => ({ kind: 'room', id });
const changesOf = (entries: InboxEntry[], messageId: string): (MessageChange & { seq: number })[] =>
  entries.flatMap((e) =>
    e.kind === 'change' && e.change.message.id === messageId ? [{ ...e.change, seq: e.seq }] : [],
  );
/** The copy a client keeps: the one with the highest `rev`. */
const newest = (copies: ChatMessage[]): ChatMessage | undefined =>
  copies.reduce<ChatMessage | undefined>((best, m) => (!best || (m.rev ?? 0) > (best.rev ?? 0) ? m : best), undefined);
const textOf = (m: ChatMessage) => ('text' in m.content ? m.content.text : undefined);
const headOf = async (client: TestClient) => (await client.ok('inbox:sync', { after: 0, limit: 1 })).head;
async function historyMessage(client: TestClient, key: ConversationKey, id: string): Promise<ChatMessage> {
  const page = await client.ok('message:history', { in: key, limit: 100 });
  const found = page.messages.find((m) => m.id === id);
  if (!found) throw new Error(`message ${id} is not in the history`);
  return found;
}

/** A room of `owner` with `members` (accepted); returns its id. */
async function roomOf(owner: SignedIn, members: { id: string; tab: SignedIn }[], name: string): Promise<string> {
  const { room: created } = await owner.ok('room:create', { name, invite: members.map((m) => m.id) });
  for (const m of members) await m.tab.ok('room:accept', { roomId: created.id });
  return created.id;
}

describe('editing', () => {
  it('shows everyone the new text with an edited mark, and keeps the earlier texts for the sender only', async () => {
    const [, bob, aTab, bTab] = await server.buddies('ed1a', 'ed1b');
    const sent = (await aTab.send(bob.id, 'helo wrold')).message;
    const first = await aTab.ok('message:edit', { in: direct(bob.id), messageId: sent.id, text: 'hello wrold' });
    expect(first.message).toMatchObject({ id: sent.id, content: { kind: 'text', text: 'hello wrold' }, rev: 1 });
    expect(first.message.editedAt).toBeTypeOf('string');
    const second = await aTab.ok('message:edit', { in: direct(bob.id), messageId: sent.id, text: 'hello world' });
    expect(second.message.rev).toBe(2);

    // Both sides get the change through their inbox, live.
    for (const tab of [aTab, bTab]) {
      const changes = await waitFor(() => {
        const c = changesOf(tab.entries, sent.id);
        return c.length === 2 && c;
      });
      expect(changes.map((c) => [c.action, c.by, c.message.rev])).toEqual([
        ['edit', aTab.ready.user.id, 1],
        ['edit', aTab.ready.user.id, 2],
      ]);
      expect(textOf(newest(changes.map((c) => c.message))!)).toBe('hello world');
    }
    expect(textOf(await historyMessage(bTab, direct(aTab.ready.user.id), sent.id))).toBe('hello world');

    // The earlier texts, oldest first, for the sender only.
    const { edits } = await aTab.ok('message:edits', { in: direct(bob.id), messageId: sent.id });
    expect(edits.map((e) => e.text)).toEqual(['helo wrold', 'hello wrold']);
    expect(await codeOf(bTab.request('message:edits', { in: direct(aTab.ready.user.id), messageId: sent.id }))).toBe(
      ErrorCode.Forbidden,
    );
  });

  it('edits the caption of a file message', async () => {
    const [, bob, aTab] = await server.buddies('ed2a', 'ed2b');
    const up = await uploadFile(server, aTab.token, Buffer.from('some notes'), {
      name: 'notes.txt',
      conversation: `direct:${bob.id}`,
    });
    const sent = await aTab.ok('message:send', {
      in: direct(bob.id),
      clientId: 'file-caption-1',
      content: { kind: 'file', fileId: up.id, text: 'notse' },
    });
    const { message } = await aTab.ok('message:edit', {
      in: direct(bob.id),
      messageId: sent.message.id,
      text: 'notes',
    });
    expect(message.content).toMatchObject({ kind: 'file', file: { id: up.id, name: 'notes.txt' }, text: 'notes' });
  });
});

describe('refusals', () => {
  it('refuses editing or deleting another user’s message, after the window, and outside the conversation', async () => {
    // Carol is a buddy of Alice's, not Bob's.
    const carol = await server.user('rf1c');
    const alice = await server.user('rf1a', { buddies: ['rf1c'] });
    const bob = await server.user('rf1b', { buddies: ['rf1a'] });
    const [aTab, bTab, cTab] = await Promise.all([alice, bob, carol].map((u) => u.connect()));
    const sent = (await aTab.send(bob.id, 'mine')).message;
    const edit = (tab: TestClient, key: ConversationKey, text = 'changed') =>
      codeOf(tab.request('message:edit', { in: key, messageId: sent.id, text }));
    const del = (tab: TestClient, key: ConversationKey) =>
      codeOf(tab.request('message:delete', { in: key, messageId: sent.id, for: 'everyone' }));

    // Bob is in the conversation, but it is not his message.
    expect(await edit(bTab, direct(alice.id))).toBe(ErrorCode.Forbidden);
    expect(await del(bTab, direct(alice.id))).toBe(ErrorCode.Forbidden);
    // Carol is not in it: in her own chat with Alice there is no such message.
    expect(await edit(cTab, direct(alice.id))).toBe(ErrorCode.NotFound);
    expect(await del(cTab, direct(alice.id))).toBe(ErrorCode.NotFound);
    expect(await codeOf(cTab.request('message:edits', { in: direct(alice.id), messageId: sent.id }))).toBe(
      ErrorCode.NotFound,
    );
    expect(
      await codeOf(cTab.request('message:react', { in: direct(alice.id), messageId: sent.id, emoji: '👍', on: true })),
    ).toBe(ErrorCode.NotFound);
    // A message id of this conversation named in another one.
    expect(await edit(aTab, direct(carol.id))).toBe(ErrorCode.NotFound);

    // After the window (15 minutes by default): too late, for the sender too.
    clockOffsetMs = (Limits.editWindowMinutesDefault + 1) * 60_000;
    try {
      expect(await edit(aTab, direct(bob.id))).toBe(ErrorCode.TooLate);
    } finally {
      clockOffsetMs = 0;
    }
    // Within it again, it works; nothing refused above changed anything.
    expect(await edit(aTab, direct(bob.id), 'changed once')).toBe('ok');
    const stored = await historyMessage(aTab, direct(bob.id), sent.id);
    expect(stored).toMatchObject({ content: { kind: 'text', text: 'changed once' }, rev: 1 });
    expect(changesOf(cTab.entries, sent.id)).toEqual([]);

    // Deleted: no more edits or reactions.
    await aTab.ok('message:delete', { in: direct(bob.id), messageId: sent.id, for: 'everyone' });
    expect(await edit(aTab, direct(bob.id))).toBe(ErrorCode.Forbidden);
    expect(
      await codeOf(bTab.request('message:react', { in: direct(alice.id), messageId: sent.id, emoji: '👍', on: true })),
    ).toBe(ErrorCode.Forbidden);
  });

  it('refuses editing or reacting to a call log; a reply quotes it with no text', async () => {
    const alice = await server.user('rf4a');
    const bob = await server.user('rf4b', { buddies: ['rf4a'] });
    const aTab = await alice.connect();
    // Bob has no device online: the call is stored as a missed call, sent as from Alice.
    expect(await codeOf(aTab.request('call:invite', { to: bob.id, kind: 'audio' }))).toBe(ErrorCode.CalleeUnavailable);
    const log = await waitFor(() => aTab.messages.find((e) => e.message.content.kind === 'call'));
    const ref = { in: direct(bob.id), messageId: log.message.id };
    expect(await codeOf(aTab.request('message:edit', { ...ref, text: 'no call' }))).toBe(ErrorCode.Forbidden);
    expect(await codeOf(aTab.request('message:react', { ...ref, emoji: '😢', on: true }))).toBe(ErrorCode.Forbidden);
    const reply = await aTab.ok('message:send', {
      in: direct(bob.id),
      clientId: 'rf4-reply',
      content: { kind: 'text', text: 'call me back' },
      replyTo: log.message.id,
    });
    expect(reply.message.replyTo).toEqual({ id: log.message.id, senderId: alice.id, kind: 'call', excerpt: '' });
    expect((await historyMessage(aTab, direct(bob.id), log.message.id)).rev).toBeUndefined();
  });

  it('follows the site’s edit window (0: no edits)', async () => {
    const a = await server.user('rf2a', { site: 'strict' });
    const b = await server.user('rf2b', { site: 'strict', buddies: ['rf2a'] });
    const aTab = await a.connect();
    const sent = (await aTab.send(b.id, 'final')).message;
    await sleep(5);
    expect(
      await codeOf(aTab.request('message:edit', { in: direct(b.id), messageId: sent.id, text: 'not final' })),
    ).toBe(ErrorCode.TooLate);
  });

  it('answers bad_request to bad payloads', async () => {
    const [, bob, aTab] = await server.buddies('rf3a', 'rf3b');
    const sent = (await aTab.send(bob.id, 'hi')).message;
    const ref = { in: direct(bob.id), messageId: sent.id };
    for (const [event, payload] of [
      ['message:react', { ...ref, emoji: '💩', on: true }],
      ['message:react', { ...ref, emoji: '👍' }],
      ['message:edit', { ...ref, text: '   ' }],
      ['message:edit', { ...ref, text: '' }],
      ['message:edit', { ...ref, text: 'x'.repeat(Limits.messageBody + 1) }],
      ['message:delete', { ...ref, for: 'them' }],
      ['message:edits', { ...ref, extra: 1 }],
      ['message:send', { in: direct(bob.id), clientId: 'r-1', content: { kind: 'text', text: 'x' }, replyTo: '' }],
    ] as const) {
      expect(await codeOf(aTab.request(event, payload)), `${event} ${JSON.stringify(payload)}`).toBe(
        ErrorCode.BadRequest,
      );
    }
    expect(await historyMessage(aTab, direct(bob.id), sent.id)).toMatchObject({ content: { text: 'hi' } });
    expect((await historyMessage(aTab, direct(bob.id), sent.id)).rev).toBeUndefined();
  });
});

describe('deleting', () => {
  it('lets a room admin delete a member’s message for everyone; a member cannot delete another’s', async () => {
    // Rooms invite buddies: everyone is a buddy of the owner's.
    const owner = await server.user('dl1o');
    const admin = await server.user('dl1a', { buddies: ['dl1o'] });
    const member = await server.user('dl1m', { buddies: ['dl1o'] });
    const other = await server.user('dl1x', { buddies: ['dl1o'] });
    const [oTab, aTab, mTab, xTab] = await Promise.all([owner, admin, member, other].map((u) => u.connect()));
    const roomId = await roomOf(
      oTab,
      [
        { id: admin.id, tab: aTab },
        { id: member.id, tab: mTab },
        { id: other.id, tab: xTab },
      ],
      'Deletions',
    );
    await oTab.ok('room:role', { roomId, userId: admin.id, role: 'admin' });
    const key = room(roomId);
    const mine = (await mTab.send(key, 'a message from the member @dl1x')).message;
    const reply = (
      await xTab.ok('message:send', {
        in: key,
        clientId: 'dl1-reply',
        content: { kind: 'text', text: 'answering' },
        replyTo: mine.id,
      })
    ).message;
    await oTab.ok('message:react', { in: key, messageId: mine.id, emoji: '❤️', on: true });

    // Another member may not; the admin may.
    expect(await codeOf(xTab.request('message:delete', { in: key, messageId: mine.id, for: 'everyone' }))).toBe(
      ErrorCode.Forbidden,
    );
    const { message: tombstone } = await aTab.ok('message:delete', { in: key, messageId: mine.id, for: 'everyone' });
    expect(tombstone).toMatchObject({ id: mine.id, senderId: member.id, content: { kind: 'deleted' }, rev: 2 });
    expect(tombstone.deletedAt).toBeTypeOf('string');
    expect(tombstone.reactions).toBeUndefined();
    expect(tombstone.mentions).toBeUndefined();

    // Every member's devices hear of it, with who deleted it.
    for (const tab of [oTab, aTab, mTab, xTab]) {
      const change = await waitFor(() => changesOf(tab.entries, mine.id).find((c) => c.action === 'delete'));
      expect(change.by).toBe(admin.id);
      expect(change.message.content).toEqual({ kind: 'deleted' });
    }
    // The tombstone stays in place; the reply's quote shows it deleted.
    expect((await historyMessage(xTab, key, mine.id)).content).toEqual({ kind: 'deleted' });
    expect((await historyMessage(xTab, key, reply.id)).replyTo).toEqual({
      id: mine.id,
      senderId: member.id,
      kind: 'deleted',
      excerpt: '',
    });
    // The owner too may delete anyone's message; a member their own.
    const second = (await mTab.send(key, 'second')).message;
    expect(
      (await oTab.ok('message:delete', { in: key, messageId: second.id, for: 'everyone' })).message.content,
    ).toEqual({ kind: 'deleted' });
    const own = (await xTab.send(key, 'my own')).message;
    expect((await xTab.ok('message:delete', { in: key, messageId: own.id, for: 'everyone' })).message.content).toEqual({
      kind: 'deleted',
    });
  });

  it('removes the file of a deleted file message, and its earlier texts', async () => {
    const [, bob, aTab] = await server.buddies('dl2a', 'dl2b');
    const up = await uploadFile(server, aTab.token, Buffer.from('to be deleted'), {
      name: 'gone.txt',
      conversation: `direct:${bob.id}`,
    });
    const sent = await aTab.ok('message:send', {
      in: direct(bob.id),
      clientId: 'dl2-file',
      content: { kind: 'file', fileId: up.id, text: 'caption' },
    });
    await aTab.ok('message:edit', { in: direct(bob.id), messageId: sent.message.id, text: 'caption 2' });
    await aTab.ok('message:delete', { in: direct(bob.id), messageId: sent.message.id, for: 'everyone' });
    expect(await server.app.store.fileSentIn(up.id, sent.message.conversationId)).toBe(false);
    expect(await server.app.store.messageEdits(sent.message.id)).toEqual([]);
    const { edits } = await aTab.ok('message:edits', { in: direct(bob.id), messageId: sent.message.id });
    expect(edits).toEqual([]);
  });

  it('deletes for me: a hidden entry for the caller’s devices only, once', async () => {
    const [alice, bob, aTab, bTab] = await server.buddies('dl3a', 'dl3b');
    const aPhone = await server.connect('dl3a');
    const sent = (await bTab.send(alice.id, 'hide me')).message;
    const bobHead = await headOf(bTab);
    const result = await aTab.ok('message:delete', { in: direct(bob.id), messageId: sent.id, for: 'me' });
    expect(result.message).toBeNull();
    const hidden = await waitFor(() => aPhone.entries.find((e) => e.kind === 'hidden'));
    expect(hidden).toMatchObject({ kind: 'hidden', hidden: { in: direct(bob.id), messageId: sent.id } });
    const aliceHead = await headOf(aTab);
    expect(aliceHead).toBe(hidden.seq);

    // Again: nothing new. Bob was told nothing, and his message is untouched.
    await aTab.ok('message:delete', { in: direct(bob.id), messageId: sent.id, for: 'me' });
    await sleep(200);
    expect(await headOf(aTab)).toBe(aliceHead);
    expect(aPhone.entries.filter((e) => e.kind === 'hidden')).toHaveLength(1);
    expect(await headOf(bTab)).toBe(bobHead);
    expect(bTab.entries.some((e) => e.kind === 'hidden' || e.kind === 'change')).toBe(false);
    expect(await historyMessage(bTab, direct(alice.id), sent.id)).toMatchObject({ content: { text: 'hide me' } });
    // A device that was away learns it by syncing.
    const synced = await (await server.connect('dl3a')).syncAll(0);
    expect(synced.filter((e) => e.kind === 'hidden')).toEqual([hidden]);
  });

  it('deleting twice answers the tombstone and sends nothing new', async () => {
    const [alice, bob, aTab, bTab] = await server.buddies('dl4a', 'dl4b');
    const sent = (await aTab.send(bob.id, 'once')).message;
    const first = await aTab.ok('message:delete', { in: direct(bob.id), messageId: sent.id, for: 'everyone' });
    await waitFor(() => changesOf(bTab.entries, sent.id).length === 1);
    const heads = [await headOf(aTab), await headOf(bTab)];
    const again = await aTab.ok('message:delete', { in: direct(bob.id), messageId: sent.id, for: 'everyone' });
    expect(again.message).toEqual(first.message);
    await sleep(200);
    expect([await headOf(aTab), await headOf(bTab)]).toEqual(heads);
    expect(changesOf(bTab.entries, sent.id)).toHaveLength(1);
    expect(changesOf(await bTab.syncAll(0), sent.id)).toHaveLength(1);
    expect((await historyMessage(bTab, direct(alice.id), sent.id)).rev).toBe(1);
  });
});

describe('replies', () => {
  it('carry an excerpt of the quoted message that follows its edits and deletion', async () => {
    const carol = await server.user('rp1c');
    const alice = await server.user('rp1a');
    const bob = await server.user('rp1b', { buddies: ['rp1a', 'rp1c'] });
    const [aTab, bTab] = await Promise.all([alice, bob].map((u) => u.connect()));
    const long = `${'🙂'.repeat(10)}${'long text '.repeat(30)}`;
    const original = (await aTab.send(bob.id, long)).message;
    const reply = await bTab.ok('message:send', {
      in: direct(alice.id),
      clientId: 'rp1-reply',
      content: { kind: 'text', text: 'I agree' },
      replyTo: original.id,
    });
    const excerpt = Array.from(long).slice(0, Limits.replyExcerpt).join('');
    expect(reply.message.replyTo).toEqual({ id: original.id, senderId: alice.id, kind: 'text', excerpt });
    // Alice receives the reply with its quote.
    const received = await waitFor(() => aTab.messages.find((e) => e.message.id === reply.message.id));
    expect(received.message.replyTo?.excerpt).toBe(excerpt);

    // A message of another conversation, or none, cannot be quoted.
    const elsewhere = (await bTab.send(carol.id, 'for Carol')).message;
    for (const replyTo of [elsewhere.id, 'no-such-message']) {
      const refused = await aTab.request('message:send', {
        in: direct(bob.id),
        clientId: `rp1-bad-${replyTo}`,
        content: { kind: 'text', text: 'sneaky' },
        replyTo,
      });
      expect(refused.ok ? 'ok' : refused.error.code).toBe(ErrorCode.NotFound);
    }

    await aTab.ok('message:edit', { in: direct(bob.id), messageId: original.id, text: 'short now' });
    expect((await historyMessage(bTab, direct(alice.id), reply.message.id)).replyTo).toEqual({
      id: original.id,
      senderId: alice.id,
      kind: 'text',
      excerpt: 'short now',
    });
    await aTab.ok('message:delete', { in: direct(bob.id), messageId: original.id, for: 'everyone' });
    const after = await historyMessage(aTab, direct(bob.id), reply.message.id);
    expect(after.replyTo).toEqual({ id: original.id, senderId: alice.id, kind: 'deleted', excerpt: '' });
    // The reply itself did not change.
    expect(after.rev).toBeUndefined();
    expect(textOf(after)).toBe('I agree');
  });

  it('quote a file by its name when it has no caption', async () => {
    const [alice, bob, aTab, bTab] = await server.buddies('rp2a', 'rp2b');
    const up = await uploadFile(server, aTab.token, Buffer.from('%PDF-1.4 report'), {
      name: 'report.pdf',
      conversation: `direct:${bob.id}`,
    });
    const file = await aTab.ok('message:send', {
      in: direct(bob.id),
      clientId: 'rp2-file',
      content: { kind: 'file', fileId: up.id },
    });
    const reply = await bTab.ok('message:send', {
      in: direct(alice.id),
      clientId: 'rp2-reply',
      content: { kind: 'text', text: 'thanks' },
      replyTo: file.message.id,
    });
    expect(reply.message.replyTo).toEqual({
      id: file.message.id,
      senderId: alice.id,
      kind: 'file',
      excerpt: 'report.pdf',
    });
  });
});

describe('reactions', () => {
  it('are idempotent: setting what is set, or removing what is not, stores and sends nothing', async () => {
    const [alice, bob, aTab, bTab] = await server.buddies('rc1a', 'rc1b');
    const sent = (await aTab.send(bob.id, 'react to me')).message;
    const react = (tab: TestClient, key: ConversationKey, emoji: ReactionEmoji, on: boolean) =>
      tab.ok('message:react', { in: key, messageId: sent.id, emoji, on });
    const nothing = await react(bTab, direct(alice.id), '👍', false);
    expect(nothing.message.rev).toBeUndefined();
    const set = await react(bTab, direct(alice.id), '👍', true);
    expect(set.message).toMatchObject({ rev: 1, reactions: [{ emoji: '👍', userIds: [bob.id] }] });
    await waitFor(() => changesOf(aTab.entries, sent.id).length === 1);
    const heads = [await headOf(aTab), await headOf(bTab)];
    const again = await react(bTab, direct(alice.id), '👍', true);
    expect(again.message).toEqual(set.message);
    await sleep(200);
    expect([await headOf(aTab), await headOf(bTab)]).toEqual(heads);
    expect(changesOf(aTab.entries, sent.id)).toHaveLength(1);

    // Emoji in REACTIONS order, users in the order they reacted.
    await react(aTab, direct(bob.id), '😂', true);
    await react(aTab, direct(bob.id), '👍', true);
    const both = await historyMessage(aTab, direct(bob.id), sent.id);
    expect(both).toMatchObject({
      rev: 3,
      reactions: [
        { emoji: '👍', userIds: [bob.id, alice.id] },
        { emoji: '😂', userIds: [alice.id] },
      ],
    });
    const change = await waitFor(() => changesOf(bTab.entries, sent.id).find((c) => c.message.rev === 3));
    expect(change).toMatchObject({ action: 'react', by: alice.id });
  });

  it('toggled 100 times concurrently by 4 users on 2 devices each: every user’s reaction is there exactly when their last toggle set it, stored, on every device and after an offline sync', async () => {
    const names = ['rc2a', 'rc2b', 'rc2c', 'rc2d'];
    const users = [];
    for (const name of names) users.push(await server.user(name, { buddies: name === names[0] ? [] : [names[0]!] }));
    const devices: SignedIn[][] = [];
    for (const u of users) devices.push([await u.connect(), await u.connect()]);
    const [, ...members] = users;
    const roomId = await roomOf(
      devices[0]![0]!,
      members.map((m, i) => ({ id: m.id, tab: devices[i + 1]![0]! })),
      'Reactions',
    );
    const key = room(roomId);
    const target = (await devices[0]![0]!.send(key, 'react to this')).message;
    // A device of the last user that is offline during the toggles: it syncs afterwards.
    const offlineFrom = await headOf(devices[3]![0]!);

    const emojis: ReactionEmoji[] = [REACTIONS[0], REACTIONS[1]];
    // Each user's 25 toggles, random emoji and on/off, from either of their devices.
    const plans = users.map(() =>
      Array.from({ length: 25 }, () => ({
        emoji: emojis[Math.floor(Math.random() * emojis.length)]!,
        on: Math.random() < 0.5,
        device: Math.floor(Math.random() * 2),
      })),
    );
    // The state each toggle leaves, and how many toggles change something (each one is a rev).
    const expected = new Map<string, boolean>();
    let changes = 0;
    await Promise.all(
      users.map(async (u, i) => {
        for (const t of plans[i]!) {
          const result = await devices[i]![t.device]!.ok('message:react', {
            in: key,
            messageId: target.id,
            emoji: t.emoji,
            on: t.on,
          });
          const k = `${u.id} ${t.emoji}`;
          if ((expected.get(k) ?? false) !== t.on) changes++;
          expected.set(k, t.on);
          // What answered this toggle shows it (later toggles of others may be there too).
          const mine = result.message.reactions?.find((r) => r.emoji === t.emoji)?.userIds ?? [];
          expect(mine.includes(u.id)).toBe(t.on);
        }
      }),
    );
    const expectedReactions = (m: ChatMessage) => {
      for (const u of users) {
        for (const emoji of emojis) {
          const present = m.reactions?.find((r) => r.emoji === emoji)?.userIds.includes(u.id) ?? false;
          expect(present, `${u.id} ${emoji} rev ${m.rev}`).toBe(expected.get(`${u.id} ${emoji}`) ?? false);
        }
      }
      for (const r of m.reactions ?? []) expect(new Set(r.userIds).size).toBe(r.userIds.length);
      expect(m.reactions?.map((r) => r.emoji) ?? []).toEqual(
        REACTIONS.filter((e) => m.reactions?.some((r) => r.emoji === e)),
      );
    };

    // Stored: as history reads it, with one rev per change.
    const stored = await historyMessage(devices[1]![0]!, key, target.id);
    expect(stored.rev ?? 0).toBe(changes);
    expectedReactions(stored);

    // Every device, applying the change entries it received live and keeping the highest rev.
    for (const [i, pair] of devices.entries()) {
      for (const [d, device] of pair.entries()) {
        const received = await waitFor(
          () => {
            const c = changesOf(device.entries, target.id);
            return c.length === changes && c;
          },
          10_000,
          `${changes} changes on device ${d} of ${names[i]}`,
        );
        expectedReactions(newest(received.map((c) => c.message))!);
        // In the inbox, one message's changes come in the order of their rev.
        const bySeq = [...received].sort((a, b) => a.seq - b.seq).map((c) => c.message.rev);
        expect(bySeq).toEqual(Array.from({ length: changes }, (_, n) => n + 1));
      }
    }

    // The device that was offline: its sync brings every change, each with the message as it is now.
    const late = await server.connect(names[3]!);
    const synced = changesOf(await late.syncAll(offlineFrom), target.id);
    expect(synced).toHaveLength(changes);
    expect(synced.every((c) => c.action === 'react')).toBe(true);
    const final = newest(synced.map((c) => c.message))!;
    expect(final.rev).toBe(changes);
    expectedReactions(final);
  });
});

describe('retention', () => {
  it('removes the earlier texts, reactions and hidden marks of the messages it deletes', async () => {
    const a = await server.user('rt1a', { site: 'brief' });
    const b = await server.user('rt1b', { site: 'brief', buddies: ['rt1a'] });
    const [aTab, bTab] = await Promise.all([a.connect(), b.connect()]);
    const sent = (await aTab.send(b.id, 'short-lived')).message;
    await aTab.ok('message:edit', { in: direct(b.id), messageId: sent.id, text: 'short-lived, edited' });
    await bTab.ok('message:react', { in: direct(a.id), messageId: sent.id, emoji: '👍', on: true });
    await bTab.ok('message:delete', { in: direct(a.id), messageId: sent.id, for: 'me' });
    const rows = async () => {
      const db = await openForReading(server.database);
      try {
        const count = async (table: string) =>
          (await db.all<{ messageId: string }>(`SELECT "messageId" FROM "${table}" WHERE "messageId" = ?`, sent.id))
            .length;
        return [await count('MessageEdit'), await count('MessageReaction'), await count('HiddenMessage')];
      } finally {
        await db.close();
      }
    };
    expect(await rows()).toEqual([1, 1, 1]);
    const removed = await sweepRetention(server.app.store, new Date(Date.now() + 2 * 86_400_000), server.app.logger);
    expect(removed.brief).toBe(1);
    expect(await server.app.store.getMessage(sent.id)).toBeNull();
    expect(await rows()).toEqual([0, 0, 0]);
    // Its entries went with it: change and hidden entries too.
    expect(changesOf(await bTab.syncAll(0), sent.id)).toEqual([]);
    expect((await bTab.syncAll(0)).some((e) => e.kind === 'hidden')).toBe(false);
  });
});
