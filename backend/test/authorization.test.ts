import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION, type ClientEventName, type ErrorBody } from '../src/protocol/index.js';
import { schemas } from '../src/protocol/schemas.js';
import { addUser, identityToken, login, sleep, TestClient, uploadFile, useServer, waitFor } from './support.js';

/**
 * The authorisation matrix. The victim, Vic, has a buddy, Fred, and a conversation with him.
 * For every client event and every HTTP endpoint, four actors try to reach Vic or her data:
 *
 *   other site   Olga, signed in on another Parley site
 *   stranger     Sam, same site, no relation to Vic (the site does not let strangers message)
 *   blocked      Bella, whom Vic has blocked
 *   no session   a socket or request without a valid session
 *
 * Each cell says how the actor is refused: an error code, or, where the event can only ever touch
 * the caller's own data, a check that nothing of Vic's came back or changed. Two cells are allowed
 * by design and say why (a stranger may ask to be a buddy, anyone may block anyone).
 */
const otherSecret = 'other-site-secret-other-site-secret';
const server = useServer({
  sites: [
    {
      id: 'other',
      name: 'Another site',
      secret: otherSecret,
      origins: ['https://other.example'],
      settings: { strangersMayMessage: true, registrationOpen: true },
    },
  ],
});
type Actor = 'otherSite' | 'stranger' | 'blocked';
const actors: Actor[] = ['otherSite', 'stranger', 'blocked'];
const clients = {} as Record<Actor | 'vic' | 'fred', TestClient>;
const ids = {} as Record<'vic' | 'fred' | 'olga' | 'sam' | 'bella', string>;
let fredToVic = ''; // a message Fred sent Vic
let vicToFred = '';
let vicToken = '';
let vicRoom = ''; // a private room of Vic and Fred
let fredInRoom = ''; // a message Fred sent there
let vicFile = ''; // a file Vic sent Fred
let roomFile = ''; // a file Fred sent to the room
const fileMessages: string[] = []; // the messages that sent them

beforeAll(async () => {
  ids.vic = (await addUser(server, 'vic')).id;
  ids.fred = (await addUser(server, 'fred', { buddies: ['vic'] })).id;
  await server.app.store.setBuddies(ids.vic, ids.fred, 'accepted', 'Friends');
  ids.sam = (await addUser(server, 'sam')).id;
  ids.bella = (await addUser(server, 'bella')).id;
  ids.olga = (await addUser(server, 'olga', { site: 'other' })).id;

  const connect = (username: string, site = 'demo') => server.connect(username, { site });
  vicToken = (await login(server.url, 'vic', 'vic-pass')).token;
  clients.vic = server.track(await TestClient.connect(server.url, vicToken));
  clients.fred = await connect('fred');
  clients.stranger = await connect('sam');
  clients.blocked = await connect('bella');
  clients.otherSite = await connect('olga', 'other');
  // Bella had asked to be Vic's buddy; Vic blocked her.
  await clients.blocked.ok('roster:request', { userId: ids.vic });
  await clients.vic.ok('roster:block', { userId: ids.bella });
  fredToVic = (await clients.fred.send(ids.vic, 'secret plans for Vic')).message.id;
  vicToFred = (await clients.vic.send(ids.fred, 'reply to Fred only')).message.id;
  vicRoom = (await clients.vic.ok('room:create', { name: 'Vic and Fred', invite: [ids.fred] })).room.id;
  await clients.fred.ok('room:accept', { roomId: vicRoom });
  fredInRoom = (await clients.fred.send({ kind: 'room', id: vicRoom }, 'secret room plans', 'room-1')).message.id;
  // Files: one Vic sent Fred, one Fred sent to the room.
  const fredToken = (clients.fred as TestClient & { token: string }).token;
  vicFile = (await uploadFile(server, vicToken, Buffer.from('for Fred'), { conversation: `direct:${ids.fred}` })).id;
  const vicSent = await clients.vic.ok('message:send', {
    in: { kind: 'direct', id: ids.fred },
    clientId: 'file-1',
    content: { kind: 'file', fileId: vicFile },
  });
  roomFile = (await uploadFile(server, fredToken, Buffer.from('for the room'), { conversation: `room:${vicRoom}` })).id;
  const fredSent = await clients.fred.ok('message:send', {
    in: { kind: 'room', id: vicRoom },
    clientId: 'file-2',
    content: { kind: 'file', fileId: roomFile },
  });
  fileMessages.push(vicSent.message.id, fredSent.message.id);
});

type Data = Record<string, unknown>;
type Cell = { code: ErrorCode } | { allowed: string; check?: (data: Data) => void } | { own: (data: Data) => void };
interface Row {
  event: ClientEventName;
  /** How the test is named, where one event has several rows. */
  label?: string;
  payload: () => unknown;
  cells: Record<Actor, Cell>;
}

const text = (data: unknown) => JSON.stringify(data);
/** Nothing of Vic's conversation with Fred is in what came back. */
const nothingOfVic = (data: Data) => {
  for (const leaked of [fredToVic, vicToFred, 'secret plans', 'reply to Fred'])
    expect(text(data)).not.toContain(leaked);
};
const notFound = { code: ErrorCode.NotFound } as const;
/** Nothing of Vic's private room in what came back. */
const nothingOfVicsRoom = (data: Data) => {
  for (const leaked of [vicRoom, fredInRoom, 'secret room plans', 'Vic and Fred'])
    expect(text(data)).not.toContain(leaked);
};
/** A room event an outsider sends about Vic's private room: it looks missing to all of them. */
const roomRow = (event: ClientEventName, payload: () => Data): Row => ({
  event,
  payload: () => ({ roomId: vicRoom, ...payload() }),
  cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
});
/** A conversation event aimed at Vic's room: outsiders of every kind find no such room. */
const inRoomRow = (event: ClientEventName, payload: () => Data): Row => ({
  event,
  label: `${event} in a room`,
  payload: () => ({ in: { kind: 'room', id: vicRoom }, ...payload() }),
  cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
});
const badRequest = { code: ErrorCode.BadRequest } as const;

const matrix: Row[] = [
  {
    event: 'message:send',
    payload: () => ({
      in: { kind: 'direct', id: ids.vic },
      clientId: `authz-${Math.random()}`,
      content: { kind: 'text', text: 'hi' },
    }),
    // On a buddies-only site a blocked user is refused as any non-buddy (the block is not revealed);
    // where strangers may talk the answer is `blocked` (see the test after the matrix).
    cells: { otherSite: notFound, stranger: { code: ErrorCode.Forbidden }, blocked: { code: ErrorCode.Forbidden } },
  },
  {
    event: 'typing:set',
    payload: () => ({ in: { kind: 'direct', id: ids.vic }, typing: true }),
    cells: { otherSite: notFound, stranger: { code: ErrorCode.Forbidden }, blocked: { code: ErrorCode.Forbidden } },
  },
  {
    event: 'message:history',
    payload: () => ({ in: { kind: 'direct', id: ids.vic } }),
    // The conversation is derived from the caller: a same-site caller gets their own (empty) one.
    cells: { otherSite: notFound, stranger: { own: nothingOfVic }, blocked: { own: nothingOfVic } },
  },
  {
    event: 'message:history',
    label: 'message:history after a message of Vic and Fred',
    payload: () => ({ in: { kind: 'direct', id: ids.vic }, after: '0' }),
    cells: { otherSite: notFound, stranger: { own: nothingOfVic }, blocked: { own: nothingOfVic } },
  },
  {
    // Fred's message to Vic is not in the caller's own chat with Vic.
    event: 'message:around',
    payload: () => ({ in: { kind: 'direct', id: ids.vic }, messageId: fredToVic }),
    cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
  },
  {
    event: 'message:search',
    payload: () => ({ in: { kind: 'direct', id: ids.vic }, query: 'secret' }),
    cells: { otherSite: notFound, stranger: { own: nothingOfVic }, blocked: { own: nothingOfVic } },
  },
  {
    event: 'conversation:read',
    payload: () => ({ in: { kind: 'direct', id: ids.vic }, kind: 'read', upTo: fredToVic }),
    cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
  },
  {
    // The file was sent in Vic's chat with Fred: in the caller's own chat with Vic it does not exist.
    event: 'file:urls',
    payload: () => ({ in: { kind: 'direct', id: ids.vic }, fileId: vicFile }),
    cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
  },
  {
    event: 'inbox:sync',
    payload: () => ({ after: 0 }),
    cells: { otherSite: { own: nothingOfVic }, stranger: { own: nothingOfVic }, blocked: { own: nothingOfVic } },
  },
  {
    event: 'conversation:list',
    payload: () => ({}),
    cells: { otherSite: { own: nothingOfVic }, stranger: { own: nothingOfVic }, blocked: { own: nothingOfVic } },
  },
  {
    event: 'user:search',
    payload: () => ({ query: 'vic' }),
    cells: {
      otherSite: { own: (d) => expect(text(d)).not.toContain(ids.vic) },
      stranger: {
        allowed: 'finding people on the same site is what search is for',
        check: (d) => expect(text(d)).toContain(ids.vic),
      },
      blocked: { own: (d) => expect(text(d)).not.toContain(ids.vic) }, // Vic is hidden from Bella
    },
  },
  // Before roster:request below: until the stranger asks, they have no row of their own to act on.
  {
    event: 'roster:accept',
    payload: () => ({ userId: ids.vic }),
    cells: { otherSite: notFound, stranger: badRequest, blocked: badRequest },
  },
  {
    event: 'roster:decline',
    payload: () => ({ userId: ids.vic }),
    cells: { otherSite: notFound, stranger: badRequest, blocked: badRequest },
  },
  {
    event: 'roster:remove',
    payload: () => ({ userId: ids.vic }),
    cells: { otherSite: notFound, stranger: badRequest, blocked: badRequest },
  },
  {
    event: 'roster:unblock',
    payload: () => ({ userId: ids.vic }),
    cells: { otherSite: notFound, stranger: badRequest, blocked: badRequest },
  },
  {
    event: 'roster:group',
    payload: () => ({ userId: ids.vic, group: 'Mine' }),
    cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
  },
  {
    event: 'roster:request',
    payload: () => ({ userId: ids.vic }),
    cells: {
      otherSite: notFound,
      stranger: {
        allowed: 'asking is how strangers become buddies; Vic sees a pending request she may decline or block',
        check: (d) => expect((d.entry as { state: string }).state).toBe('requested'),
      },
      blocked: { code: ErrorCode.Blocked },
    },
  },
  {
    // Runs after roster:request above: the stranger withdraws their own request (their own row).
    event: 'roster:cancel',
    payload: () => ({ userId: ids.vic }),
    cells: {
      otherSite: notFound,
      stranger: { allowed: 'withdrawing one’s own request', check: (d) => expect(d.entry).toBeNull() },
      blocked: badRequest,
    },
  },
  {
    event: 'roster:block',
    payload: () => ({ userId: ids.vic }),
    cells: {
      otherSite: notFound,
      stranger: { allowed: 'anyone may block anyone; it changes only the blocker’s own list' },
      blocked: { allowed: 'blocking back changes only Bella’s own list' },
    },
  },
  {
    event: 'roster:rename-group',
    payload: () => ({ from: 'Friends', to: 'Hijacked' }),
    // Groups are the caller's own: Vic's "Friends" stays (checked after the matrix).
    cells: {
      otherSite: { own: () => undefined },
      stranger: { own: () => undefined },
      blocked: { own: () => undefined },
    },
  },
  {
    event: 'presence:set',
    payload: () => ({ state: 'busy', status: 'owned' }),
    cells: {
      otherSite: { own: () => undefined },
      stranger: { own: () => undefined },
      blocked: { own: () => undefined },
    },
  },
  {
    event: 'presence:idle',
    payload: () => ({ idle: true }),
    cells: {
      otherSite: { own: () => undefined },
      stranger: { own: () => undefined },
      blocked: { own: () => undefined },
    },
  },
  {
    event: 'profile:update',
    payload: () => ({ displayName: 'Vic' }),
    // Names are not unique and not identities; the change is to the caller's own profile.
    cells: {
      otherSite: { own: (d) => expect((d.user as { id: string }).id).toBe(ids.olga) },
      stranger: { own: (d) => expect((d.user as { id: string }).id).toBe(ids.sam) },
      blocked: { own: (d) => expect((d.user as { id: string }).id).toBe(ids.bella) },
    },
  },
  {
    event: 'profile:confirm-email',
    payload: () => ({}),
    // It takes no one to act on: only the caller's own address, and these callers have none.
    cells: { otherSite: badRequest, stranger: badRequest, blocked: badRequest },
  },
  {
    event: 'room:create',
    payload: () => ({ name: 'Lure', invite: [ids.vic] }),
    // Invitees are people the caller may message: not another site's, not a non-buddy here.
    cells: { otherSite: notFound, stranger: { code: ErrorCode.Forbidden }, blocked: { code: ErrorCode.Forbidden } },
  },
  {
    event: 'room:list',
    payload: () => ({}),
    cells: {
      otherSite: { own: nothingOfVicsRoom },
      stranger: { own: nothingOfVicsRoom },
      blocked: { own: nothingOfVicsRoom },
    },
  },
  {
    event: 'room:search',
    payload: () => ({ query: 'Vic' }),
    cells: {
      otherSite: { own: nothingOfVicsRoom },
      stranger: { own: nothingOfVicsRoom },
      blocked: { own: nothingOfVicsRoom },
    },
  },
  roomRow('room:join', () => ({})),
  roomRow('room:invite', () => ({ userId: ids.sam })),
  roomRow('room:accept', () => ({})),
  roomRow('room:decline', () => ({})),
  roomRow('room:leave', () => ({})),
  roomRow('room:remove', () => ({ userId: ids.fred })),
  roomRow('room:role', () => ({ userId: ids.fred, role: 'admin' })),
  roomRow('room:rename', () => ({ name: 'Hijacked' })),
  roomRow('room:close', () => ({})),
  inRoomRow('message:send', () => ({
    clientId: `authz-room-${Math.random()}`,
    content: { kind: 'text', text: 'let me in' },
  })),
  inRoomRow('message:history', () => ({})),
  inRoomRow('message:around', () => ({ messageId: fredInRoom })),
  inRoomRow('message:search', () => ({ query: 'secret' })),
  inRoomRow('conversation:read', () => ({ kind: 'read', upTo: fredInRoom })),
  inRoomRow('typing:set', () => ({ typing: true })),
  inRoomRow('file:urls', () => ({ fileId: roomFile })),
  {
    event: 'call:invite',
    payload: () => ({ to: ids.vic, kind: 'audio' }),
    // Sam and Bella both blocked Vic themselves in the roster:block row above, so their own block
    // is what they are told (`blocked`). A block by the callee is never told: the one blocked
    // gets `forbidden`, as a plain stranger does (calls.test.ts checks both).
    cells: { otherSite: notFound, stranger: { code: ErrorCode.Blocked }, blocked: { code: ErrorCode.Blocked } },
  },
  // Live calls of Vic's, and outsiders trying to answer, signal into or end them: calls.test.ts.
  {
    event: 'call:answer',
    payload: () => ({ callId: 'vics-call', accept: true }),
    cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
  },
  {
    event: 'call:signal',
    payload: () => ({ callId: 'vics-call', signal: { type: 'offer', sdp: 'v=0' } }),
    cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
  },
  {
    event: 'call:hangup',
    payload: () => ({ callId: 'vics-call' }),
    cells: { otherSite: notFound, stranger: notFound, blocked: notFound },
  },
  {
    event: 'call:ice',
    payload: () => ({}),
    // The caller's own ICE servers (none on this server: no STUN or TURN configured).
    cells: {
      otherSite: { own: (d) => expect(d).toEqual({ iceServers: [], expiresAt: null }) },
      stranger: { own: (d) => expect(d).toEqual({ iceServers: [], expiresAt: null }) },
      blocked: { own: (d) => expect(d).toEqual({ iceServers: [], expiresAt: null }) },
    },
  },
];

describe('authorisation matrix: sockets', () => {
  it('has a row for every client event', () => {
    expect([...new Set(matrix.map((r) => r.event))].sort()).toEqual(Object.keys(schemas).sort());
  });

  it('self-only events take no user to act on, so they cannot name Vic', () => {
    const userKeys = /^(to|with|userId)$/;
    // (roster:rename-group's `from` and `to` are the caller's own group names.)
    for (const event of [
      'inbox:sync',
      'conversation:list',
      'presence:set',
      'presence:idle',
      'profile:update',
      'profile:confirm-email',
      'call:ice',
    ]) {
      const keys = Object.keys((schemas[event as ClientEventName] as unknown as { shape: object }).shape);
      expect(
        keys.filter((k) => userKeys.test(k)),
        event,
      ).toEqual([]);
    }
  });

  it.each(matrix.map((row) => [row.label ?? row.event, row] as const))('%s', async (_event, row) => {
    for (const actor of actors) {
      const cell = row.cells[actor];
      const result = await clients[actor].request(row.event, row.payload());
      const where = `${row.event} by ${actor}`;
      if ('code' in cell) {
        expect(result.ok ? 'ok' : result.error.code, where).toBe(cell.code);
      } else {
        expect(result.ok ? 'ok' : result.error.code, where).toBe('ok');
        if (result.ok) ('own' in cell ? cell.own : (cell.check ?? (() => undefined)))(result.data as Data);
      }
    }
  });

  it('refuses a blocked user with `blocked` where strangers may talk, and never across sites', async () => {
    const oscar = await addUser(server, 'oscar', { site: 'other' });
    const { token } = await login(server.url, 'oscar', 'oscar-pass', 'other');
    const blockedOscar = await TestClient.connect(server.url, token, { site: 'other' });
    try {
      await clients.otherSite.ok('roster:block', { userId: oscar.id });
      for (const [event, payload] of [
        [
          'message:send',
          { in: { kind: 'direct', id: ids.olga }, clientId: 'blocked-1', content: { kind: 'text', text: 'hello?' } },
        ],
        ['typing:set', { in: { kind: 'direct', id: ids.olga }, typing: true }],
      ] as const) {
        const result = await blockedOscar.request(event, payload);
        expect(result.ok ? 'ok' : result.error.code, event).toBe(ErrorCode.Blocked);
      }
      // A site that lets strangers talk still cannot reach another site's users, or made-up ids.
      for (const to of [ids.vic, 'no-such-user']) {
        const result = await blockedOscar.trySend(to, 'hi', `x-${to}`);
        expect(result.ok ? 'ok' : result.error.code).toBe(ErrorCode.NotFound);
      }
    } finally {
      blockedOscar.close();
    }
  });

  it('left Vic’s data as it was and told the actors nothing about her', async () => {
    const vic = (await server.app.store.getUser(ids.vic))!;
    expect(vic).toMatchObject({ displayName: 'Vic', presenceState: 'online', statusText: '' });
    const roster = await server.app.store.roster(ids.vic);
    expect(roster.find((r) => r.buddy.id === ids.fred)).toMatchObject({ state: 'accepted', group: 'Friends' });
    const history = await clients.vic.ok('message:history', { in: { kind: 'direct', id: ids.fred } });
    expect(history.messages.map((m) => m.id).sort()).toEqual([fredToVic, vicToFred, fileMessages[0]].sort());
    // Vic's room: same name, same two members, the one message.
    const room = (await clients.vic.ok('room:list', {})).rooms.find((r) => r.room.id === vicRoom)!;
    expect(room.room.name).toBe('Vic and Fred');
    expect(room.room.members.map((m) => [m.user.id, m.role])).toEqual([
      [ids.vic, 'owner'],
      [ids.fred, 'member'],
    ]);
    expect(
      (await clients.vic.ok('message:history', { in: { kind: 'room', id: vicRoom } })).messages.map((m) => m.id),
    ).toEqual([fileMessages[1], fredInRoom]);
    // Vic changes presence: only her buddy Fred hears of it.
    await clients.vic.ok('presence:set', { state: 'away', status: 'back soon' });
    await waitFor(() => clients.fred.presence.some((p) => p.userId === ids.vic && p.presence.state === 'away'));
    await sleep(200);
    for (const actor of actors) {
      expect(text(clients[actor].presence), actor).not.toContain(ids.vic);
      expect(text(clients[actor].entries), actor).not.toContain('secret plans');
      expect(text(clients[actor].entries), actor).not.toContain('secret room plans');
      expect(text(clients[actor].roomChanges), actor).not.toContain(vicRoom);
      expect(text(clients[actor].typing), actor).not.toContain(ids.vic);
    }
  });
});

describe('authorisation matrix: no session', () => {
  const refusal = (p: Promise<TestClient>) =>
    p.then(
      (c) => (c.close(), 'connected'),
      (err: { data?: ErrorBody }) => err.data?.code,
    );

  it('refuses a handshake without a session, with a forged one, and with another site’s', async () => {
    const olgaToken = (await login(server.url, 'olga', 'olga-pass', 'other')).token;
    expect(await refusal(TestClient.connect(server.url, ''))).toBe(ErrorCode.BadRequest);
    expect(await refusal(TestClient.connect(server.url, 'forged-session-token'))).toBe(ErrorCode.Unauthorized);
    expect(await refusal(TestClient.connect(server.url, olgaToken))).toBe(ErrorCode.Unauthorized); // on demo
    const foreignIdentity = await identityToken(otherSecret, { sub: 'vic' });
    expect(await refusal(TestClient.connect(server.url, foreignIdentity, { identity: true }))).toBe(
      ErrorCode.IdentityInvalid,
    );
  });

  it('answers no event sent on a socket that never completed the handshake, and stores nothing', async () => {
    const before = await server.app.store.inboxHead(ids.vic);
    for (const event of Object.keys(schemas)) {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
      const frames: string[] = [];
      ws.on('message', (d) => frames.push(String(d)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      await waitFor(() => frames.length > 0, 5000, 'the open packet');
      // An event (with an ack id) straight away, and one after a refused CONNECT.
      ws.send(
        `421${JSON.stringify([event, { to: ids.vic, clientId: 'raw', body: 'raw', userId: ids.vic, after: 0 }])}`,
      );
      ws.send(`40${JSON.stringify({ v: PROTOCOL_VERSION, site: 'demo', token: 'forged' })}`);
      ws.send(`422${JSON.stringify([event, { to: ids.vic, clientId: 'raw2', body: 'raw', userId: ids.vic }])}`);
      await sleep(50);
      expect(
        frames.filter((f) => f.startsWith('43')),
        event,
      ).toEqual([]); // no acknowledgement at all
      ws.terminate();
    }
    expect(await server.app.store.inboxHead(ids.vic)).toBe(before);
  });
});

describe('authorisation matrix: HTTP', () => {
  const call = async (path: string, init: { method?: string; token?: string; body?: unknown; origin?: string }) => {
    const response = await fetch(`${server.url}/api/v1/sites/${path}`, {
      method: init.method ?? 'POST',
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.origin ? { origin: init.origin } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: response.status, code: ((await response.json()) as { error?: ErrorBody }).error?.code };
  };

  it('refuses every endpoint to another site’s user, to no session and to a foreign origin', async () => {
    const olgaToken = (await login(server.url, 'olga', 'olga-pass', 'other')).token;
    const table: [string, Parameters<typeof call>[1], number, ErrorCode][] = [
      // Sign in on demo with another site's account: that account does not exist here.
      ['demo/sessions', { body: { username: 'olga', password: 'olga-pass' } }, 401, ErrorCode.InvalidCredentials],
      ['demo/sessions/current', { method: 'DELETE', token: olgaToken }, 401, ErrorCode.Unauthorized],
      ['demo/sessions/current', { method: 'DELETE' }, 401, ErrorCode.Unauthorized],
      [
        'demo/password',
        { token: olgaToken, body: { currentPassword: 'olga-pass', newPassword: 'changed-1' } },
        401,
        ErrorCode.Unauthorized,
      ],
      [
        'demo/password',
        { body: { currentPassword: 'vic-pass', newPassword: 'changed-1' } },
        401,
        ErrorCode.Unauthorized,
      ],
      ['demo/users', { body: { username: 'intruder', password: 'long-enough' } }, 403, ErrorCode.RegistrationClosed],
      [
        'demo/sessions',
        { body: { username: 'vic', password: 'vic-pass' }, origin: 'https://other.example' },
        403,
        ErrorCode.OriginNotAllowed,
      ],
      ['other/sessions', { body: { username: 'vic', password: 'vic-pass' } }, 401, ErrorCode.InvalidCredentials],
      // Uploads: with another site's session, with none, and Vic's session on another site.
      ['demo/uploads', { token: olgaToken }, 401, ErrorCode.Unauthorized],
      ['demo/uploads', {}, 401, ErrorCode.Unauthorized],
      ['other/uploads', { token: vicToken }, 401, ErrorCode.Unauthorized],
      ['demo/uploads', { token: vicToken, origin: 'https://other.example' }, 403, ErrorCode.OriginNotAllowed],
      // The site's public settings, read from a page of another site.
      ['demo/config', { method: 'GET', origin: 'https://other.example' }, 403, ErrorCode.OriginNotAllowed],
    ];
    for (const [path, init, status, code] of table) {
      expect(await call(path, init), `${init.method ?? 'POST'} ${path}`).toEqual({ status, code });
    }
    // Signing out someone else is impossible: a stranger's logout ends only the stranger's session.
    const samToken = (await login(server.url, 'sam', 'sam-pass')).token;
    expect((await call('demo/sessions/current', { method: 'DELETE', token: samToken })).status).toBe(200);
    const vic = await TestClient.connect(server.url, vicToken);
    expect(vic.ready.user.id).toBe(ids.vic);
    vic.close();
    // Identity tokens: signed by another site, or naming another site.
    const sign = (secret: string, aud?: string) => identityToken(secret, { sub: 'vic' }, { aud });
    const demoSecret = (await server.app.store.getSite('demo'))!.secret;
    expect(await call('demo/sessions/identity', { body: { identity: await sign(otherSecret) } })).toEqual({
      status: 401,
      code: ErrorCode.IdentityInvalid,
    });
    expect(await call('demo/sessions/identity', { body: { identity: await sign(demoSecret, 'other') } })).toEqual({
      status: 401,
      code: ErrorCode.IdentityWrongSite,
    });
  });
});
