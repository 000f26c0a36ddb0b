import { describe, expect, it } from 'vitest';
import { ErrorCode, type ErrorBody } from '../src/protocol/index.js';
import { DELETED_USER_NAME } from '../src/services/host-api/user-deletion.js';
import { adminClient } from './admin-client.js';
import { identityToken, startServer, TestClient, useServer, waitFor, type TestServer } from './support.js';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix, useRedis } from './services.js';

/**
 * The server API's user routes beyond must-show 1 (docs/api.md): metadata, deleting a user,
 * system notices in direct chats, and the paged list of every online user, on SQLite (presence in
 * memory) and on PostgreSQL with Redis (presence and the online directory in Redis).
 */
const server = useServer({
  config: { apiKeyRatePerSecond: 1000 },
  sites: [{ id: 'shop' }, { id: 'plaza' }, { id: 'mall' }],
});
const { call, newKey } = adminClient(() => server);

/** Signs `externalId` in with an identity token over HTTP: the session token the widget keeps. */
async function sessionOf(site: string, externalId: string, url = server.url): Promise<string> {
  const secret = (await server.app.store.getSite(site))!.secret;
  const identity = await identityToken(secret, { sub: externalId, aud: site });
  const response = await fetch(`${url}/api/v1/sites/${site}/sessions/identity`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identity }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { data: { token: string } }).data.token;
}

async function connect(site: string, externalId: string, url = server.url): Promise<TestClient & { token: string }> {
  const token = await sessionOf(site, externalId, url);
  return Object.assign(server.track(await TestClient.connect(url, token, { site })), { token });
}

const refusal = (connecting: Promise<unknown>) =>
  connecting.then(
    () => 'accepted',
    (err: { data?: ErrorBody }) => err.data?.code,
  );

describe('server API: user metadata', () => {
  it('stores the host’s JSON object with the user, returns it, keeps, replaces and clears it', async () => {
    const key = await newKey();
    const metadata = { plan: 'gold', tags: ['a', 'b'], limits: { rooms: 3, beta: true }, note: null };
    const put = await call('PUT', 'shop/users/meta-1', { key, body: { name: 'Meta', metadata } });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body.data.user.metadata).toEqual(metadata);
    expect((await call('GET', 'shop/users/meta-1', { key })).body.data.user.metadata).toEqual(metadata);
    // A profile update without `metadata` keeps it; a new object replaces it; null clears it.
    await call('PUT', 'shop/users/meta-1', { key, body: { name: 'Meta Two' } });
    const kept = await call('GET', 'shop/users/meta-1', { key });
    expect(kept.body.data.user).toMatchObject({ displayName: 'Meta Two', metadata });
    await call('PUT', 'shop/users/meta-1', { key, body: { name: 'Meta Two', metadata: { plan: 'free' } } });
    expect((await call('GET', 'shop/users/meta-1', { key })).body.data.user.metadata).toEqual({ plan: 'free' });
    await call('PUT', 'shop/users/meta-1', { key, body: { name: 'Meta Two', metadata: null } });
    expect((await call('GET', 'shop/users/meta-1', { key })).body.data.user.metadata).toBeNull();
    const id = (await server.app.store.findUserByExternalId('shop', 'meta-1'))!.id;
    expect(await server.app.store.userMetadata(id)).toBeNull();
  });

  it('refuses metadata that is not an object, or over 4096 bytes as JSON (bytes, not characters)', async () => {
    const key = await newKey();
    for (const metadata of [['a'], 'text', 42]) {
      const refused = await call('PUT', 'shop/users/meta-2', { key, body: { name: 'M', metadata } });
      expect(refused.status).toBe(400);
      expect(refused.body.error?.message).toMatch(/metadata/);
    }
    // {"k":"…"} is 8 bytes around the text.
    const atLimit = { k: 'x'.repeat(4088) };
    const ok = await call('PUT', 'shop/users/meta-2', { key, body: { name: 'M', metadata: atLimit } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const over = await call('PUT', 'shop/users/meta-2', {
      key,
      body: { name: 'M', metadata: { k: 'x'.repeat(4089) } },
    });
    expect(over.status).toBe(400);
    expect(over.body.error?.message).toMatch(/metadata.*4096 bytes/);
    // 2045 two-byte characters: 2053 characters of JSON, but 4098 bytes.
    const wide = await call('PUT', 'shop/users/meta-2', {
      key,
      body: { name: 'M', metadata: { k: 'é'.repeat(2045) } },
    });
    expect(wide.status).toBe(400);
    expect((await call('GET', 'shop/users/meta-2', { key })).body.data.user.metadata).toEqual(atLimit);
  });
});

describe('server API: deleting a user', () => {
  it('wipes the profile, ends sessions and live sockets, leaves rooms and buddies; the history stays', async () => {
    const key = await newKey();
    await call('PUT', 'shop/users/del-1', {
      key,
      body: {
        name: 'Dora Delete',
        avatarUrl: 'https://shop.example/d.png',
        email: 'dora@shop.example',
        metadata: { a: 1 },
      },
    });
    await call('PUT', 'shop/users/del-2', { key, body: { name: 'Peer' } });
    await call('PUT', 'shop/users/del-1/buddies', { key, body: { buddies: ['del-2'] } });
    const room = await call('POST', 'shop/rooms', {
      key,
      body: { name: 'Del room', owner: 'del-1', members: ['del-2'] },
    });
    const roomId: string = room.body.data.room.id;
    const dora = await connect('shop', 'del-1');
    const peer = await connect('shop', 'del-2');
    const doraId = dora.ready.user.id;
    const direct = await dora.send(peer.ready.user.id, 'A direct word');
    const inRoom = await call('POST', `shop/rooms/${roomId}/messages`, {
      key,
      body: { text: 'In the room', from: 'del-1' },
    });
    expect(inRoom.status).toBe(201);

    const deleted = await call('DELETE', 'shop/users/del-1', { key, idempotencyKey: 'delete-del-1' });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.data).toEqual({ deleted: true });

    // The live socket was told and closed; the old session token is refused from now on.
    await waitFor(() => dora.ended.some((e) => e.reason === 'account_deleted'), 5000, 'session:ended');
    await waitFor(() => !dora.socket.connected, 5000, 'the socket closed');
    expect(await refusal(TestClient.connect(server.url, dora.token, { site: 'shop' }))).toBe(ErrorCode.Unauthorized);

    // The profile is wiped and the external id released.
    const row = (await server.app.store.getUser(doraId))!;
    expect(row).toMatchObject({ displayName: DELETED_USER_NAME, avatarUrl: null, email: null, externalId: null });
    expect(row.username).not.toContain('del-1');
    expect(await server.app.store.userMetadata(doraId)).toBeNull();
    expect((await call('GET', 'shop/users/del-1', { key })).status).toBe(404);

    // Out of the peer's buddy list (told live) and out of the room, which the peer now owns.
    await waitFor(() => peer.rosterChanges.some((c) => 'removed' in c && c.removed === doraId), 5000, 'roster');
    expect((await server.app.store.roster(peer.ready.user.id)).map((r) => r.buddy.id)).not.toContain(doraId);
    expect(await server.app.store.roomRole(roomId, doraId)).toBeNull();
    expect(await server.app.store.roomRole(roomId, peer.ready.user.id)).toBe('owner');

    // Nobody finds the deleted user by name any more.
    expect((await peer.ok('user:search', { query: 'Deleted' })).users).toEqual([]);

    // The messages stay in the peer's history, from the deleted user.
    const dm = await peer.ok('message:history', { in: { kind: 'direct', id: doraId } });
    expect(dm.messages.map((m) => m.id)).toContain(direct.message.id);
    const history = await call('GET', `shop/rooms/${roomId}/messages`, { key });
    const kept = history.body.data.messages.find((m: { id: string }) => m.id === inRoom.body.data.message.id);
    expect(kept).toMatchObject({ senderId: doraId, senderExternalId: null });

    // Deleting again is fine: the same key replays, a new request finds nobody.
    const replay = await call('DELETE', 'shop/users/del-1', { key, idempotencyKey: 'delete-del-1' });
    expect(replay.replayed).toBe(true);
    expect(replay.body.data).toEqual({ deleted: true });
    expect((await call('DELETE', 'shop/users/del-1', { key })).body.data).toEqual({ deleted: false });

    // The host may use the id again: a new, empty user.
    const again = await call('PUT', 'shop/users/del-1', { key, body: { name: 'Someone new' } });
    expect(again.status).toBe(201);
    expect(again.body.data.user.id).not.toBe(doraId);
    expect(again.body.data.user.metadata).toBeNull();
    const fresh = await connect('shop', 'del-1');
    expect(fresh.ready.user.id).toBe(again.body.data.user.id);
    expect(fresh.ready.roster).toEqual([]);
  });

  it('refuses Parley’s own ids and answers an unknown user with deleted: false', async () => {
    const key = await newKey();
    expect((await call('DELETE', 'shop/users/parley:system', { key })).status).toBe(400);
    const none = await call('DELETE', 'shop/users/never-made', { key });
    expect(none.status).toBe(200);
    expect(none.body.data).toEqual({ deleted: false });
  });
});

describe('server API: system notices in direct chats', () => {
  it('sends from the site’s system user to the user, live, without a buddy relation', async () => {
    const key = await newKey();
    await call('PUT', 'shop/users/notice-1', { key, body: { name: 'Nora' } });
    const nora = await connect('shop', 'notice-1');
    const body = { system: true, text: 'Your invoice is ready.' };
    const sent = await call('POST', 'shop/users/notice-1/messages', { key, body, idempotencyKey: 'invoice-1' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.data.message.senderExternalId).toBe('parley:system');
    const live = await waitFor(() => nora.messages.find((e) => e.message.id === sent.body.data.message.id));
    expect(live.message.content).toEqual({ kind: 'text', text: 'Your invoice is ready.' });
    expect(live.message.recipientId).toBe(nora.ready.user.id);
    const system = (await server.app.store.getUser(live.message.senderId))!;
    expect(system).toMatchObject({ externalId: 'parley:system', displayName: 'shop' });
    // The same key again: the first answer, one message.
    const again = await call('POST', 'shop/users/notice-1/messages', { key, body, idempotencyKey: 'invoice-1' });
    expect(again.replayed).toBe(true);
    const chat = await call('GET', 'shop/users/notice-1/conversations/parley:system/messages', { key });
    expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    expect(chat.body.data.messages.map((m: { id: string }) => m.id)).toEqual([sent.body.data.message.id]);
    // Either a recipient or a notice; notices only to users who exist.
    const both = await call('POST', 'shop/users/notice-1/messages', { key, body: { ...body, to: 'x' } });
    expect(both.status).toBe(400);
    expect(both.body.error?.message).toMatch(/to or system/);
    expect((await call('POST', 'shop/users/nobody-here/messages', { key, body })).status).toBe(404);
  });
});

/** Every page of `GET online` for the site, following `nextCursor`. */
async function allOnline(call: ReturnType<typeof adminClient>['call'], site: string, key: string, limit: number) {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const answer = await call('GET', `${site}/online?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { key });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    pages.push(answer.body.data.users.map((u: { externalId: string }) => u.externalId));
    cursor = answer.body.data.nextCursor;
    expect(pages.length).toBeLessThan(20);
  } while (cursor);
  return pages;
}

describe('server API: every online user of the site, a page at a time', () => {
  it('pages through the site’s online users by cursor; invisible, offline and other sites’ users left out', async () => {
    const key = await newKey('plaza');
    const ids = ['on-1', 'on-2', 'on-3', 'on-4', 'on-5', 'on-6'];
    for (const id of ids) await call('PUT', `plaza/users/${id}`, { key, body: { name: id } });
    const clients = await Promise.all(ids.slice(0, 5).map((id) => connect('plaza', id))); // on-6 stays away
    await clients[3]!.ok('presence:set', { state: 'invisible' }); // on-4
    await clients[4]!.ok('presence:set', { state: 'busy' }); // on-5: online, busy
    const mallKey = await newKey('mall');
    await call('PUT', 'mall/users/elsewhere', { key: mallKey, body: { name: 'Elsewhere' } });
    await connect('mall', 'elsewhere');

    const pages = await allOnline(call, 'plaza', key, 2);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(2);
    expect(pages.flat().sort()).toEqual(['on-1', 'on-2', 'on-3', 'on-5']);
    expect(new Set(pages.flat()).size).toBe(pages.flat().length);
    const one = await call('GET', 'plaza/online?limit=100', { key });
    const busy = one.body.data.users.find((u: { externalId: string }) => u.externalId === 'on-5');
    expect(busy.presence.state).toBe('busy');
    expect(one.body.data.nextCursor).toBeNull();

    // Gone after the grace period.
    clients[0]!.close();
    await waitFor(
      async () => !(await allOnline(call, 'plaza', key, 100)).flat().includes('on-1'),
      5000,
      'on-1 offline',
    );
    expect((await allOnline(call, 'plaza', key, 100)).flat().sort()).toEqual(['on-2', 'on-3', 'on-5']);

    // Bounds: at most 100 a page, and `users` does not page.
    expect((await call('GET', 'plaza/online?limit=101', { key })).status).toBe(400);
    const mixed = await call('GET', 'plaza/online?users=on-2&limit=5', { key });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error?.message).toMatch(/not both/);
  });

  it.runIf(useRedis)('cluster: lists users connected to another node, and deletes them there', async () => {
    // Two nodes on one database and one Redis prefix: a user on node B, the host calling node A.
    const prefix = testRedisPrefix();
    const config = { apiKeyRatePerSecond: 1000, redis: { url: TEST_REDIS_URL, prefix } };
    const nodeA: TestServer = await startServer({ database: server.database, config });
    const nodeB: TestServer = await startServer({ database: server.database, config });
    try {
      const a = adminClient(() => nodeA);
      const key = await a.newKey('plaza', 'cluster');
      await a.call('PUT', 'plaza/users/far-1', { key, body: { name: 'Far' } });
      const far = await connect('plaza', 'far-1', nodeB.url);
      await waitFor(async () => (await allOnline(a.call, 'plaza', key, 50)).flat().includes('far-1'), 5000, 'far-1');
      const deleted = await a.call('DELETE', 'plaza/users/far-1', { key });
      expect(deleted.body.data).toEqual({ deleted: true });
      await waitFor(() => far.ended.some((e) => e.reason === 'account_deleted'), 5000, 'session:ended on node B');
      await waitFor(() => !far.socket.connected, 5000, 'the socket on node B closed');
      await waitFor(async () => !(await allOnline(a.call, 'plaza', key, 50)).flat().includes('far-1'), 5000, 'gone');
    } finally {
      await nodeB.close(true);
      await nodeA.close(true);
      await dropRedisPrefix(prefix);
    }
  });
});
