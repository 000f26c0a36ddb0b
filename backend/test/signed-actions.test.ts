import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/protocol/index.js';
import { addUser, codeOf, identityToken, login, TestClient, useServer, waitFor } from './support.js';
import { useRedis } from './services.js';

/**
 * Signed actions (docs/protocol.md#signed-actions): a site that lists an action in
 * `signedActions` accepts it only with a fresh token its server signed for that user, action and
 * resource, once. On the postgres project the server runs in cluster mode, so used `jti`s are
 * remembered in Redis; on SQLite in the database.
 */
const SECRET = 'signed-site-secret-0123456789abcdef';
const server = useServer({
  config: { sessionCheckMs: 200 },
  sites: [
    {
      id: 'signed',
      secret: SECRET,
      settings: { signedActions: ['room:join', 'room:invite', 'buddy:add'], strangersMayMessage: true },
    },
    { id: 'calling', secret: SECRET, settings: { signedActions: ['call:start', 'room:create'] } },
  ],
});

/** An action token as a host's server would sign it: valid for 30 s unless told otherwise. */
function actionToken(
  claims: { sub: string; act: string; res: string; jti?: string; exp?: number; aud?: string },
  secret = SECRET,
): Promise<string> {
  const { exp, jti, ...rest } = claims;
  return new SignJWT({ ...rest, jti: jti ?? randomUUID() })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(exp ?? Math.floor(Date.now() / 1000) + 30)
    .sign(new TextEncoder().encode(secret));
}

/** A host user of a site, signed in with an identity token (so its `sub` is `externalId`). */
async function hostUser(externalId: string, site = 'signed') {
  const jwt = await identityToken(SECRET, { sub: externalId, name: externalId });
  return server.track(await TestClient.connect(server.url, jwt, { site, identity: true }));
}

describe('signed actions', () => {
  it('session:ready lists the actions the site signs; other sites list none', async () => {
    const owner = await hostUser('ready-1');
    expect(owner.ready.signedActions).toEqual(['room:join', 'room:invite', 'buddy:add']);
    const demo = await (await server.user('dee')).connect();
    expect(demo.ready.signedActions).toEqual([]);
  });

  it('refuses a room join without a token, expired, wrong act/res/sub/site or secret, and a replay; accepts a fresh one', async () => {
    const owner = await hostUser('owner-1');
    const joiner = await hostUser('joiner-1');
    // room:create is not listed: no token needed.
    const { room } = await owner.ok('room:create', { name: 'Lobby', public: true });
    const { room: other } = await owner.ok('room:create', { name: 'Other', public: true });
    const now = Math.floor(Date.now() / 1000);
    const good = { sub: 'joiner-1', act: 'room:join', res: room.id };
    const join = async (token?: string) =>
      codeOf(
        joiner.request(
          'room:join',
          token === undefined ? { roomId: room.id } : { roomId: room.id, actionToken: token },
        ),
      );

    expect(await join()).toBe(ErrorCode.ActionTokenRequired);
    expect(await join(await actionToken({ ...good, exp: now - 30 }))).toBe(ErrorCode.ActionTokenExpired);
    expect(await join(await actionToken({ ...good, act: 'room:create' }))).toBe(ErrorCode.ActionTokenInvalid);
    expect(await join(await actionToken({ ...good, res: other.id }))).toBe(ErrorCode.ActionTokenInvalid);
    expect(await join(await actionToken({ ...good, sub: 'owner-1' }))).toBe(ErrorCode.ActionTokenInvalid);
    expect(await join(await actionToken({ ...good, aud: 'demo' }))).toBe(ErrorCode.ActionTokenInvalid);
    expect(await join(await actionToken(good, 'not-the-site-secret-0123456789abcdef'))).toBe(
      ErrorCode.ActionTokenInvalid,
    );
    // Longer-lived than 60 s.
    expect(await join(await actionToken({ ...good, exp: now + 600 }))).toBe(ErrorCode.ActionTokenInvalid);
    expect(await join('not.a.jwt')).toBe(ErrorCode.ActionTokenInvalid);
    // None of the refusals let the user in.
    expect((await owner.ok('room:list', {})).rooms.find((r) => r.room.id === room.id)!.room.members).toHaveLength(1);

    const fresh = await actionToken({ ...good, jti: `join-${randomUUID()}` });
    const joined = await joiner.ok('room:join', { roomId: room.id, actionToken: fresh });
    expect(joined.room.members.map((m) => m.user.id)).toContain(joiner.ready.user.id);

    // Out again, and the same token once more: refused as a replay, though it has not expired.
    await joiner.ok('room:leave', { roomId: room.id });
    expect(await join(fresh)).toBe(ErrorCode.ActionTokenReplayed);
    // A fresh token lets the user back in.
    expect(await join(await actionToken(good))).toBe('ok');
  });

  it('remembers used ids where the deployment keeps them: Redis in cluster mode, else the database', async () => {
    const owner = await hostUser('owner-2');
    const joiner = await hostUser('joiner-2');
    const { room } = await owner.ok('room:create', { name: 'Where', public: true });
    const jti = `where-${randomUUID()}`;
    await joiner.ok('room:join', {
      roomId: room.id,
      actionToken: await actionToken({ sub: 'joiner-2', act: 'room:join', res: room.id, jti }),
    });
    const now = new Date();
    const later = new Date(now.getTime() + 60_000);
    const { app } = server;
    if (useRedis) {
      // Taken in Redis (every node sees it); nothing was written to the database.
      expect(await app.cluster!.usedActionTokens.claim('signed', jti, later, now)).toBe(false);
      expect(await app.store.claimActionToken('signed', jti, later, now)).toBe(true);
    } else {
      expect(app.cluster).toBeNull();
      expect(await app.store.claimActionToken('signed', jti, later, now)).toBe(false);
    }
    // An expired row does not hold its id for ever: a later token may use it, and the sweep removes it.
    const past = new Date(now.getTime() - 1000);
    const stale = `stale-${randomUUID()}`;
    expect(await app.store.claimActionToken('signed', stale, past, new Date(past.getTime() - 10_000))).toBe(true);
    expect(await app.store.claimActionToken('signed', stale, later, now)).toBe(true);
    expect(await app.store.claimActionToken('signed', stale, later, now)).toBe(false);
    expect(await app.store.sweepActionTokens(new Date(later.getTime() + 1000))).toBeGreaterThanOrEqual(1);
    expect(await app.store.claimActionToken('signed', stale, later, now)).toBe(true);
  });

  it('signs buddy requests and invitations with their own resources; a room made with invitations is refused', async () => {
    const asker = await hostUser('asker-1');
    const friend = await hostUser('friend-1');
    const friendId = friend.ready.user.id;
    expect(await codeOf(asker.request('roster:request', { userId: friendId }))).toBe(ErrorCode.ActionTokenRequired);
    // `res` is the other user's Parley id.
    expect(
      await codeOf(
        asker.request('roster:request', {
          userId: friendId,
          actionToken: await actionToken({ sub: 'asker-1', act: 'buddy:add', res: 'friend-1' }),
        }),
      ),
    ).toBe(ErrorCode.ActionTokenInvalid);
    const added = await asker.ok('roster:request', {
      userId: friendId,
      actionToken: await actionToken({ sub: 'asker-1', act: 'buddy:add', res: friendId }),
    });
    expect(added.entry?.state).toBe('requested');
    // Accepting is not a listed action.
    await friend.ok('roster:accept', { userId: asker.ready.user.id });

    // Invitations: one token each, naming the room and the invitee; none can ride on room:create.
    expect(await codeOf(asker.request('room:create', { name: 'Team', invite: [friendId] }))).toBe(
      ErrorCode.ActionTokenRequired,
    );
    const { room } = await asker.ok('room:create', { name: 'Team' });
    expect(await codeOf(asker.request('room:invite', { roomId: room.id, userId: friendId }))).toBe(
      ErrorCode.ActionTokenRequired,
    );
    const invited = await asker.ok('room:invite', {
      roomId: room.id,
      userId: friendId,
      actionToken: await actionToken({ sub: 'asker-1', act: 'room:invite', res: `${room.id}/${friendId}` }),
    });
    expect(invited.room.members.find((m) => m.user.id === friendId)?.role).toBe('invited');
  });

  it('a user with no host id signs as their Parley id; actions not listed and other sites need no token', async () => {
    const pat = await addUser(server, 'pat', { site: 'signed' });
    const { token } = await login(server.url, 'pat', 'pat-pass', 'signed');
    const client = server.track(await TestClient.connect(server.url, token, { site: 'signed' }));
    const owner = await hostUser('owner-3');
    const { room } = await owner.ok('room:create', { name: 'Open', public: true });
    expect(
      await codeOf(
        client.request('room:join', {
          roomId: room.id,
          actionToken: await actionToken({ sub: 'pat', act: 'room:join', res: room.id }),
        }),
      ),
    ).toBe(ErrorCode.ActionTokenInvalid);
    expect(
      await codeOf(
        client.request('room:join', {
          roomId: room.id,
          actionToken: await actionToken({ sub: pat.id, act: 'room:join', res: room.id }),
        }),
      ),
    ).toBe('ok');

    // The demo site lists nothing: joins need no token, and one sent anyway is ignored.
    const ann = await (await server.user('ann-2')).connect();
    const bob = await (await server.user('bob-2')).connect();
    const { room: open } = await ann.ok('room:create', { name: 'Plain', public: true });
    expect(await codeOf(bob.request('room:join', { roomId: open.id }))).toBe('ok');
    const { room: second } = await ann.ok('room:create', { name: 'Plain 2', public: true });
    expect(await codeOf(bob.request('room:join', { roomId: second.id, actionToken: 'anything' }))).toBe('ok');
  });

  it('a site that stops listing an action stops asking, for connections already open', async () => {
    const owner = await hostUser('owner-4');
    const joiner = await hostUser('joiner-4');
    const { room } = await owner.ok('room:create', { name: 'Later', public: true });
    expect(await codeOf(joiner.request('room:join', { roomId: room.id }))).toBe(ErrorCode.ActionTokenRequired);
    const site = (await server.app.store.getSite('signed'))!;
    await server.app.store.updateSite('signed', {
      settings: { ...site.settings, signedActions: ['room:invite', 'buddy:add'] },
    });
    try {
      await waitFor(async () => (await codeOf(joiner.request('room:join', { roomId: room.id }))) === 'ok', 5000);
    } finally {
      await server.app.store.updateSite('signed', { settings: site.settings });
    }
  });

  it('signs calls for the callee, and room creation for the room’s name', async () => {
    const caller = await hostUser('caller-1', 'calling');
    const callee = await hostUser('callee-1', 'calling');
    // Buddies (buddy requests are not signed on this site).
    await caller.ok('roster:request', { userId: callee.ready.user.id });
    await callee.ok('roster:accept', { userId: caller.ready.user.id });
    const calleeId = callee.ready.user.id;
    const invite = (actionToken?: string) =>
      caller.request('call:invite', { to: calleeId, kind: 'audio', ...(actionToken ? { actionToken } : {}) });
    expect(await codeOf(invite())).toBe(ErrorCode.ActionTokenRequired);
    expect(await codeOf(invite(await actionToken({ sub: 'caller-1', act: 'call:start', res: 'callee-1' })))).toBe(
      ErrorCode.ActionTokenInvalid,
    );
    const rung = await invite(await actionToken({ sub: 'caller-1', act: 'call:start', res: calleeId }));
    if (!rung.ok) throw new Error(`call:invite failed: ${rung.error.code}`);
    await caller.ok('call:hangup', { callId: rung.data.callId });

    expect(await codeOf(caller.request('room:create', { name: 'Signed room' }))).toBe(ErrorCode.ActionTokenRequired);
    const token = await actionToken({ sub: 'caller-1', act: 'room:create', res: 'Signed room' });
    expect(await codeOf(caller.request('room:create', { name: 'Another name', actionToken: token }))).toBe(
      ErrorCode.ActionTokenInvalid,
    );
    // Refused above before its `jti` was taken, so the same token still works for the name it names.
    const { room } = await caller.ok('room:create', { name: 'Signed room', actionToken: token });
    expect(room.name).toBe('Signed room');
  });
});
