import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type ErrorBody, type RosterChanged } from '../src/protocol/index.js';
import { addUser, login, sleep, startServer, TestClient, waitFor, type TestServer } from './support.js';

let server: TestServer;
const open: TestClient[] = [];

beforeAll(async () => {
  server = await startServer({ config: { presenceGraceMs: 200 } });
  await server.app.store.createSite({
    id: 'signup',
    name: 'Sign-up site',
    secret: 'x'.repeat(32),
    origins: [],
    settings: { registrationOpen: true },
  });
});
afterAll(async () => {
  for (const c of open) c.close();
  await server.close();
});

async function user(name: string, buddies: string[] = []) {
  const record = await addUser(server, name, { buddies });
  return { id: record.id, connect: () => connect(name) };
}
async function connect(name: string, password = `${name}-pass`) {
  const { token } = await login(server.url, name, password);
  const c = await TestClient.connect(server.url, token);
  open.push(c);
  return Object.assign(c, { token });
}
const entryFor = (changes: RosterChanged[], userId: string) =>
  changes.flatMap((c) => ('entry' in c && c.entry.user.id === userId ? [c.entry] : []));

async function http(method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { ok: boolean; data?: any; error?: ErrorBody } };
}

describe('buddy lists', () => {
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
    expect(
      await annTab.request('message:send', {
        in: { kind: 'direct', id: ben.id },
        clientId: 'early',
        content: { kind: 'text', text: 'hi' },
      }),
    ).toMatchObject({
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

describe('presence', () => {
  it('shows chosen states and status text to buddies; invisible looks offline but can chat', async () => {
    const eve = await user('eve');
    const fay = await user('fay', ['eve']);
    const eveTab = await eve.connect();
    const eveTab2 = await eve.connect();
    const fayTab = await fay.connect();
    const latest = () => fayTab.presence.filter((p) => p.userId === eve.id).at(-1)?.presence;

    await eveTab.ok('presence:set', { state: 'away', status: 'Back in 5' });
    await waitFor(() => latest()?.state === 'away' && latest()?.status === 'Back in 5');
    // Her other tab hears what she chose.
    await waitFor(() => eveTab2.presence.some((p) => p.userId === eve.id && p.chosen?.state === 'away'));

    await eveTab.ok('presence:set', { state: 'busy' });
    await waitFor(() => latest()?.state === 'busy' && latest()?.status === '');

    await eveTab.ok('presence:set', { state: 'invisible', status: 'secret' });
    await waitFor(() => latest()?.state === 'offline');
    expect(latest()?.status).toBe('');
    expect((await eveTab.send(fay.id, 'boo, from nowhere')).duplicate).toBe(false);
    // The choice is saved: a new connection still finds her invisible.
    const fayAgain = await fay.connect();
    expect(fayAgain.ready.roster.find((e) => e.user.id === eve.id)?.presence.state).toBe('offline');
    const eveAgain = await eve.connect();
    expect(eveAgain.ready.presence).toEqual({ state: 'invisible', status: 'secret', idle: false });

    await eveTab.ok('presence:set', { state: 'online' });
    await waitFor(() => latest()?.state === 'online');
  });

  it('an idle user shows as away while online, keeps a chosen busy, and is back on activity', async () => {
    const ida = await user('ida');
    const jay = await user('jay', ['ida']);
    const idaTab = await ida.connect();
    const idaTab2 = await ida.connect();
    const jayTab = await jay.connect();
    const seen = () => jayTab.presence.filter((p) => p.userId === ida.id).map((p) => p.presence.state);
    await idaTab.ok('presence:set', { state: 'online', status: 'Reading' });
    await waitFor(() => seen().at(-1) === 'online');
    const before = seen().length;

    // Idle: Jay sees away with her text; her other tab learns she is idle; a new tab starts from it.
    expect(await idaTab.ok('presence:idle', { idle: true })).toEqual({
      presence: { state: 'online', status: 'Reading', idle: true },
    });
    await waitFor(() => seen().at(-1) === 'away');
    expect(jayTab.presence.at(-1)?.presence).toMatchObject({ state: 'away', status: 'Reading' });
    await waitFor(() => idaTab2.presence.some((p) => p.userId === ida.id && p.chosen?.idle === true));
    expect((await ida.connect()).ready.presence).toEqual({ state: 'online', status: 'Reading', idle: true });
    // Saying it twice changes nothing and tells nobody.
    await idaTab2.ok('presence:idle', { idle: true });

    // Back: online again.
    await idaTab2.ok('presence:idle', { idle: false });
    await waitFor(() => seen().at(-1) === 'online');
    expect(seen().slice(before)).toEqual(['away', 'online']);

    // Busy stays busy while idle (no event); picking a state ends idleness.
    await idaTab.ok('presence:set', { state: 'busy', status: '' });
    await waitFor(() => seen().at(-1) === 'busy');
    const busyEvents = seen().length;
    await idaTab.ok('presence:idle', { idle: true });
    await sleep(150);
    expect(seen().length).toBe(busyEvents);
    expect((await idaTab.ok('presence:set', { state: 'online', status: '' })).presence.idle).toBe(false);
    await waitFor(() => seen().at(-1) === 'online');
  });

  it('records last seen when a user goes offline', async () => {
    const gil = await user('gil');
    const hal = await user('hal', ['gil']);
    const halTab = await hal.connect();
    const gilTab = await gil.connect();
    const before = Date.now();
    gilTab.close();
    const off = await waitFor(() => halTab.presence.find((p) => p.userId === gil.id && p.presence.state === 'offline'));
    expect(Date.parse(off.presence.lastSeenAt!)).toBeGreaterThanOrEqual(before);
    await sleep(50);
    expect((await server.app.store.getUser(gil.id))?.lastSeenAt?.getTime()).toBeGreaterThanOrEqual(before);
    const halAgain = await hal.connect();
    expect(halAgain.ready.roster.find((e) => e.user.id === gil.id)?.presence.lastSeenAt).toBe(off.presence.lastSeenAt);
  });
});

describe('typing', () => {
  it('reaches the peer live and is throttled', async () => {
    const ivy = await user('ivy');
    const jon = await user('jon', ['ivy']);
    const ivyTab = await ivy.connect();
    const jonTab = await jon.connect();
    await ivyTab.ok('typing:set', { in: { kind: 'direct', id: jon.id }, typing: true });
    await waitFor(() => jonTab.typing.some((t) => t.userId === ivy.id && t.typing));
    // Named as Jon sees it: the direct chat with Ivy.
    expect(jonTab.typing[0]!.in).toEqual({ kind: 'direct', id: ivy.id });
    const burst = await Promise.all(
      Array.from({ length: 30 }, () =>
        ivyTab.request('typing:set', { in: { kind: 'direct', id: jon.id }, typing: true }),
      ),
    );
    expect(burst.some((r) => !r.ok && r.error.code === ErrorCode.RateLimited)).toBe(true);
  });
});

describe('accounts', () => {
  it('updates the profile and tells buddies; refuses unsafe avatars', async () => {
    const kim = await user('kim');
    const lea = await user('lea', ['kim']);
    const kimTab = await kim.connect();
    const leaTab = await lea.connect();
    const updates: string[] = [];
    leaTab.socket.on('user:updated', ({ user: u }) => updates.push(u.displayName));
    const done = await kimTab.ok('profile:update', { displayName: 'Kim K.', avatarUrl: 'https://img.example/k.png' });
    expect(done.user).toMatchObject({ displayName: 'Kim K.', avatarUrl: 'https://img.example/k.png' });
    await waitFor(() => updates.includes('Kim K.'));
    for (const avatarUrl of ['javascript:alert(1)', 'http://plain.example/a.png', 'data:image/png;base64,AAAA']) {
      expect(await kimTab.request('profile:update', { avatarUrl })).toMatchObject({
        ok: false,
        error: { code: ErrorCode.BadRequest },
      });
    }
  });

  it('registers where the site allows it, with a clear code otherwise', async () => {
    const closed = await http('POST', '/api/v1/sites/demo/users', { username: 'newbie', password: 'long enough' });
    expect(closed).toMatchObject({ status: 403, body: { error: { code: ErrorCode.RegistrationClosed } } });

    const made = await http('POST', '/api/v1/sites/signup/users', {
      username: 'newbie',
      password: 'long enough',
      displayName: 'New Bie',
    });
    expect(made.status).toBe(201);
    const socket = await TestClient.connect(server.url, made.body.data.token, { site: 'signup' });
    expect(socket.ready.user).toMatchObject({ username: 'newbie', displayName: 'New Bie' });
    socket.close();

    const again = await http('POST', '/api/v1/sites/signup/users', { username: 'newbie', password: 'long enough' });
    expect(again).toMatchObject({ status: 409, body: { error: { code: ErrorCode.UsernameTaken } } });
    for (const body of [
      { username: 'ab', password: 'long enough' },
      { username: 'Has Spaces', password: 'long enough' },
      { username: 'shortpw', password: 'short' },
    ]) {
      expect((await http('POST', '/api/v1/sites/signup/users', body)).body.error?.code).toBe(ErrorCode.BadRequest);
    }
  });

  it('changing the password ends every session and closes their connections', async () => {
    await user('max');
    const phone = await connect('max');
    const laptop = await connect('max');
    const wrong = await http(
      'POST',
      '/api/v1/sites/demo/password',
      { currentPassword: 'nope', newPassword: 'brand new pw' },
      phone.token,
    );
    expect(wrong.body.error?.code).toBe(ErrorCode.InvalidCredentials);

    const changed = await http(
      'POST',
      '/api/v1/sites/demo/password',
      { currentPassword: 'max-pass', newPassword: 'brand new pw' },
      phone.token,
    );
    expect(changed.status).toBe(200);
    for (const c of [phone, laptop]) {
      await waitFor(() => !c.socket.connected);
      expect(c.ended).toEqual([{ reason: 'password_changed' }]);
    }
    const refused = await TestClient.connect(server.url, laptop.token).catch(
      (err: { data?: ErrorBody }) => err.data?.code,
    );
    expect(refused).toBe(ErrorCode.Unauthorized);
    await expect(login(server.url, 'max', 'max-pass')).rejects.toThrow(/invalid_credentials/);
    const fresh = await TestClient.connect(server.url, changed.body.data.token);
    expect(fresh.ready.user.username).toBe('max');
    fresh.close();
    expect((await login(server.url, 'max', 'brand new pw')).token).toBeTruthy();
  });

  it('logging out closes that session’s connections only', async () => {
    await user('ned');
    const one = await connect('ned');
    const two = await connect('ned');
    const out = await http('DELETE', '/api/v1/sites/demo/sessions/current', undefined, one.token);
    expect(out.status).toBe(200);
    await waitFor(() => !one.socket.connected);
    expect(one.ended).toEqual([{ reason: 'logout' }]);
    await sleep(100);
    expect(two.socket.connected).toBe(true);
  });
});
