import { describe, expect, it } from 'vitest';
import { ErrorCode, type RosterChanged } from '../src/protocol/index.js';
import { addUser, login, sleep, TestClient, useServer, waitFor } from './support.js';

/** Buddy lists: requests, groups, names, removal, and blocking. */
const server = useServer({ config: { presenceGraceMs: 200 } });
const track = server.track;
const pair = server.pair;
const user = (name: string, buddies: string[] = []) => server.user(name, { buddies });
const entryFor = (changes: RosterChanged[], userId: string) =>
  changes.flatMap((c) => ('entry' in c && c.entry.user.id === userId ? [c.entry] : []));

describe('buddy lists: request, accept, decline, group, rename, remove', () => {
  it('request, accept, group, rename and remove reach both users on every tab', async () => {
    const ann = await user('ann');
    const ben = await user('ben');
    const annTab = await ann.connect();
    const benTab1 = await ben.connect();
    const benTab2 = await ben.connect();

    const found = await annTab.ok('user:search', { query: 'be' });
    expect(found.users.map((u) => u.username)).toContain('ben');
    // Display names match whatever the case, on SQLite and PostgreSQL alike.
    await benTab1.ok('profile:update', { displayName: 'Benedict Climber' });
    const byName = await annTab.ok('user:search', { query: 'CLIMB' });
    expect(byName.users.map((u) => u.username)).toContain('ben');

    const requested = await annTab.ok('roster:request', { userId: ben.id, group: 'Work' });
    expect(requested.entry).toMatchObject({ state: 'requested', group: 'Work', presence: { state: 'offline' } });
    for (const tab of [benTab1, benTab2]) {
      await waitFor(() => entryFor(tab.rosterChanges, ann.id).some((e) => e.state === 'pending'));
    }
    // Not buddies yet: no messages.
    expect(await annTab.trySend(ben.id, 'hi', 'early')).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Forbidden },
    });

    const accepted = await benTab1.ok('roster:accept', { userId: ann.id });
    expect(accepted.entry).toMatchObject({ state: 'accepted', presence: { state: 'online' } });
    await waitFor(() => entryFor(annTab.rosterChanges, ben.id).some((e) => e.state === 'accepted'));
    await waitFor(() => entryFor(benTab2.rosterChanges, ann.id).some((e) => e.state === 'accepted'));
    // Each now sees the other's presence.
    await waitFor(() => annTab.presence.some((p) => p.userId === ben.id && p.presence.state === 'online'));
    await waitFor(() => benTab2.presence.some((p) => p.userId === ann.id && p.presence.state === 'online'));
    expect((await annTab.send(ben.id, 'now we can talk')).duplicate).toBe(false);

    const moved = await benTab1.ok('roster:group', { userId: ann.id, group: 'Climbing' });
    expect(moved.entry?.group).toBe('Climbing');
    await waitFor(() => entryFor(benTab2.rosterChanges, ann.id).some((e) => e.group === 'Climbing'));
    expect((await benTab1.ok('roster:rename-group', { from: 'Climbing', to: 'Crag' })).renamed).toBe(1);
    expect((await server.app.store.roster(ben.id)).find((r) => r.buddy.id === ann.id)?.group).toBe('Crag');
    // Ann's own grouping is hers alone.
    expect((await server.app.store.roster(ann.id)).find((r) => r.buddy.id === ben.id)?.group).toBe('Work');

    await annTab.ok('roster:remove', { userId: ben.id });
    for (const tab of [benTab1, benTab2]) {
      await waitFor(() => tab.rosterChanges.some((c) => 'removed' in c && c.removed === ann.id));
    }
    await waitFor(() => benTab1.presence.some((p) => p.userId === ann.id && p.presence.state === 'offline'));
    expect(await server.app.store.roster(ben.id)).toEqual([]);
  });

  it('decline and cancel end a request; a request both ways is an accept', async () => {
    const cat = await user('cat');
    const dan = await user('dan');
    const catTab = await cat.connect();
    const danTab = await dan.connect();
    await catTab.ok('roster:request', { userId: dan.id });
    await danTab.ok('roster:decline', { userId: cat.id });
    expect(await server.app.store.roster(cat.id)).toEqual([]);
    await catTab.ok('roster:request', { userId: dan.id });
    await catTab.ok('roster:cancel', { userId: dan.id });
    expect(await server.app.store.roster(dan.id)).toEqual([]);
    await catTab.ok('roster:request', { userId: dan.id });
    const mutual = await danTab.ok('roster:request', { userId: cat.id });
    expect(mutual.entry?.state).toBe('accepted');
    expect(await server.app.store.areMutualBuddies(cat.id, dan.id)).toBe(true);
    // Accepting what nobody asked is refused with a reason.
    expect(await danTab.request('roster:accept', { userId: cat.id })).toMatchObject({
      ok: false,
      error: { code: ErrorCode.BadRequest },
    });
  });
});

describe('blocking: no messages, no requests, no presence', () => {
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

    expect(await pest.trySend(ids.ms7a!, 'hey', 'b1')).toMatchObject({
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
    expect(await o2.trySend(o1Id, 'hello?', 'o-b')).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Blocked },
    });
    await o1.ok('roster:unblock', { userId: o2Id });
    expect((await o2.send(o1Id, 'hello again')).duplicate).toBe(false);
  });
});
