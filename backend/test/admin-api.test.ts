import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.js';
import { ErrorCode, type ErrorBody } from '../src/protocol/index.js';
import { adminClient } from './admin-client.js';
import { ApiKeys, apiKeyHash } from '../src/services/host-api/api-keys.js';
import { identityToken, startServer, TestClient, useServer, waitFor } from './support.js';

/** The server API for host sites (docs/api.md): per-site API keys, users, rooms, notices, history. */
const server = useServer({
  config: { apiKeyRatePerSecond: 1000 },
  sites: [{ id: 'shop' }, { id: 'mall' }],
});

const { call, newKey } = adminClient(() => server);

async function signIn(site: string, externalId: string) {
  const secret = (await server.app.store.getSite(site))!.secret;
  const jwt = await identityToken(secret, { sub: externalId, aud: site });
  return server.track(await TestClient.connect(server.url, jwt, { site, identity: true }));
}

describe('server API: a host creates a user and a room, posts a system notice, and the user gets it live', () => {
  it('must-show 1: user and room through the API, a system notice reaches the user’s socket', async () => {
    const key = await newKey();
    const put = await call('PUT', 'shop/users/host-42', {
      key,
      body: { name: 'Ada Host', avatarUrl: 'https://shop.example/ada.png', email: 'ada@shop.example' },
      idempotencyKey: 'user-42-v1',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body.data.user).toMatchObject({ externalId: 'host-42', displayName: 'Ada Host' });

    // The same person signing in with the host's identity token is the same user.
    const ada = await signIn('shop', 'host-42');
    expect(ada.ready.user.id).toBe(put.body.data.user.id);

    const room = await call('POST', 'shop/rooms', {
      key,
      body: { name: 'Order 1001', owner: 'host-42' },
      idempotencyKey: 'room-1001',
    });
    expect(room.status, JSON.stringify(room.body)).toBe(201);
    const roomId: string = room.body.data.room.id;
    expect(room.body.data.room.members.map((m: { user: { id: string } }) => m.user.id)).toEqual([ada.ready.user.id]);

    const notice = { text: 'Your order has shipped.', system: true };
    const first = await call('POST', `shop/rooms/${roomId}/messages`, {
      key,
      body: notice,
      idempotencyKey: 'ship-1001',
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.replayed).toBe(false);
    const live = await waitFor(() => ada.messages.find((e) => e.message.id === first.body.data.message.id));
    expect(live.message.content).toEqual({ kind: 'text', text: 'Your order has shipped.' });
    expect(live.message.roomId).toBe(roomId);
    // A system notice comes from the site's own system user, named after the site.
    const system = (await server.app.store.getUser(live.message.senderId))!;
    expect(system.externalId).toBe('parley:system');
    expect(first.body.data.message.senderExternalId).toBe('parley:system');

    // The same Idempotency-Key twice: the first answer again, and one message stored.
    const again = await call('POST', `shop/rooms/${roomId}/messages`, {
      key,
      body: notice,
      idempotencyKey: 'ship-1001',
    });
    expect(again.status).toBe(201);
    expect(again.replayed).toBe(true);
    expect(again.body).toEqual(first.body);
    const history = await call('GET', `shop/rooms/${roomId}/messages`, { key });
    expect(history.body.data.messages.map((m: { id: string }) => m.id)).toEqual([first.body.data.message.id]);
    // The same key with another body is refused, and stores nothing.
    const other = await call('POST', `shop/rooms/${roomId}/messages`, {
      key,
      body: { text: 'Something else.', system: true },
      idempotencyKey: 'ship-1001',
    });
    expect(other.status).toBe(409);
    expect(other.body.error?.code).toBe(ErrorCode.IdempotencyConflict);
    expect((await call('GET', `shop/rooms/${roomId}/messages`, { key })).body.data.messages).toHaveLength(1);
    // Replays of the user upsert and room creation too: no second room, the same user.
    const roomAgain = await call('POST', 'shop/rooms', {
      key,
      body: { name: 'Order 1001', owner: 'host-42' },
      idempotencyKey: 'room-1001',
    });
    expect(roomAgain.replayed).toBe(true);
    expect(roomAgain.body.data.room.id).toBe(roomId);
    expect(await server.app.store.roomsOf(ada.ready.user.id)).toHaveLength(1);

    // A user who was offline gets the notice when they next sync.
    const offlineBob = await call('PUT', 'shop/users/host-43', { key, body: { name: 'Bob' } });
    expect(offlineBob.status).toBe(201);
    const room2 = await call('POST', 'shop/rooms', {
      key,
      body: { name: 'Team', owner: 'host-42', members: ['host-43'] },
    });
    const sent = await call('POST', `shop/rooms/${room2.body.data.room.id}/messages`, {
      key,
      body: { text: 'Welcome, team.', system: true },
    });
    expect(sent.status).toBe(201);
    const bob = await signIn('shop', 'host-43');
    const synced = await bob.syncAll();
    expect(synced.some((e) => e.kind === 'message' && e.message.id === sent.body.data.message.id)).toBe(true);
  });

  it('refuses a missing, wrong or revoked key (401) and another site’s key (403)', async () => {
    const keys = new ApiKeys(server.app.store);
    const good = await newKey();
    const body = { name: 'Eve' };
    const status = async (key?: string) => (await call('PUT', 'shop/users/host-eve', { key, body })).status;
    expect(await status(undefined)).toBe(401);
    expect(await status('not-a-key')).toBe(401);
    // Right shape and id, wrong secret.
    expect(await status(`${good.slice(0, -4)}AAAA`)).toBe(401);
    const revoked = await keys.create('shop', 'old');
    expect(await status(revoked.key)).toBe(201);
    expect(await keys.revoke('shop', revoked.record.id)).toBe(true);
    const refused = await call('PUT', 'shop/users/host-eve', { key: revoked.key, body });
    expect(refused.status).toBe(401);
    expect(refused.body.error?.code).toBe(ErrorCode.Unauthorized);
    const mallKey = await newKey('mall');
    const foreign = await call('PUT', 'shop/users/host-eve', { key: mallKey, body });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error?.code).toBe(ErrorCode.Forbidden);
    // Nor can it read: the history of a shop room is not the mall's business.
    expect((await call('GET', 'shop/online?users=host-eve', { key: mallKey })).status).toBe(403);
    expect(await status(good)).toBe(200);
  });

  it('answers bad bodies with 400 naming the fields, and unknown users and rooms with 404', async () => {
    const key = await newKey();
    const noName = await call('PUT', 'shop/users/host-x', { key, body: { avatarUrl: 'http://insecure/a.png' } });
    expect(noName.status).toBe(400);
    expect(noName.body.error?.code).toBe(ErrorCode.BadRequest);
    expect(noName.body.error?.message).toMatch(/name/);
    expect(noName.body.error?.message).toMatch(/avatarUrl/);
    const extra = await call('POST', 'shop/rooms', { key, body: { name: 'R', owner: 'host-x', admin: true } });
    expect(extra.status).toBe(400);
    expect(extra.body.error?.message).toMatch(/admin/);
    const both = await call('POST', 'shop/rooms/r1/messages', { key, body: { text: 'hi', from: 'a', system: true } });
    expect(both.status).toBe(400);
    expect(both.body.error?.message).toMatch(/from or system/);
    const notJson = await call('POST', 'shop/rooms', { key, raw: '{"name":' });
    expect(notJson.status).toBe(400);
    const reserved = await call('PUT', 'shop/users/parley:system', { key, body: { name: 'Impostor' } });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error?.message).toMatch(/externalId/);
    // Nor can an identity token claim Parley's own ids.
    const secret = (await server.app.store.getSite('shop'))!.secret;
    const forged = await identityToken(secret, { sub: 'parley:system', aud: 'shop' });
    const refused = await TestClient.connect(server.url, forged, { site: 'shop', identity: true }).then(
      () => 'accepted',
      (err: { data?: ErrorBody }) => err.data?.code,
    );
    expect(refused).toBe(ErrorCode.IdentityInvalid);
    const badIdem = await call('PUT', 'shop/users/host-x', { key, body: { name: 'X' }, idempotencyKey: 'a b' });
    expect(badIdem.status).toBe(400);
    expect(badIdem.body.error?.message).toMatch(/Idempotency-Key/);
    const noOwner = await call('POST', 'shop/rooms', { key, body: { name: 'R', owner: 'nobody' } });
    expect(noOwner.status).toBe(404);
    const noRoom = await call('POST', 'shop/rooms/no-such-room/messages', { key, body: { text: 'hi', system: true } });
    expect(noRoom.status).toBe(404);
    // A room of another site is not found either.
    const mallKey = await newKey('mall');
    await call('PUT', 'mall/users/m-1', { key: mallKey, body: { name: 'M' } });
    const mallRoom = await call('POST', 'mall/rooms', { key: mallKey, body: { name: 'Mall room', owner: 'm-1' } });
    expect(mallRoom.status).toBe(201);
    const cross = await call('GET', `shop/rooms/${mallRoom.body.data.room.id}/messages`, { key });
    expect(cross.status).toBe(404);
    const pageBoth = await call('GET', `mall/rooms/${mallRoom.body.data.room.id}/messages?before=a&after=b`, {
      key: mallKey,
    });
    expect(pageBoth.status).toBe(400);
    expect(pageBoth.body.error?.message).toMatch(/before or after/);
  });
});

describe('server API: idempotency under races and restarts', () => {
  it('stores once when the same Idempotency-Key arrives twice at the same moment', async () => {
    const key = await newKey();
    await call('PUT', 'shop/users/race-1', { key, body: { name: 'Racer' } });
    const room = await call('POST', 'shop/rooms', { key, body: { name: 'Race', owner: 'race-1' } });
    const roomId: string = room.body.data.room.id;
    const body = { text: 'Once only.', system: true };
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        call('POST', `shop/rooms/${roomId}/messages`, { key, body, idempotencyKey: 'race' }),
      ),
    );
    // The first is handled; the others replay it, or are told it is still being handled.
    expect(answers.filter((a) => a.status === 201 && !a.replayed)).toHaveLength(1);
    for (const a of answers) {
      if (a.status !== 201) expect(a.body.error?.code).toBe(ErrorCode.IdempotencyConflict);
    }
    const history = await call('GET', `shop/rooms/${roomId}/messages`, { key });
    expect(history.body.data.messages).toHaveLength(1);
  });

  it('lets a retry take over a claim abandoned mid-request, and forgets answers after 24 hours', async () => {
    const store = server.app.store;
    const { record } = await new ApiKeys(store).create('shop', 'claims');
    const t0 = new Date('2030-01-01T00:00:00Z');
    const later = (ms: number) => new Date(t0.getTime() + ms);
    const day = 24 * 3600_000;
    expect(await store.claimIdempotent(record.id, 'k', 'h', t0, later(day))).toBeNull();
    // Still being handled a second later: the retry is told so.
    expect(await store.claimIdempotent(record.id, 'k', 'h', later(1000), later(day))).toMatchObject({ status: 0 });
    // Three minutes later nobody will finish it (its server stopped): the retry takes it over.
    expect(await store.claimIdempotent(record.id, 'k', 'h', later(180_000), later(day))).toBeNull();
    await store.finishIdempotent(record.id, 'k', 201, '{"ok":true}');
    expect(await store.claimIdempotent(record.id, 'k', 'h', later(200_000), later(day))).toEqual({
      requestHash: 'h',
      status: 201,
      response: '{"ok":true}',
    });
    // Answers live 24 hours, then the sweep deletes them.
    expect(await store.sweepIdempotent(later(2 * day))).toBeGreaterThanOrEqual(1);
    expect(await store.claimIdempotent(record.id, 'k', 'other', later(2 * day), later(3 * day))).toBeNull();
  });

  it('replays a stored answer after a restart (kept in the database)', async () => {
    const first = await startServer({ sites: [{ id: 'inn' }] });
    const key = (await new ApiKeys(first.app.store).create('inn', 'restart')).key;
    const put = (url: string) =>
      fetch(`${url}/api/v1/admin/sites/inn/users/guest-1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'guest-1' },
        body: JSON.stringify({ name: 'Guest' }),
      });
    const before = await put(first.url);
    expect(before.status).toBe(201);
    const answer = await before.json();
    await first.close(true);
    const second = await startServer({ database: first.database });
    try {
      const after = await put(second.url);
      expect(after.status).toBe(201);
      expect(after.headers.get('idempotent-replayed')).toBe('true');
      expect(await after.json()).toEqual(answer);
    } finally {
      await second.close();
    }
  });
});

describe('server API: history, buddies, online, limits', () => {
  it('pages a room’s history, newest first, with messages sent as members', async () => {
    const key = await newKey();
    await call('PUT', 'shop/users/p-1', { key, body: { name: 'P One' } });
    await call('PUT', 'shop/users/p-2', { key, body: { name: 'P Two' } });
    const room = await call('POST', 'shop/rooms', { key, body: { name: 'Paging', owner: 'p-1', members: ['p-2'] } });
    const roomId: string = room.body.data.room.id;
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call('POST', `shop/rooms/${roomId}/messages`, {
        key,
        body: { text: `m${i}`, from: i % 2 ? 'p-2' : 'p-1' },
      });
      expect(r.status).toBe(201);
      sent.push(r.body.data.message.id);
    }
    const first = await call('GET', `shop/rooms/${roomId}/messages?limit=2`, { key });
    expect(first.body.data.messages.map((m: { id: string }) => m.id)).toEqual([sent[4], sent[3]]);
    expect(first.body.data.hasMore).toBe(true);
    expect(first.body.data.messages[0].senderExternalId).toBe('p-1');
    expect(first.body.data.messages[1].senderExternalId).toBe('p-2');
    const second = await call('GET', `shop/rooms/${roomId}/messages?limit=2&before=${sent[3]}`, { key });
    expect(second.body.data.messages.map((m: { id: string }) => m.id)).toEqual([sent[2], sent[1]]);
    const last = await call('GET', `shop/rooms/${roomId}/messages?limit=2&before=${sent[1]}`, { key });
    expect(last.body.data.messages.map((m: { id: string }) => m.id)).toEqual([sent[0]]);
    expect(last.body.data.hasMore).toBe(false);
    const newer = await call('GET', `shop/rooms/${roomId}/messages?limit=2&after=${sent[1]}`, { key });
    expect(newer.body.data.messages.map((m: { id: string }) => m.id)).toEqual([sent[3], sent[2]]);
    expect(newer.body.data.hasMore).toBe(true);
    // A user who is not in the room cannot send into it.
    await call('PUT', 'shop/users/p-3', { key, body: { name: 'P Three' } });
    const outsider = await call('POST', `shop/rooms/${roomId}/messages`, { key, body: { text: 'x', from: 'p-3' } });
    expect(outsider.status).toBe(404);
  });

  it('sets a room’s members: those left out are removed (and told), the new ones are in at once', async () => {
    const key = await newKey();
    for (const id of ['s-1', 's-2', 's-3']) await call('PUT', `shop/users/${id}`, { key, body: { name: id } });
    const room = await call('POST', 'shop/rooms', { key, body: { name: 'Set', owner: 's-1', members: ['s-2'] } });
    const roomId: string = room.body.data.room.id;
    await call('POST', `shop/rooms/${roomId}/messages`, { key, body: { text: 'Notice', system: true } });
    const s2 = await signIn('shop', 's-2');
    const set = await call('PUT', `shop/rooms/${roomId}/members`, { key, body: { members: ['s-3'] } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const ids = async (...external: string[]) =>
      Promise.all(external.map(async (e) => (await server.app.store.findUserByExternalId('shop', e))!.id));
    const members = set.body.data.room.members.map((m: { user: { id: string } }) => m.user.id).sort();
    // The owner stays, and so does the site's system user, who sent a notice here.
    expect(members).toEqual((await ids('s-1', 's-3', 'parley:system')).sort());
    await waitFor(() => s2.roomRemovals.find((r) => r.roomId === roomId && r.reason === 'removed'));
    expect(await server.app.store.roomRole(roomId, (await ids('s-3'))[0]!)).toBe('member');
    const sent = await call('POST', `shop/rooms/${roomId}/messages`, { key, body: { text: 'hi', from: 's-3' } });
    expect(sent.status).toBe(201);
    expect(
      (await call('POST', `shop/rooms/${roomId}/messages`, { key, body: { text: 'x', from: 's-2' } })).status,
    ).toBe(404);
  });

  it('imports buddies (mutual, live in the roster) and lists who is online', async () => {
    const key = await newKey();
    for (const id of ['b-1', 'b-2', 'b-3']) await call('PUT', `shop/users/${id}`, { key, body: { name: id } });
    const b1 = await signIn('shop', 'b-1');
    const imported = await call('PUT', 'shop/users/b-1/buddies', {
      key,
      body: { buddies: ['b-2', 'b-3', 'nobody'] },
      idempotencyKey: 'friends-b1',
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    expect(imported.body.data.results).toEqual([
      { externalId: 'b-2', state: 'buddies' },
      { externalId: 'b-3', state: 'buddies' },
      { externalId: 'nobody', state: 'not_found' },
    ]);
    const b2 = await signIn('shop', 'b-2');
    expect(b2.ready.roster.map((e) => [e.user.id, e.state])).toEqual([[b1.ready.user.id, 'accepted']]);
    // Importing again changes nothing.
    const again = await call('PUT', 'shop/users/b-1/buddies', { key, body: { buddies: ['b-2'] } });
    expect(again.body.data.results).toEqual([{ externalId: 'b-2', state: 'buddies' }]);

    // Buddies may message each other through the API: live to the recipient, in both histories.
    const dm = await call('POST', 'shop/users/b-2/messages', {
      key,
      body: { to: 'b-1', text: 'Hi from b-2' },
      idempotencyKey: 'dm-1',
    });
    expect(dm.status, JSON.stringify(dm.body)).toBe(201);
    const got = await waitFor(() => b1.messages.find((e) => e.message.id === dm.body.data.message.id));
    expect(got.message.senderId).toBe(b2.ready.user.id);
    expect(
      (
        await call('POST', 'shop/users/b-2/messages', {
          key,
          body: { to: 'b-1', text: 'Hi from b-2' },
          idempotencyKey: 'dm-1',
        })
      ).replayed,
    ).toBe(true);
    const dmHistory = await call('GET', 'shop/users/b-1/conversations/b-2/messages?limit=10', { key });
    expect(dmHistory.status, JSON.stringify(dmHistory.body)).toBe(200);
    expect(
      dmHistory.body.data.messages.map((m: { id: string; senderExternalId: string }) => [m.id, m.senderExternalId]),
    ).toEqual([[dm.body.data.message.id, 'b-2']]);
    // Strangers may not (the site does not allow it), as in the widget.
    await call('PUT', 'shop/users/b-4', { key, body: { name: 'b-4' } });
    const stranger = await call('POST', 'shop/users/b-4/messages', { key, body: { to: 'b-1', text: 'hello?' } });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error?.code).toBe(ErrorCode.Forbidden);

    const online = await call('GET', 'shop/online?users=b-1&users=b-2&users=b-3', { key });
    expect(online.status, JSON.stringify(online.body)).toBe(200);
    expect(online.body.data.users.map((u: { externalId: string }) => u.externalId).sort()).toEqual(['b-1', 'b-2']);
    expect(online.body.data.users[0].presence.state).toBe('online');
    const one = await call('GET', 'shop/online?users=b-3', { key });
    expect(one.body.data.users).toEqual([]);
  });

  it('limits the rate per API key', async () => {
    // A server of its own with one request a second per key (bursts of two), so that a slow
    // machine cannot refill the bucket while the requests are on their way.
    const slow = await startServer({ config: { apiKeyRatePerSecond: 1 }, sites: [{ id: 'inn' }] });
    try {
      const keys = new ApiKeys(slow.app.store);
      const [key, other] = [(await keys.create('inn', 'a')).key, (await keys.create('inn', 'b')).key];
      const get = (k: string) =>
        fetch(`${slow.url}/api/v1/admin/sites/inn/online?users=nobody`, { headers: { authorization: `Bearer ${k}` } });
      const answers = await Promise.all(Array.from({ length: 6 }, () => get(key)));
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(2);
      expect(((await limited[0]!.json()) as { error: ErrorBody }).error.code).toBe(ErrorCode.RateLimited);
      // Another key of the same site has its own allowance.
      expect((await get(other)).status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});

const run = promisify(execFile);
async function site(...args: string[]) {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'backend/scripts/site.ts'), ...args],
      {
        env: { ...process.env, DATABASE_URL: server.database.url },
      },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('npm run site -- api-keys', () => {
  it('creates (shown once, only its hash stored), lists, rotates and revokes keys', { timeout: 180_000 }, async () => {
    const created = await site('api-keys', 'mall', '--create', 'billing server');
    expect(created.code, created.out).toBe(0);
    const key = /key: +(pk_[0-9a-f]{16}_[\w-]{43})/.exec(created.out)?.[1];
    expect(key, created.out).toBeDefined();
    const keyId = key!.slice(3, 19);
    const stored = (await server.app.store.getApiKey(keyId))!;
    expect(stored.hash).toBe(apiKeyHash(key!));
    expect(JSON.stringify(stored)).not.toContain(key!.slice(20));
    expect((await call('PUT', 'mall/users/cli-1', { key, body: { name: 'Cli' } })).status).toBe(201);

    const listed = await site('api-keys', 'mall', '--list');
    expect(listed.code, listed.out).toBe(0);
    expect(listed.out).toContain(keyId);
    expect(listed.out).toContain('billing server');
    expect(listed.out).not.toContain(key!.slice(20)); // the key is never shown again

    const rotated = await site('api-keys', 'mall', '--rotate', keyId);
    expect(rotated.code, rotated.out).toBe(0);
    const next = /key: +(pk_[0-9a-f]{16}_[\w-]{43})/.exec(rotated.out)?.[1];
    expect(next).toBeDefined();
    expect((await call('GET', 'mall/users/cli-1', { key })).status).toBe(401);
    expect((await call('GET', 'mall/users/cli-1', { key: next })).status).toBe(200);

    const revoked = await site('api-keys', 'mall', '--revoke', next!.slice(3, 19));
    expect(revoked.code, revoked.out).toBe(0);
    expect((await call('GET', 'mall/users/cli-1', { key: next })).status).toBe(401);
    // A key of another site cannot be revoked through this one.
    const shopKey = await new ApiKeys(server.app.store).create('shop', 'x');
    expect((await site('api-keys', 'mall', '--revoke', shopKey.record.id)).code).toBe(2);
    expect((await call('GET', 'shop/online?users=x', { key: shopKey.key })).status).toBe(200);
  });
});
