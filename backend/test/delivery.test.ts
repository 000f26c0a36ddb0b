import { describe, expect, it } from 'vitest';
import { ErrorCode, type ReplyData, type Result } from '../src/protocol/index.js';
import {
  addUser,
  connectAs,
  demoPassword,
  login,
  messagesOf,
  sleep,
  TestClient,
  textOf,
  useServer,
  waitFor,
} from './support.js';

/** Direct messages: stored once, acknowledged, delivered live and later, in order, to every tab; history and its privacy. */
// A second site, whose users no one here may reach.
const server = useServer({ sites: [{ id: 'other' }] });
const track = server.track;
const idOf = server.idOf;
const as = (username: string) => server.connect(username, { password: demoPassword(username) });
const pair = server.pair;

describe('a first conversation: roster, presence, messages and history', () => {
  it('sends the roster with presence, and tells buddies who comes and goes', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const names = alice.ready.roster.map((r) => r.user.username).sort();
    expect(names).toEqual(['bob', 'carol']);
    const bobId = await idOf('bob');
    expect(alice.ready.roster.find((r) => r.user.id === bobId)?.presence.state).toBe('offline');

    const bob = track(await connectAs(server.url, 'bob'));
    expect(bob.ready.roster.find((r) => r.user.username === 'alice')?.presence.state).toBe('online');
    await waitFor(() => alice.presence.some((p) => p.userId === bobId && p.presence.state === 'online'));

    bob.close();
    const off = await waitFor(() => alice.presence.find((p) => p.userId === bobId && p.presence.state === 'offline'));
    expect(off.presence.lastSeenAt).not.toBeNull();
    alice.close();
  });

  it('acknowledges a message once stored and delivers it live to the recipient and the sender’s other tabs', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const aliceTab2 = track(await connectAs(server.url, 'alice'));
    const bob = track(await connectAs(server.url, 'bob'));
    const bobId = await idOf('bob');

    const sent = await alice.send(bobId, 'Hello Bob!');
    expect(sent.duplicate).toBe(false);
    // Acknowledged means stored: the message is in the database when the ack arrives.
    const stored = await server.app.store.history(sent.message.conversationId, bobId, {}, 10);
    expect(stored.map((m) => m.id)).toContain(sent.message.id);

    const got = await waitFor(() => bob.messages.find((e) => e.message.id === sent.message.id));
    expect(got.message.content).toEqual({ kind: 'text', text: 'Hello Bob!' });
    await waitFor(() => aliceTab2.messages.some((e) => e.message.id === sent.message.id));
    for (const c of [alice, aliceTab2, bob]) c.close();
  });

  it('answers the sending connection with its entry instead of a copy, before any later entry of its inbox', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const aliceTab2 = track(await connectAs(server.url, 'alice'));
    const bob = track(await connectAs(server.url, 'bob'));
    const [aliceId, bobId] = [await idOf('alice'), await idOf('bob')];
    // What alice's first connection learns of its inbox, in the order it arrives: acknowledgements
    // (recorded in their callback, as the packet is read) and pushed entries alike.
    const seen: { seq: number; how: 'ack' | 'push'; sender: string }[] = [];
    alice.socket.on('inbox:entry', (e) => {
      if (e.kind === 'message') seen.push({ seq: e.seq, how: 'push', sender: e.message.senderId });
    });
    const acks: Promise<void>[] = [];
    const each = 40;
    for (let i = 0; i < each; i++) {
      // Both ways at once, so their commits share batches and their entries interleave in alice's inbox.
      acks.push(
        new Promise<void>((resolve, reject) =>
          alice.socket.emit(
            'message:send',
            { in: { kind: 'direct', id: bobId }, clientId: `order-a-${i}`, content: { kind: 'text', text: `a${i}` } },
            (r: Result<ReplyData['message:send']>) => {
              if (!r.ok || r.data.seq === null) return reject(new Error(JSON.stringify(r)));
              seen.push({ seq: r.data.seq, how: 'ack', sender: r.data.message.senderId });
              resolve();
            },
          ),
        ),
      );
      void bob.send(aliceId, `b${i}`, `order-b-${i}`);
    }
    await Promise.all(acks);
    await waitFor(() => seen.length === 2 * each);
    // Alice's own messages came as acknowledgements only, bob's as pushes only, and together they
    // are alice's inbox: every seq once. On one node they also arrive in order, each one more than
    // the last, so the widget's cursor never waits. In cluster mode pushes go through Redis and
    // can come after a later acknowledgement: the cursor holds the early ones (inbox-cursor.ts).
    expect(seen.filter((e) => e.how === 'ack').every((e) => e.sender === aliceId)).toBe(true);
    expect(seen.filter((e) => e.how === 'push').every((e) => e.sender === bobId)).toBe(true);
    const arrival = seen.map((e) => e.seq);
    const seqs = process.env.PARLEY_TEST_REDIS ? [...arrival].sort((a, b) => a - b) : arrival;
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    // Her other connection gets all of them pushed, in the same order.
    await waitFor(() => aliceTab2.messages.filter((e) => e.seq >= seqs[0]!).length === 2 * each);
    expect(
      aliceTab2.messages
        .filter((e) => e.seq >= seqs[0]!)
        .map((e) => e.seq)
        .sort((a, b) => a - b),
    ).toEqual(seqs);
    expect(alice.messages.some((e) => e.message.senderId === aliceId && e.seq >= seqs[0]!)).toBe(false);
    for (const c of [alice, aliceTab2, bob]) c.close();
  });

  it('keeps messages for an offline user and delivers them after reconnecting, in order, once', async () => {
    const bobFirst = track(await connectAs(server.url, 'bob'));
    const cursor = bobFirst.ready.inboxHead;
    bobFirst.close();

    const alice = track(await connectAs(server.url, 'alice'));
    const bobId = await idOf('bob');
    const bodies = Array.from({ length: 60 }, (_, i) => `offline ${i}`);
    // Sent concurrently, so the writer batches them; order is the order of acknowledgement.
    const acks = await Promise.all(bodies.map((b) => alice.send(bobId, b)));

    const bob = track(await connectAs(server.url, 'bob'));
    expect(bob.ready.inboxHead).toBe(cursor + 60);
    const entries = messagesOf(await bob.syncAll(cursor));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => cursor + 1 + i));
    expect(new Set(entries.map((e) => e.message.id)).size).toBe(60);
    expect(entries.map((e) => e.message.id).sort()).toEqual(acks.map((a) => a.message.id).sort());
    // Alice's own sequence for them matches Bob's order.
    const aliceOrder = [...acks].sort((a, b) => a.seq! - b.seq!).map((a) => a.message.id);
    expect(entries.map((e) => e.message.id)).toEqual(aliceOrder);
    alice.close();
    bob.close();
  });

  it('stores a resend with the same client id once', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const bob = track(await connectAs(server.url, 'bob'));
    const bobId = await idOf('bob');
    const first = await alice.send(bobId, 'only once', 'fixed-client-id-1');
    const again = await alice.send(bobId, 'only once', 'fixed-client-id-1');
    expect(again.duplicate).toBe(true);
    expect(again.message.id).toBe(first.message.id);
    await sleep(200);
    expect(bob.messages.filter((e) => e.message.clientId === 'fixed-client-id-1')).toHaveLength(1);
    alice.close();
    bob.close();
  });

  it('pages history backwards and keeps conversations private', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const carolId = await idOf('carol');
    for (let i = 0; i < 7; i++) await alice.send(carolId, `history ${i}`);
    const page1 = await alice.request('message:history', { in: { kind: 'direct', id: carolId }, limit: 4 });
    if (!page1.ok) throw new Error(page1.error.message);
    expect(page1.data.messages.map((m) => textOf(m.content))).toEqual([
      'history 6',
      'history 5',
      'history 4',
      'history 3',
    ]);
    expect(page1.data.hasMore).toBe(true);
    const page2 = await alice.request('message:history', {
      in: { kind: 'direct', id: carolId },
      before: page1.data.messages.at(-1)!.id,
      limit: 4,
    });
    if (!page2.ok) throw new Error(page2.error.message);
    expect(page2.data.messages.map((m) => textOf(m.content))).toEqual(['history 2', 'history 1', 'history 0']);
    expect(page2.data.hasMore).toBe(false);

    // Dave is on the site but nobody's buddy: he cannot message them, and sees nothing of Alice and Carol.
    await addUser(server, 'dave');
    const dave = track(
      await connectAs(server.url, 'dave').catch(async () => {
        const { token } = await login(server.url, 'dave', 'dave-pass');
        return TestClient.connect(server.url, token);
      }),
    );
    const refused = await dave.trySend(carolId, 'hi', 'x1');
    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } });
    const carolsHistory = await dave.request('message:history', { in: { kind: 'direct', id: carolId } });
    expect(carolsHistory.ok && carolsHistory.data.messages).toEqual([]);
    alice.close();
    dave.close();
  });
});

describe('offline delivery: 500 messages to an offline user', () => {
  it('arrive after they connect, in order and exactly once', async () => {
    const { connect, ids } = await pair('ms1a', 'ms1b');
    const receiver = await connect('ms1b');
    const cursor = receiver.ready.inboxHead;
    receiver.close();

    const sender = await connect('ms1a');
    const acks = [];
    for (let round = 0; round < 5; round++) {
      // 100 at a time in flight: the writer batches them; the acks give the sender's order.
      acks.push(
        ...(await Promise.all(Array.from({ length: 100 }, (_, i) => sender.send(ids.ms1b!, `m${round * 100 + i}`)))),
      );
    }
    const back = await connect('ms1b');
    const entries = messagesOf(await back.syncAll(cursor));
    expect(entries).toHaveLength(500);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => cursor + 1 + i));
    expect(new Set(entries.map((e) => e.message.id)).size).toBe(500);
    const senderOrder = [...acks].sort((a, b) => a.seq! - b.seq!).map((a) => a.message.id);
    expect(entries.map((e) => e.message.id)).toEqual(senderOrder);
    // Nothing arrives twice live either: the client was not connected while they were sent.
    await sleep(100);
    expect(back.messages).toHaveLength(0);
  });
});

describe('idempotent send: a resend after a dropped acknowledgement', () => {
  it('is stored once and shown once', async () => {
    const { connect, ids } = await pair('ms2a', 'ms2b');
    const receiver = await connect('ms2b');
    const first = await connect('ms2a');
    // Send, then lose the connection before the acknowledgement can arrive.
    first.socket.emit(
      'message:send',
      {
        in: { kind: 'direct', id: ids.ms2b! },
        clientId: 'dropped-ack-1',
        content: { kind: 'text', text: 'are you there?' },
      },
      () => {
        throw new Error('the acknowledgement should have been lost');
      },
    );
    first.socket.disconnect();
    const again = await connect('ms2a');
    const resent = await again.send(ids.ms2b!, 'are you there?', 'dropped-ack-1');
    // Whether or not the first write had finished, the resend maps to one stored message.
    const history = await receiver.ok('message:history', { in: { kind: 'direct', id: ids.ms2a } });
    expect(history.messages.filter((m) => m.clientId === 'dropped-ack-1')).toHaveLength(1);
    expect(history.messages.find((m) => m.clientId === 'dropped-ack-1')!.id).toBe(resent.message.id);
    await sleep(200);
    expect(receiver.messages.filter((e) => e.message.clientId === 'dropped-ack-1')).toHaveLength(1);
  });
});

describe('several tabs of one user: messages and receipts', () => {
  it('both receive a message; reading it in one clears it as unread in the other', async () => {
    const { connect, ids } = await pair('ms3a', 'ms3b');
    const sender = await connect('ms3a');
    const tab1 = await connect('ms3b');
    const tab2 = await connect('ms3b');
    const sent = await sender.send(ids.ms3b!, 'read me');
    await waitFor(() => tab1.messages.some((e) => e.message.id === sent.message.id));
    await waitFor(() => tab2.messages.some((e) => e.message.id === sent.message.id));

    const before = await tab2.ok('conversation:list', {});
    expect(before.conversations.find((c) => c.peer.id === ids.ms3a)?.unread).toBe(1);

    expect(
      await tab1.ok('conversation:read', { in: { kind: 'direct', id: ids.ms3a }, kind: 'read', upTo: sent.message.id }),
    ).toEqual({
      advanced: true,
    });
    const seen = await waitFor(() => tab2.receipts.find((r) => r.readerId === ids.ms3b && r.kind === 'read'));
    expect(seen.upTo).toBe(sent.message.id);
    const after = await tab2.ok('conversation:list', {});
    expect(after.conversations.find((c) => c.peer.id === ids.ms3a)?.unread).toBe(0);
    // The sender sees the read mark, live and in the conversation summary.
    await waitFor(() => sender.receipts.some((r) => r.kind === 'read' && r.upTo === sent.message.id));
    const summary = await sender.ok('conversation:list', {});
    expect(summary.conversations.find((c) => c.peer.id === ids.ms3b)?.peerReadUpTo).toBe(sent.message.id);
    // Receipts never go backwards.
    expect(
      await tab1.ok('conversation:read', {
        in: { kind: 'direct', id: ids.ms3a },
        kind: 'delivered',
        upTo: sent.message.id,
      }),
    ).toEqual({
      advanced: false,
    });
  });

  it('delivers receipts after a reconnect too', async () => {
    const { connect, ids } = await pair('ms3c', 'ms3d');
    const sender = await connect('ms3c');
    const cursor = sender.ready.inboxHead;
    const sent = await sender.send(ids.ms3d!, 'hello');
    sender.close();
    const reader = await connect('ms3d');
    await reader.ok('conversation:read', {
      in: { kind: 'direct', id: ids.ms3c },
      kind: 'delivered',
      upTo: sent.message.id,
    });
    const back = await connect('ms3c');
    const entries = await back.syncAll(cursor);
    expect(entries.map((e) => e.kind)).toEqual(['message', 'receipt']);
  });
});

describe('privacy: conversations one is not part of', () => {
  it('cannot be read or acknowledged', async () => {
    const alice = await as('alice');
    const bobId = await idOf('bob');
    const secret = await alice.send(bobId, 'between alice and bob');
    const carol = await as('carol');
    const aliceId = await idOf('alice');

    // Carol can only ever name her own conversations: with Alice, with Bob. Neither holds it.
    for (const peer of [aliceId, bobId]) {
      const history = await carol.ok('message:history', { in: { kind: 'direct', id: peer }, limit: 100 });
      expect(history.messages.map((m) => m.id)).not.toContain(secret.message.id);
    }
    for (const peer of [aliceId, bobId]) {
      const receipt = await carol.request('conversation:read', {
        in: { kind: 'direct', id: peer },
        kind: 'read',
        upTo: secret.message.id,
      });
      expect(receipt).toMatchObject({ ok: false, error: { code: ErrorCode.NotFound } });
    }
    // Alice cannot "read" her own message on Bob's behalf either.
    const own = await alice.request('conversation:read', {
      in: { kind: 'direct', id: bobId },
      kind: 'read',
      upTo: secret.message.id,
    });
    expect(own).toMatchObject({ ok: false, error: { code: ErrorCode.NotFound } });
    // And nobody reads another site's users.
    await addUser(server, 'outsider', { site: 'other' });
    const outsiderId = await idOf('outsider', 'other');
    expect(await carol.request('message:history', { in: { kind: 'direct', id: outsiderId } })).toMatchObject({
      ok: false,
      error: { code: ErrorCode.NotFound },
    });
  });
});
