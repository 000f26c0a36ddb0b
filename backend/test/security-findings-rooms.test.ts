/**
 * Issue 12, findings 2 and 3: what an attacker could do with rooms. Each describe is named after
 * its finding and failed on the code before the fix.
 */
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { ErrorCode, Limits, type RoomInfo, type RoomSummary } from '../src/protocol/index.js';
import type { RoomRole } from '../src/protocol/index.js';
import { addUser, codeOf, sleep, useServer, waitFor, type TestClient } from './support.js';

// A site where strangers may talk: anyone may invite anyone (the attack of finding 2).
const server = useServer({ sites: [{ id: 'open', settings: { strangersMayMessage: true } }] });

async function user(name: string, site = 'open'): Promise<string> {
  return (await addUser(server, name, { site })).id;
}

/** A user who never signs in (no password hash to compute: seeding hundreds stays fast). */
async function bareUser(name: string, site = 'open'): Promise<string> {
  const id = uuidv7();
  await server.app.store.createUser({
    id,
    siteId: site,
    username: name,
    displayName: name,
    avatarUrl: null,
    passwordHash: null,
  });
  return id;
}

const connect = (name: string, site = 'open') => server.connect(name, { site });

/** Rooms written straight to the store (fast), each with `members` in the given roles. */
async function seedRooms(
  count: number,
  members: (i: number) => { userId: string; role: RoomRole; invitedBy: string | null }[],
  site = 'open',
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const list = members(i);
    const id = uuidv7();
    await server.app.store.createRoom(
      {
        id,
        siteId: site,
        name: `Seeded ${i}`,
        public: false,
        ownerId: list.find((m) => m.role === 'owner')!.userId,
        closedAt: null,
        createdAt: new Date(),
      },
      list,
    );
    ids.push(id);
  }
  return ids;
}

/** Every page of room:list, following `hasMore`. */
async function listAll(client: TestClient): Promise<{ pages: RoomSummary[][]; rooms: RoomSummary[] }> {
  const pages: RoomSummary[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await client.ok('room:list', after ? { after } : {});
    pages.push(page.rooms);
    if (!page.hasMore) break;
    after = page.rooms.at(-1)!.room.id;
    expect(pages.length).toBeLessThan(100);
  }
  return { pages, rooms: pages.flat() };
}

describe('finding 2: room caps and paged room:list', () => {
  it('a user may own 50 rooms by default; the 51st create gets limit_reached with a clear message', async () => {
    await user('f2owner');
    const owner = await connect('f2owner');
    for (let i = 0; i < 50; i++) await owner.ok('room:create', { name: `Mine ${i}` });
    const refused = await owner.request('room:create', { name: 'One too many' });
    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.LimitReached } });
    expect(!refused.ok && refused.error.message).toMatch(/own 50 rooms/);
    // Closing one makes room for another.
    const first = (await owner.ok('room:list', { limit: 1 })).rooms[0]!.room.id;
    await owner.ok('room:close', { roomId: first });
    await owner.ok('room:create', { name: 'Now it fits' });
  }, 60_000);

  it('a user may hold 200 rooms: create, join and accept beyond that get limit_reached', async () => {
    const holder = await user('f2holder');
    const seedOwner = await bareUser('f2seedowner');
    await user('f2host');
    await seedRooms(200, () => [
      { userId: seedOwner, role: 'owner', invitedBy: null },
      { userId: holder, role: 'member', invitedBy: null },
    ]);
    const [h, o] = await Promise.all([connect('f2holder'), connect('f2host')]);
    const pub = (await o.ok('room:create', { name: 'Open door', public: true })).room;
    const inv = (await o.ok('room:create', { name: 'Invitation', invite: [holder] })).room;

    for (const refused of [
      h.request('room:create', { name: 'Another' }),
      h.request('room:join', { roomId: pub.id }),
      h.request('room:accept', { roomId: inv.id }),
      h.request('room:join', { roomId: inv.id }),
    ]) {
      const result = await refused;
      expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.LimitReached } });
      expect(!result.ok && result.error.message).toMatch(/in 200 rooms/);
    }
    // Leaving one makes room again.
    const one = (await h.ok('room:list', { limit: 1 })).rooms[0]!.room.id;
    await h.ok('room:leave', { roomId: one });
    await h.ok('room:join', { roomId: pub.id });
  }, 60_000);

  it('strangers cannot pile invitations on a victim: 50 may wait per user, 100 per inviter', async () => {
    const victim = await user('f2victim');
    await Promise.all(['f2s1', 'f2s2', 'f2s3'].map((n) => user(n)));
    const clients = await Promise.all(['f2s1', 'f2s2', 'f2s3'].map((n) => connect(n)));
    // Each stranger makes rooms (the owned cap allows 50) and invites the victim to every one.
    let invited = 0;
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      for (const c of clients) {
        const result = await c.request('room:create', { name: `Bait ${i}`, invite: [victim] });
        if (result.ok) invited++;
        else {
          expect(result.error.code).toBe(ErrorCode.LimitReached);
          expect(result.error.message).toMatch(/50 room invitations waiting/);
          refused++;
        }
      }
    }
    expect(invited).toBe(50);
    expect(refused).toBe(10);
    // room:invite is held to the same cap.
    const spare = (await clients[0]!.ok('room:create', { name: 'Spare' })).room;
    expect(await codeOf(clients[0]!.request('room:invite', { roomId: spare.id, userId: victim }))).toBe(
      ErrorCode.LimitReached,
    );
    const v = await connect('f2victim');
    expect((await listAll(v)).rooms).toHaveLength(50);

    // Declining frees a slot.
    const one = (await v.ok('room:list', { limit: 1 })).rooms[0]!.room.id;
    await v.ok('room:decline', { roomId: one });
    await clients[0]!.ok('room:invite', { roomId: spare.id, userId: victim });

    // An inviter may have at most 100 invitations out, whoever they go to.
    const inviter = await user('f2inviter');
    const targets: string[] = [];
    for (let t = 0; t < 101; t++) targets.push(await bareUser(`f2t${t}`));
    await seedRooms(1, () => [
      { userId: inviter, role: 'owner', invitedBy: null },
      ...targets.slice(0, 99).map((userId) => ({ userId, role: 'invited' as const, invitedBy: inviter })),
    ]);
    const i = await connect('f2inviter');
    const room = (await i.ok('room:create', { name: 'Last one', invite: [targets[99]!] })).room;
    const over = await i.request('room:invite', { roomId: room.id, userId: targets[100]! });
    expect(over).toMatchObject({ ok: false, error: { code: ErrorCode.LimitReached } });
    expect(!over.ok && over.error.message).toMatch(/at most 100 invitations/);
  }, 60_000);

  it('parallel creates cannot slip past the cap together', async () => {
    await user('f2burst');
    const c = await connect('f2burst');
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => c.request('room:create', { name: `B${i}` })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === ErrorCode.LimitReached)).toBe(true);
  }, 60_000);

  it('room:list pages a user holding 200 rooms and 50 invitations, with no query per room', async () => {
    const me = await user('f2lister');
    const others: string[] = [];
    for (let o = 0; o < 5; o++) others.push(await bareUser(`f2member${o}`));
    await seedRooms(200, (i) => [
      { userId: others[i % 5]!, role: 'owner', invitedBy: null },
      { userId: me, role: 'member', invitedBy: null },
      { userId: others[(i + 1) % 5]!, role: 'member', invitedBy: null },
    ]);
    await seedRooms(50, (i) => [
      { userId: others[i % 5]!, role: 'owner', invitedBy: null },
      { userId: me, role: 'invited', invitedBy: others[i % 5]! },
    ]);
    const c = await connect('f2lister');

    // Count the store's per-room reads while the list is served.
    const store = server.app.store;
    const counted = { roomMembers: 0, roomRole: 0, getRoom: 0 };
    const originals = { roomMembers: store.roomMembers, roomRole: store.roomRole, getRoom: store.getRoom };
    for (const name of Object.keys(counted) as (keyof typeof counted)[]) {
      (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        counted[name]++;
        return (originals[name] as (...a: unknown[]) => unknown).apply(store, args);
      };
    }
    let listed: Awaited<ReturnType<typeof listAll>>;
    try {
      listed = await listAll(c);
    } finally {
      Object.assign(store, originals);
    }
    expect(counted).toEqual({ roomMembers: 0, roomRole: 0, getRoom: 0 });

    // Pages of the default size, in room id order, each room once.
    expect(listed.pages.map((p) => p.length)).toEqual([...Array(12).fill(Limits.roomListPage), 10]);
    const ids = listed.rooms.map((r) => r.room.id);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual([...ids].sort());
    expect(listed.rooms.filter((r) => r.room.members.find((m) => m.user.id === me)!.role === 'invited')).toHaveLength(
      50,
    );
    // The biggest page and the schema's bounds.
    expect((await c.ok('room:list', { limit: Limits.roomListPageMax })).rooms).toHaveLength(Limits.roomListPageMax);
    expect(await codeOf(c.request('room:list', { limit: Limits.roomListPageMax + 1 }))).toBe(ErrorCode.BadRequest);
    expect(await codeOf(c.request('room:list', { limit: 0 }))).toBe(ErrorCode.BadRequest);
    expect(await codeOf(c.request('room:list', { after: ids[248] }))).toBe('ok');
    expect((await c.ok('room:list', { after: ids[248] })).rooms.map((r) => r.room.id)).toEqual([ids[249]]);
  }, 60_000);
});

describe('finding 3: a block hides presence in rooms; invitees show and see none', () => {
  const presenceOf = (room: RoomInfo, userId: string) => room.members.find((m) => m.user.id === userId)!.presence;

  it('a blocked user who joins the victim’s public room sees neither state nor status, live or in room info', async () => {
    const victimId = await user('f3victim');
    const blockedId = await user('f3blocked');
    const bystanderId = await user('f3bystander');
    const [v, x, b] = await Promise.all([connect('f3victim'), connect('f3blocked'), connect('f3bystander')]);
    await v.ok('presence:set', { state: 'busy', status: 'at the clinic' });
    const room = (await v.ok('room:create', { name: 'Open chat', public: true })).room;
    await v.ok('roster:block', { userId: blockedId });

    await b.ok('room:join', { roomId: room.id });
    const joined = (await x.ok('room:join', { roomId: room.id })).room;
    // The blocked user sees the victim as offline with no status; the bystander as she is.
    expect(presenceOf(joined, victimId)).toEqual({ state: 'offline', status: '', lastSeenAt: null });
    expect(presenceOf(joined, bystanderId).state).toBe('online');
    const listed = (await x.ok('room:list', {})).rooms.find((r) => r.room.id === room.id)!.room;
    expect(presenceOf(listed, victimId)).toEqual({ state: 'offline', status: '', lastSeenAt: null });
    // Nor does the victim see the blocked user (both directions), while the bystander sees both.
    const victimView = await waitFor(() => v.roomChanges.findLast((r) => r.members.length === 3));
    expect(presenceOf(victimView, blockedId).state).toBe('offline');
    const bystanderView = await waitFor(() => b.roomChanges.findLast((r) => r.members.length === 3));
    expect(presenceOf(bystanderView, blockedId).state).toBe('online');
    expect(presenceOf(bystanderView, victimId)).toMatchObject({ state: 'busy', status: 'at the clinic' });

    // Live: the victim's changes reach the bystander but never the blocked user, and the other way round.
    await v.ok('presence:set', { state: 'away', status: 'back at 3' });
    await x.ok('presence:set', { state: 'busy', status: 'watching you' });
    await waitFor(() => b.presence.some((p) => p.userId === victimId && p.presence.status === 'back at 3'));
    await waitFor(() => b.presence.some((p) => p.userId === blockedId && p.presence.status === 'watching you'));
    await sleep(200);
    expect(x.presence.filter((p) => p.userId === victimId)).toEqual([]);
    expect(v.presence.filter((p) => p.userId === blockedId)).toEqual([]);
  });

  it('a block made while both are in a room hides each from the other at once; unblocking shows them again', async () => {
    const aId = await user('f3a');
    const bId = await user('f3b');
    const [a, b] = await Promise.all([connect('f3a'), connect('f3b')]);
    const room = (await a.ok('room:create', { name: 'Shared', public: true })).room;
    const joined = (await b.ok('room:join', { roomId: room.id })).room;
    expect(presenceOf(joined, aId).state).toBe('online');

    await a.ok('roster:block', { userId: bId });
    await waitFor(() => a.presence.some((p) => p.userId === bId && p.presence.state === 'offline'));
    await waitFor(() => b.presence.some((p) => p.userId === aId && p.presence.state === 'offline'));
    a.presence.length = 0;
    b.presence.length = 0;
    await a.ok('presence:set', { state: 'busy', status: 'hidden' });
    await sleep(200);
    expect(b.presence).toEqual([]);
    expect(presenceOf((await b.ok('room:join', { roomId: room.id })).room, aId).state).toBe('offline');

    await a.ok('roster:unblock', { userId: bId });
    await waitFor(() => b.presence.some((p) => p.userId === aId && p.presence.status === 'hidden'));
    await waitFor(() => a.presence.some((p) => p.userId === bId && p.presence.state === 'online'));
  });

  it('invitees show no presence and see none until they accept', async () => {
    const ownerId = await user('f3owner');
    const guestId = await user('f3guest');
    const [o, g] = await Promise.all([connect('f3owner'), connect('f3guest')]);
    await o.ok('presence:set', { state: 'busy', status: 'owner status' });
    await g.ok('presence:set', { state: 'away', status: 'guest status' });
    const created = (await o.ok('room:create', { name: 'Invite only', invite: [guestId] })).room;
    // The owner does not see the invitee's presence…
    expect(presenceOf(created, guestId)).toEqual({ state: 'offline', status: '', lastSeenAt: null });
    expect(presenceOf(created, ownerId)).toMatchObject({ state: 'busy', status: 'owner status' });
    // …nor the invitee the owner's, in room:changed or room:list, nor live.
    const invitation = await waitFor(() => g.roomChanges.find((r) => r.id === created.id));
    expect(invitation.members.every((m) => m.presence.state === 'offline' && m.presence.status === '')).toBe(true);
    const listed = (await g.ok('room:list', {})).rooms.find((r) => r.room.id === created.id)!.room;
    expect(listed.members.every((m) => m.presence.state === 'offline' && m.presence.status === '')).toBe(true);
    await o.ok('presence:set', { state: 'online', status: 'owner again' });
    await sleep(200);
    expect(g.presence.filter((p) => p.userId === ownerId)).toEqual([]);

    // Accepted: each sees the other.
    const accepted = (await g.ok('room:accept', { roomId: created.id })).room;
    expect(presenceOf(accepted, ownerId)).toMatchObject({ state: 'online', status: 'owner again' });
    const ownerView = await waitFor(() =>
      o.roomChanges.findLast((r) => r.members.find((m) => m.user.id === guestId)?.role === 'member'),
    );
    expect(presenceOf(ownerView, guestId)).toMatchObject({ state: 'away', status: 'guest status' });
  });
});
