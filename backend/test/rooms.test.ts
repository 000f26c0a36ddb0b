import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/protocol/index.js';
import { mentionedUsernames } from '../src/services/rooms.js';
import { addUser, codeOf, messagesOf, sleep, textOf, useServer, waitFor, type TestClient } from './support.js';

const server = useServer({ sites: [{ id: 'other' }] });

/** Fresh users (password `<name>-pass`), all mutual buddies of the first, so tests do not share state. */
async function people(...names: string[]) {
  const [first, ...rest] = names;
  const ids: Record<string, string> = {};
  ids[first!] = (await addUser(server, first!)).id;
  for (const name of rest) ids[name] = (await addUser(server, name, { buddies: [first!] })).id;
  return ids;
}

const connect = (name: string, site = 'demo') => server.connect(name, { site });

describe('room life: create, invite, accept, decline, roles, remove, leave, close', () => {
  it('runs a room through its life, telling every member each step', async () => {
    const ids = await people('rla', 'rlb', 'rlc', 'rld');
    await server.app.store.setBuddies(ids.rlb!, ids.rld!, 'accepted'); // bob invites dave below
    const [a, b, c, d] = await Promise.all(['rla', 'rlb', 'rlc', 'rld'].map((n) => connect(n)));

    const { room } = await a!.ok('room:create', { name: 'Book club', invite: [ids.rlb, ids.rlc] });
    expect(room).toMatchObject({ name: 'Book club', public: false, ownerId: ids.rla });
    expect(room.members.map((m) => [m.user.username, m.role])).toEqual([
      ['rla', 'owner'],
      ['rlb', 'invited'],
      ['rlc', 'invited'],
    ]);
    // The invitees hear of it live and find it in their list; an invitee cannot read it yet.
    await waitFor(() => b!.roomChanges.some((r) => r.id === room.id), 5000, 'the invitation');
    expect((await b!.ok('room:list', {})).rooms.map((r) => r.room.id)).toEqual([room.id]);
    expect(await codeOf(b!.request('message:history', { in: { kind: 'room', id: room.id } }))).toBe(ErrorCode.NotFound);
    expect(await codeOf(b!.trySend({ kind: 'room', id: room.id }, 'early', 'x1'))).toBe(ErrorCode.NotFound);

    // bob accepts, carol declines.
    const accepted = await b!.ok('room:accept', { roomId: room.id });
    expect(accepted.room.members.find((m) => m.user.id === ids.rlb)?.role).toBe('member');
    await c!.ok('room:decline', { roomId: room.id });
    await waitFor(() => c!.roomRemovals.some((r) => r.roomId === room.id && r.reason === 'declined'));
    await waitFor(() => a!.roomChanges.at(-1)?.members.length === 2, 5000, 'the owner to see the decline');
    // Members see each other's presence (they are online); carol was only invited then: none shown.
    expect(accepted.room.members.map((m) => [m.user.username, m.presence.state])).toEqual([
      ['rla', 'online'],
      ['rlb', 'online'],
      ['rlc', 'offline'],
    ]);

    // A member invites dave, who accepts through room:join.
    await b!.ok('room:invite', { roomId: room.id, userId: ids.rld });
    await d!.ok('room:join', { roomId: room.id });

    // Only the owner names admins; admins rename and remove members but not the owner.
    expect(await codeOf(b!.request('room:role', { roomId: room.id, userId: ids.rld, role: 'admin' }))).toBe(
      ErrorCode.Forbidden,
    );
    expect(await codeOf(b!.request('room:rename', { roomId: room.id, name: 'Readers' }))).toBe(ErrorCode.Forbidden);
    await a!.ok('room:role', { roomId: room.id, userId: ids.rlb, role: 'admin' });
    expect((await b!.ok('room:rename', { roomId: room.id, name: 'Readers' })).room.name).toBe('Readers');
    await waitFor(() => d!.roomChanges.some((r) => r.name === 'Readers'), 5000, 'the rename to reach dave');
    expect(await codeOf(b!.request('room:remove', { roomId: room.id, userId: ids.rla }))).toBe(ErrorCode.Forbidden);
    expect(await codeOf(b!.request('room:close', { roomId: room.id }))).toBe(ErrorCode.Forbidden);
    expect(await codeOf(d!.request('room:remove', { roomId: room.id, userId: ids.rlb }))).toBe(ErrorCode.Forbidden);

    // The admin removes dave; dave is told and the room is gone from his list.
    await b!.ok('room:remove', { roomId: room.id, userId: ids.rld });
    await waitFor(() => d!.roomRemovals.some((r) => r.roomId === room.id && r.reason === 'removed'));
    expect((await d!.ok('room:list', {})).rooms).toEqual([]);

    // The owner leaves: the admin becomes owner. Then the new owner closes the room.
    await a!.ok('room:leave', { roomId: room.id });
    const after = await waitFor(() => b!.roomChanges.findLast((r) => r.id === room.id && r.ownerId === ids.rlb));
    expect(after.members.map((m) => [m.user.username, m.role])).toEqual([['rlb', 'owner']]);
    expect((await a!.ok('room:list', {})).rooms).toEqual([]);
    await b!.ok('room:close', { roomId: room.id });
    await waitFor(() => b!.roomRemovals.some((r) => r.roomId === room.id && r.reason === 'closed'));
    expect(await codeOf(b!.request('message:history', { in: { kind: 'room', id: room.id } }))).toBe(ErrorCode.NotFound);
  });

  it('lets site members find and join public rooms; private and other sites’ rooms look missing', async () => {
    const ids = await people('rpa', 'rpb');
    await addUser(server, 'rpz', { site: 'other' });
    const [a, b] = await Promise.all([connect('rpa'), connect('rpb')]);
    const outsider = await connect('rpz', 'other');
    const pub = (await a.ok('room:create', { name: 'Gardening open chat', public: true })).room;
    const priv = (await a.ok('room:create', { name: 'Gardening council' })).room;

    const found = (await b.ok('room:search', { query: 'Gardening' })).rooms;
    expect(found.map((r) => r.name)).toEqual(['Gardening open chat']);
    expect(found[0]!.members).toBe(1);
    expect(await codeOf(b.request('room:join', { roomId: priv.id }))).toBe(ErrorCode.NotFound);
    const joined = await b.ok('room:join', { roomId: pub.id });
    expect(joined.room.members.map((m) => m.user.id)).toEqual([ids.rpa, ids.rpb]);

    // Another site's user sees nothing of either room, whatever the event.
    expect((await outsider.ok('room:search', { query: 'Gardening' })).rooms).toEqual([]);
    for (const roomId of [pub.id, priv.id]) {
      expect(await codeOf(outsider.request('room:join', { roomId }))).toBe(ErrorCode.NotFound);
      expect(await codeOf(outsider.request('message:history', { in: { kind: 'room', id: roomId } }))).toBe(
        ErrorCode.NotFound,
      );
      expect(await codeOf(outsider.trySend({ kind: 'room', id: roomId }, 'hi', 'o1'))).toBe(ErrorCode.NotFound);
      expect(await codeOf(outsider.request('room:invite', { roomId, userId: ids.rpb }))).toBe(ErrorCode.NotFound);
    }
    // Nor can a member invite someone from another site.
    const z = (await server.app.store.findUserByUsername('other', 'rpz'))!;
    expect(await codeOf(a.request('room:invite', { roomId: priv.id, userId: z.id }))).toBe(ErrorCode.NotFound);
  });
});

describe('room messages', () => {
  it('300 room messages reach a member who was offline, in order, once; read markers per member', async () => {
    const ids = await people('rma', 'rmb', 'rmc');
    const [a, b] = await Promise.all([connect('rma'), connect('rmb')]);
    const { room } = await a.ok('room:create', { name: 'Busy room', invite: [ids.rmb, ids.rmc] });
    await b.ok('room:accept', { roomId: room.id });
    const c0 = await connect('rmc');
    await c0.ok('room:accept', { roomId: room.id });
    const cursor = (await c0.ok('inbox:sync', { after: 0 })).head;
    c0.close();

    const acks = [];
    for (let round = 0; round < 3; round++) {
      // 100 in flight at a time: the writer batches them, fanning each out to three inboxes.
      acks.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            a.ok('message:send', {
              in: { kind: 'room', id: room.id },
              clientId: `rm-${round}-${i}`,
              content: { kind: 'text', text: `r${round * 100 + i}` },
            }),
          ),
        )),
      );
    }
    const senderOrder = [...acks].sort((x, y) => x.seq! - y.seq!).map((x) => x.message.id);

    const c = await connect('rmc');
    const entries = messagesOf(await c.syncAll(cursor));
    expect(entries).toHaveLength(300);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => cursor + 1 + i));
    expect(entries.map((e) => e.message.id)).toEqual(senderOrder);
    expect(entries.every((e) => e.message.roomId === room.id && e.message.recipientId === '')).toBe(true);
    await sleep(100);
    expect(c.messages).toHaveLength(0); // nothing came live as well

    // The member who stayed online got each one live, once, in the same order.
    await waitFor(() => b.messages.length >= 300, 10_000, 'bob to get 300 live');
    expect(b.messages.map((e) => e.message.id)).toEqual(senderOrder);

    // A resend stores nothing.
    const again = await a.send({ kind: 'room', id: room.id }, 'r0', 'rm-0-0');
    expect(again.duplicate).toBe(true);
    expect((await c.ok('message:history', { in: { kind: 'room', id: room.id }, limit: 100 })).messages).toHaveLength(
      100,
    );

    // Read markers are per member: carol reads half, bob nothing.
    const half = senderOrder[149]!;
    expect(await c.ok('conversation:read', { in: { kind: 'room', id: room.id }, kind: 'read', upTo: half })).toEqual({
      advanced: true,
    });
    const summary = async (client: TestClient) =>
      (await client.ok('room:list', {})).rooms.find((r) => r.room.id === room.id)!;
    expect(await summary(c)).toMatchObject({ unread: 150, readUpTo: half });
    expect(await summary(b)).toMatchObject({ unread: 300, readUpTo: null });
    expect(await summary(a)).toMatchObject({ unread: 0 });
    expect(
      await c.ok('conversation:read', { in: { kind: 'room', id: room.id }, kind: 'read', upTo: senderOrder[10]! }),
    ).toEqual({ advanced: false });

    // The other members see how far carol read, live (once: going back moved nothing) and with the
    // history; carol's own tabs learn it from their inbox instead.
    for (const other of [a, b]) {
      await waitFor(() => other.roomSeen.length > 0, 5000, 'room:seen');
      expect(other.roomSeen).toEqual([{ roomId: room.id, userId: ids.rmc, upTo: half }]);
    }
    expect(c.roomSeen).toEqual([]);
    expect((await a.ok('message:history', { in: { kind: 'room', id: room.id }, limit: 1 })).readBy).toEqual([
      { userId: ids.rmc, upTo: half },
    ]);
  }, 60_000);

  it('a removed member receives nothing more and can no longer read new history', async () => {
    const ids = await people('rra', 'rrb', 'rrc');
    const [a, b, c] = await Promise.all([connect('rra'), connect('rrb'), connect('rrc')]);
    const { room } = await a.ok('room:create', { name: 'Short stay', invite: [ids.rrb, ids.rrc] });
    await b.ok('room:accept', { roomId: room.id });
    await c.ok('room:accept', { roomId: room.id });
    const before = await a.send({ kind: 'room', id: room.id }, 'before', 'rr-1');
    await waitFor(() => c.messages.some((e) => e.message.id === before.message.id));

    await a.ok('room:remove', { roomId: room.id, userId: ids.rrc });
    await waitFor(() => c.roomRemovals.some((r) => r.roomId === room.id));
    const cHead = (await c.ok('inbox:sync', { after: 0 })).head;
    const after = await a.send({ kind: 'room', id: room.id }, 'after', 'rr-2');
    await waitFor(() => b.messages.some((e) => e.message.id === after.message.id));
    await sleep(200);

    expect(c.messages.map((e) => textOf(e.message.content))).toEqual(['before']);
    expect(messagesOf(await c.syncAll(cHead))).toEqual([]);
    expect(await codeOf(c.request('message:history', { in: { kind: 'room', id: room.id } }))).toBe(ErrorCode.NotFound);
    expect(
      await codeOf(
        c.request('conversation:read', { in: { kind: 'room', id: room.id }, kind: 'read', upTo: after.message.id }),
      ),
    ).toBe(ErrorCode.NotFound);
    expect(await codeOf(c.trySend({ kind: 'room', id: room.id }, 'let me in', 'rr-3'))).toBe(ErrorCode.NotFound);
    expect(await codeOf(c.request('room:invite', { roomId: room.id, userId: ids.rra }))).toBe(ErrorCode.NotFound);
    // Nothing the removed member tried was stored.
    const history = await a.ok('message:history', { in: { kind: 'room', id: room.id } });
    expect(history.messages.map((m) => textOf(m.content))).toEqual(['after', 'before']);
  });

  it('a mention flags the message for the mentioned member and counts in their room list', async () => {
    const ids = await people('rna', 'rnb', 'rnc');
    const [a, b, c] = await Promise.all([connect('rna'), connect('rnb'), connect('rnc')]);
    const { room } = await a.ok('room:create', { name: 'Mentions', invite: [ids.rnb, ids.rnc] });
    await b.ok('room:accept', { roomId: room.id });
    await c.ok('room:accept', { roomId: room.id });
    const sent = await a.send({ kind: 'room', id: room.id }, 'Thanks @RNB. @nobody @rna', 'rn-1');
    expect(sent.message.mentions).toEqual([ids.rnb]); // not the sender, not strangers
    const seen = await waitFor(() => b.messages.find((e) => e.message.id === sent.message.id));
    expect(seen.message.mentions).toEqual([ids.rnb]);
    const mine = (await b.ok('room:list', {})).rooms.find((r) => r.room.id === room.id)!;
    expect(mine).toMatchObject({ unread: 1, mentions: 1 });
    expect((await c.ok('room:list', {})).rooms.find((r) => r.room.id === room.id)).toMatchObject({
      unread: 1,
      mentions: 0,
    });
  });
});

describe('typing in a room', () => {
  it('reaches the joined members but not the typer, an invitee or anyone outside', async () => {
    const ids = await people('rta', 'rtb', 'rtc', 'rtd');
    const [a, b, c, d] = await Promise.all(['rta', 'rtb', 'rtc', 'rtd'].map((n) => connect(n)));
    const { room } = await a!.ok('room:create', { name: 'Typing', invite: [ids.rtb, ids.rtc] });
    await waitFor(() => b!.roomChanges.some((r) => r.id === room.id), 5000, 'the invitation');
    await b!.ok('room:accept', { roomId: room.id }); // rtc stays invited; rtd was never asked

    expect(await b!.ok('typing:set', { in: { kind: 'room', id: room.id }, typing: true })).toEqual({});
    await waitFor(() => a!.typing.some((t) => t.userId === ids.rtb && t.typing), 5000, 'typing to the owner');
    expect(a!.typing.filter((t) => t.userId === ids.rtb)).toEqual([
      { userId: ids.rtb, typing: true, in: { kind: 'room', id: room.id } },
    ]);
    await b!.ok('typing:set', { in: { kind: 'room', id: room.id }, typing: false });
    await waitFor(() => a!.typing.some((t) => t.userId === ids.rtb && !t.typing), 5000, 'the stop');
    await sleep(200);
    expect(b!.typing).toEqual([]);
    expect(c!.typing).toEqual([]);
    expect(d!.typing).toEqual([]);

    // Neither the invitee nor an outsider can type into it; the room looks missing to them.
    expect(await codeOf(c!.request('typing:set', { in: { kind: 'room', id: room.id }, typing: true }))).toBe(
      ErrorCode.NotFound,
    );
    expect(await codeOf(d!.request('typing:set', { in: { kind: 'room', id: room.id }, typing: true }))).toBe(
      ErrorCode.NotFound,
    );
    await sleep(200);
    expect(a!.typing.filter((t) => t.userId !== ids.rtb)).toEqual([]);
  });

  it('never passes between two members one of whom blocked the other', async () => {
    const ids = await people('rba', 'rbb', 'rbc');
    const [a, b, c] = await Promise.all(['rba', 'rbb', 'rbc'].map((n) => connect(n)));
    const { room } = await a!.ok('room:create', { name: 'Blocked typing', invite: [ids.rbb, ids.rbc] });
    await waitFor(() => b!.roomChanges.some((r) => r.id === room.id) && c!.roomChanges.some((r) => r.id === room.id));
    await b!.ok('room:accept', { roomId: room.id });
    await c!.ok('room:accept', { roomId: room.id });
    await c!.ok('roster:block', { userId: ids.rbb });

    await b!.ok('typing:set', { in: { kind: 'room', id: room.id }, typing: true });
    await waitFor(() => a!.typing.some((t) => t.userId === ids.rbb), 5000, 'typing to the owner');
    await c!.ok('typing:set', { in: { kind: 'room', id: room.id }, typing: true });
    await waitFor(() => a!.typing.some((t) => t.userId === ids.rbc), 5000, 'typing to the owner');
    await sleep(200);
    expect(c!.typing.filter((t) => t.userId === ids.rbb)).toEqual([]);
    expect(b!.typing.filter((t) => t.userId === ids.rbc)).toEqual([]);
  });
});

describe('mentions in text', () => {
  it('finds @usernames, not e-mail addresses, without trailing punctuation', () => {
    expect(mentionedUsernames('hi @bob, and @carol.d. mail me at x@y.z')).toEqual(['bob', 'carol.d']);
    expect(mentionedUsernames('@Alice')).toEqual(['alice']);
  });
});

describe('without SMTP_URL', () => {
  it('sends no e-mail and raises no error', async () => {
    expect(server.app.digests.enabled).toBe(false);
    expect(await server.app.digests.scan()).toBe(0);
  });
});
