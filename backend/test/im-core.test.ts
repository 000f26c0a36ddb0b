import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type ErrorBody } from '../src/protocol/index.js';
import {
  addUser,
  connectAs,
  login,
  messagesOf,
  sleep,
  startServer,
  TestClient,
  waitFor,
  type TestServer,
} from './support.js';

let server: TestServer;
const open: TestClient[] = [];
const track = <T extends TestClient>(c: T) => (open.push(c), c);
const as = async (username: string) => track(await connectAs(server.url, username));

beforeAll(async () => {
  server = await startServer({ config: { presenceGraceMs: 800 } });
});
afterAll(async () => {
  for (const c of open) c.close();
  await server.close();
});

const idOf = async (username: string, site = 'demo') => (await server.app.store.findUserByUsername(site, username))!.id;

/** A fresh pair of mutual buddies, so tests do not disturb each other's conversations. */
async function pair(a: string, b: string) {
  await addUser(server, a);
  await addUser(server, b, { buddies: [a] });
  const connect = async (name: string) => {
    const { token } = await login(server.url, name, `${name}-pass`);
    return track(await TestClient.connect(server.url, token));
  };
  return { connect, ids: { [a]: await idOf(a), [b]: await idOf(b) } };
}

const post = async (path: string, body: unknown, token?: string) => {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { ok: boolean; data?: any; error?: ErrorBody } };
};

describe('Must show 1: 500 messages to an offline user', () => {
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

describe('Must show 2: a resend after a dropped acknowledgement', () => {
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

describe('Must show 3: two tabs of one user', () => {
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

describe('Must show 4: a reconnect within the grace period', () => {
  it('sends buddies no offline/online change', async () => {
    const { connect, ids } = await pair('ms4a', 'ms4b');
    const watcher = await connect('ms4a');
    const flaky = await connect('ms4b');
    await waitFor(() => watcher.presence.some((p) => p.userId === ids.ms4b && p.presence.state === 'online'));
    const seen = watcher.presence.length;
    flaky.close();
    await sleep(200); // well inside the 800 ms grace period
    await connect('ms4b');
    await sleep(1200); // past it
    expect(watcher.presence.slice(seen).filter((p) => p.userId === ids.ms4b)).toEqual([]);
  });
});

describe('Must show 5: host identity tokens', () => {
  const sign = (secret: string, claims: Record<string, unknown>, times: { iat?: number; exp?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(times.iat ?? now)
      .setExpirationTime(times.exp ?? now + 300)
      .sign(new TextEncoder().encode(secret));
  };
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (err: { data?: ErrorBody }) => err.data?.code,
    );

  it('refuses forged, expired and other-site tokens and signs in a good one, creating the user', async () => {
    const demo = (await server.app.store.getSite('demo'))!;
    await server.app.store.createSite({
      id: 'other',
      name: 'Other',
      secret: 'other-secret-'.repeat(3),
      origins: [],
      settings: {},
    });
    const other = (await server.app.store.getSite('other'))!;
    const now = Math.floor(Date.now() / 1000);
    const connect = (jwt: string) => TestClient.connect(server.url, jwt, { identity: true });

    expect(await refusal(connect(await sign('not-the-secret', { sub: 'h-1' })))).toBe(ErrorCode.IdentityInvalid);
    expect(await refusal(connect(await sign(demo.secret, { sub: 'h-1' }, { iat: now - 600, exp: now - 300 })))).toBe(
      ErrorCode.IdentityExpired,
    );
    expect(await refusal(connect(await sign(other.secret, { sub: 'h-1', aud: 'other' })))).toBe(
      ErrorCode.IdentityWrongSite,
    );
    expect(await refusal(connect(await sign(other.secret, { sub: 'h-1' })))).toBe(ErrorCode.IdentityInvalid);
    expect(await refusal(connect('not.a.jwt'))).toBe(ErrorCode.IdentityInvalid);
    // Too long-lived for a sign-in token.
    expect(await refusal(connect(await sign(demo.secret, { sub: 'h-1' }, { exp: now + 86_400 })))).toBe(
      ErrorCode.IdentityInvalid,
    );
    expect(await server.app.store.findUserByExternalId('demo', 'h-1')).toBeNull();

    const good = track(
      await connect(
        await sign(demo.secret, { sub: 'h-1', name: 'Hilda Host', avatar: 'https://img.example/h.png', aud: 'demo' }),
      ),
    );
    expect(good.ready.user.displayName).toBe('Hilda Host');
    expect(good.ready.user.avatarUrl).toBe('https://img.example/h.png');
    expect(good.ready.session?.token).toBeTruthy();
    const created = await server.app.store.findUserByExternalId('demo', 'h-1');
    expect(created?.id).toBe(good.ready.user.id);
    // The session it opened reconnects without a new token.
    const resumed = track(await TestClient.connect(server.url, good.ready.session!.token));
    expect(resumed.ready.user.id).toBe(created!.id);

    // A second sign-in updates the name; the same user, not a new one.
    const renamed = track(await connect(await sign(demo.secret, { sub: 'h-1', name: 'Hilda H.' })));
    expect(renamed.ready.user.id).toBe(created!.id);
    expect(renamed.ready.user.displayName).toBe('Hilda H.');

    // Over HTTP too.
    const viaHttp = await post('/api/v1/sites/demo/sessions/identity', {
      identity: await sign(demo.secret, { sub: 'h-2' }),
    });
    expect(viaHttp.status).toBe(201);
    const forged = await post('/api/v1/sites/demo/sessions/identity', { identity: await sign('nope', { sub: 'h-2' }) });
    expect(forged.body.error?.code).toBe(ErrorCode.IdentityInvalid);
  });
});

describe('Must show 6: conversations one is not part of', () => {
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

describe('Must show 7: blocking', () => {
  it('refuses the blocked user’s messages and requests, and hides the blocker’s presence', async () => {
    const { connect, ids } = await pair('ms7a', 'ms7b');
    const blocker = await connect('ms7a');
    const pest = await connect('ms7b');
    expect(pest.ready.roster.find((e) => e.user.id === ids.ms7a)?.presence.state).toBe('online');

    const blocked = await blocker.ok('roster:block', { userId: ids.ms7b });
    expect(blocked.entry?.state).toBe('blocked');
    // The pest's list loses the blocker, live, and the blocker now looks offline to them.
    await waitFor(() => pest.rosterChanges.some((c) => 'removed' in c && c.removed === ids.ms7a));
    await waitFor(() => pest.presence.some((p) => p.userId === ids.ms7a && p.presence.state === 'offline'));

    expect(
      await pest.request('message:send', {
        in: { kind: 'direct', id: ids.ms7a },
        clientId: 'b1',
        content: { kind: 'text', text: 'hey' },
      }),
    ).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Forbidden },
    });
    expect(await pest.request('roster:request', { userId: ids.ms7a })).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Blocked },
    });
    expect(await pest.request('typing:set', { in: { kind: 'direct', id: ids.ms7a }, typing: true })).toMatchObject({
      ok: false,
    });
    const search = await pest.ok('user:search', { query: 'ms7' });
    expect(search.users.map((u) => u.id)).not.toContain(ids.ms7a);

    const seen = pest.presence.length;
    await blocker.ok('presence:set', { state: 'busy', status: 'not for you' });
    await sleep(200);
    expect(pest.presence.slice(seen).filter((p) => p.userId === ids.ms7a)).toEqual([]);
    const fresh = await connect('ms7b');
    expect(fresh.ready.roster.find((e) => e.user.id === ids.ms7a)).toBeUndefined();

    // On a site where strangers may talk, a block still stops them.
    await server.app.store.createSite({
      id: 'open',
      name: 'Open',
      secret: 's'.repeat(32),
      origins: [],
      settings: { strangersMayMessage: true },
    });
    await addUser(server, 'o1', { site: 'open' });
    await addUser(server, 'o2', { site: 'open' });
    const o1 = track(
      await TestClient.connect(server.url, (await login(server.url, 'o1', 'o1-pass', 'open')).token, { site: 'open' }),
    );
    const o2 = track(
      await TestClient.connect(server.url, (await login(server.url, 'o2', 'o2-pass', 'open')).token, { site: 'open' }),
    );
    const o1Id = o1.ready.user.id;
    const o2Id = o2.ready.user.id;
    expect((await o2.send(o1Id, 'hello stranger')).duplicate).toBe(false);
    await o1.ok('roster:block', { userId: o2Id });
    expect(
      await o2.request('message:send', {
        in: { kind: 'direct', id: o1Id },
        clientId: 'o-b',
        content: { kind: 'text', text: 'hello?' },
      }),
    ).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Blocked },
    });
    await o1.ok('roster:unblock', { userId: o2Id });
    expect((await o2.send(o1Id, 'hello again')).duplicate).toBe(false);
  });
});
