import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type ClientEventName } from '../src/protocol/index.js';
import { schemas } from '../src/protocol/schemas.js';
import { addUser, connectAs, login, startServer, TestClient, useServer, waitFor } from './support.js';

/**
 * Every client event, given malformed payloads (wrong types, missing fields, huge
 * strings, extra keys, `__proto__` keys, deep nesting), answers with an error code, stores
 * nothing, and the server stays up.
 */
const server = useServer();
const track = server.track;
const idOf = server.idOf;
let client: TestClient;
let bobId: string;

beforeAll(async () => {
  client = track(await connectAs(server.url, 'alice'));
  bobId = await idOf('bob');
});

/** A valid payload per event; the compiler makes sure no event is left out. */
const valid = (): Record<ClientEventName, Record<string, unknown>> => ({
  'message:send': { in: { kind: 'direct', id: bobId }, clientId: 'valid-1', content: { kind: 'text', text: 'hello' } },
  'inbox:sync': { after: 0, limit: 10 },
  'message:history': { in: { kind: 'direct', id: bobId }, limit: 10 },
  'message:around': { in: { kind: 'direct', id: bobId }, messageId: 'some-message-id', limit: 5 },
  'message:search': { in: { kind: 'direct', id: bobId }, query: 'hello', before: 'some-message-id', limit: 10 },
  'conversation:list': {},
  'file:urls': { in: { kind: 'direct', id: bobId }, fileId: 'some-file-id' },
  'conversation:read': { in: { kind: 'direct', id: bobId }, kind: 'read', upTo: 'some-message-id' },
  'typing:set': { in: { kind: 'direct', id: bobId }, typing: true },
  'presence:set': { state: 'away', status: 'out' },
  'presence:idle': { idle: true },
  'profile:update': {
    displayName: 'Alice',
    avatarUrl: 'https://img.example/a.png',
    email: 'alice@example.com',
    emailDigests: true,
  },
  'profile:confirm-email': {},
  'user:search': { query: 'bo' },
  'roster:request': { userId: bobId, group: 'Friends' },
  'roster:accept': { userId: bobId, group: 'Friends' },
  'roster:decline': { userId: bobId },
  'roster:cancel': { userId: bobId },
  'roster:remove': { userId: bobId },
  'roster:block': { userId: bobId },
  'roster:unblock': { userId: bobId },
  'roster:group': { userId: bobId, group: 'Friends' },
  'roster:rename-group': { from: 'Friends', to: 'Pals' },
  'room:create': { name: 'Book club', public: true, invite: [bobId] },
  'room:list': {},
  'room:search': { query: 'book' },
  'room:join': { roomId: 'some-room-id' },
  'room:invite': { roomId: 'some-room-id', userId: bobId },
  'room:accept': { roomId: 'some-room-id' },
  'room:decline': { roomId: 'some-room-id' },
  'room:leave': { roomId: 'some-room-id' },
  'room:remove': { roomId: 'some-room-id', userId: bobId },
  'room:role': { roomId: 'some-room-id', userId: bobId, role: 'admin' },
  'room:rename': { roomId: 'some-room-id', name: 'Readers' },
  'room:close': { roomId: 'some-room-id' },
  'call:invite': { to: bobId, kind: 'audio' },
  'call:answer': { callId: 'some-call-id', accept: true },
  'call:signal': { callId: 'some-call-id', signal: { type: 'offer', sdp: 'v=0' } },
  'call:hangup': { callId: 'some-call-id' },
  'call:ice': {},
});

function deep(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

function wrongType(value: unknown): unknown[] {
  if (typeof value === 'string') return [12345, true, null, [value], { value }];
  if (typeof value === 'number') return ['1', -1, 1.5, Number.MAX_SAFE_INTEGER * 4, null];
  if (typeof value === 'boolean') return ['yes', 1, null];
  return [42, 'x'];
}

/** Malformed variants of a valid payload, each named for the failure message. */
function variants(event: ClientEventName, base: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['number', 7],
    ['string', 'payload'],
    ['array', [base]],
    ['extra key', { ...base, extra: 1 }],
    [
      '__proto__ key',
      JSON.parse(JSON.stringify(base).replace(/^\{/, '{"__proto__":{"polluted":true},').replace(',}', '}')),
    ],
    ['constructor key', { ...base, constructor: { prototype: { polluted: true } } }],
    ['deep nesting', { ...base, nested: deep(200) }],
  ];
  // The whole payload with one field changed: some events are unions of shapes (call:invite).
  const accepts = (key: string, value: unknown) => schemas[event].safeParse({ ...base, [key]: value }).success;
  for (const [key, value] of Object.entries(base)) {
    for (const wrong of wrongType(value)) {
      if (!accepts(key, wrong)) out.push([`${key} = ${JSON.stringify(wrong)}`, { ...base, [key]: wrong }]);
    }
    if (typeof value === 'string') out.push([`${key} huge`, { ...base, [key]: 'x'.repeat(20_000) }]);
    if (!accepts(key, undefined)) {
      const { [key]: _dropped, ...rest } = base;
      out.push([`without ${key}`, rest]);
    }
  }
  return out;
}

describe('malformed payloads', () => {
  it('covers every event the protocol defines', () => {
    expect(Object.keys(valid()).sort()).toEqual(Object.keys(schemas).sort());
  });

  it.each(Object.keys(schemas) as ClientEventName[])(
    '%s answers every malformed payload with an error code',
    async (event) => {
      for (const [name, payload] of variants(event, valid()[event])) {
        const result = await client.request(event, payload);
        expect(result.ok, `${event} with ${name} was accepted`).toBe(false);
        if (!result.ok) {
          expect(Object.values(ErrorCode), `${event} with ${name}`).toContain(result.error.code);
          expect(result.error.message).not.toMatch(/at .*\.ts:\d+|Error:/); // no stack or exception text
        }
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('stored nothing from any of it, and everything still works', async () => {
    const history = await client.ok('message:history', { in: { kind: 'direct', id: bobId }, limit: 100 });
    expect(history.messages).toEqual([]);
    const roster = (await server.app.store.roster(client.ready.user.id)).map((r) => [r.buddy.username, r.state]);
    expect(roster.sort()).toEqual([
      ['bob', 'accepted'],
      ['carol', 'accepted'],
    ]);
    const me = await server.app.store.getUser(client.ready.user.id);
    expect(me).toMatchObject({ displayName: 'Alice Liddell', presenceState: 'online', statusText: '', email: null });
    expect(await server.app.store.roomsOf(client.ready.user.id)).toEqual([]);
    expect((await client.send(bobId, 'still here')).duplicate).toBe(false);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('closes a connection that sends an oversized frame, and only that one', async () => {
    const victim = await connectAs(server.url, 'carol');
    victim.socket.emit(
      'message:send',
      { in: { kind: 'direct', id: bobId }, clientId: 'big', content: { kind: 'text', text: 'x'.repeat(200_000) } },
      () => {},
    );
    await waitFor(() => !victim.socket.connected, 5000, 'the oversized connection to close');
    expect(client.socket.connected).toBe(true);
    expect((await client.send(bobId, 'after the flood')).duplicate).toBe(false);
    victim.close();
  });

  it('limits a flood of requests from one user with a clear code and keeps serving', async () => {
    const limited = await startServer({ config: { actionRatePerSecond: 20 } });
    try {
      await addUser(limited, 'flooder', { buddies: ['bob'] });
      const { token } = await login(limited.url, 'flooder', 'flooder-pass');
      const flooder = await TestClient.connect(limited.url, token);
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) => flooder.request('user:search', { query: `q${i}` })),
      );
      const passed = results.filter((r) => r.ok).length;
      expect(passed).toBeGreaterThanOrEqual(40); // the burst, plus what refilled meanwhile
      expect(passed).toBeLessThan(60);
      expect(results.filter((r) => !r.ok && r.error.code === ErrorCode.RateLimited)).toHaveLength(300 - passed);
      flooder.close();
      expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('hostile payloads on a first connection, and the sending rate', () => {
  it('answers every malformed payload with an error code and stays up', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const bobId = await idOf('bob');
    const bad: [string, unknown][] = [
      ['message:send', undefined],
      ['message:send', null],
      ['message:send', 'hello'],
      ['message:send', { in: { kind: 'direct', id: bobId }, clientId: 'c', content: { kind: 'text', text: 42 } }],
      ['message:send', { in: { kind: 'direct', id: bobId }, clientId: 'c' }],
      ['message:send', { in: { kind: 'direct', id: bobId }, clientId: 'c', content: { kind: 'text', text: '   ' } }],
      [
        'message:send',
        { in: { kind: 'direct', id: bobId }, clientId: 'c', content: { kind: 'text', text: 'x'.repeat(5000) } },
      ],
      [
        'message:send',
        { in: { kind: 'direct', id: bobId }, clientId: 'c'.repeat(500), content: { kind: 'text', text: 'hi' } },
      ],
      [
        'message:send',
        { in: { kind: 'direct', id: bobId }, clientId: 'c', content: { kind: 'text', text: 'hi' }, extra: true },
      ],
      ['message:send', JSON.parse(`{"to":"${bobId}","clientId":"c","body":"hi","__proto__":{"polluted":1}}`)],
      [
        'message:send',
        { in: { kind: 'direct', id: await idOf('alice') }, clientId: 'c-self', content: { kind: 'text', text: 'me' } },
      ],
      ['inbox:sync', { after: -1 }],
      ['inbox:sync', { after: 1.5 }],
      ['inbox:sync', { after: '0' }],
      ['message:history', { in: { kind: 'direct', id: [] } }],
      ['message:history', { in: { kind: 'direct', id: 'x'.repeat(100) } }],
      ['message:history', { in: { kind: 'direct', id: bobId }, before: 'a', after: 'b' }],
      ['message:around', { in: { kind: 'direct', id: bobId }, messageId: 'm', limit: 51 }],
      ['message:search', { in: { kind: 'direct', id: bobId }, query: '   ' }],
      ['message:search', { in: { kind: 'direct', id: bobId }, query: 'x'.repeat(101) }],
      ['message:search', { in: { kind: 'direct', id: bobId }, query: 'ok', limit: 51 }],
      ['no:such-event', {}],
    ];
    for (const [event, payload] of bad) {
      const result = await alice.request(event as 'message:send', payload);
      expect(result.ok, `${event} ${JSON.stringify(payload)?.slice(0, 60)}`).toBe(false);
      if (!result.ok) expect(Object.values(ErrorCode)).toContain(result.error.code);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Nothing was stored from any of them, and the connection still works.
    const history = await alice.request('message:history', { in: { kind: 'direct', id: bobId }, limit: 100 });
    expect(history.ok && history.data.messages.some((m) => m.clientId === 'c' || m.clientId === 'c-self')).toBe(false);
    const ok = await alice.send(bobId, 'still here');
    expect(ok.duplicate).toBe(false);
    alice.close();
  });

  it('limits the sending rate with a clear code', async () => {
    const limited = await startServer({ config: { messageRatePerSecond: 2 } });
    try {
      const alice = await connectAs(limited.url, 'alice');
      const bobId = (await limited.app.store.findUserByUsername('demo', 'bob'))!.id;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          alice.request('message:send', {
            in: { kind: 'direct', id: bobId },
            clientId: `r${i}`,
            content: { kind: 'text', text: 'spam' },
          }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(4); // burst of twice the rate
      expect(results.filter((r) => !r.ok && r.error.code === ErrorCode.RateLimited)).toHaveLength(4);
      alice.close();
    } finally {
      await limited.close();
    }
  });
});
