import fc from 'fast-check';
import WebSocket from 'ws';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION, type ClientEventName, type Result } from '../src/protocol/index.js';
import { avatarUrl, displayName, email, schemas } from '../src/protocol/schemas.js';
import type { RawMessageRow } from '../src/store/prisma/rows.js';
import { openForReading } from './services.js';
import { addUser, login, TestClient, useServer, waitFor } from './support.js';

/**
 * Property-based fuzzing of every client event, the raw Socket.IO wire and every HTTP endpoint
 * with random and malformed input: wrong types, prototype-pollution keys, deep nesting, lone
 * surrogates and direction overrides, binary attachments, invalid UTF-8, oversized and garbled
 * frames, unknown and reserved events, floods. The server must never crash, must answer every
 * request that carries an acknowledgement with a Result whose error has a known code and no
 * exception text, and everything it stored must still satisfy the schemas.
 *
 * Fixed seed in `npm test`; run longer or differently with FUZZ_RUNS and FUZZ_SEED, e.g.
 *   FUZZ_RUNS=2000 FUZZ_SEED=$RANDOM npx vitest run --root backend test/fuzz.test.ts
 * A failure prints the seed and the shrunk counterexample; rerun with that seed to reproduce.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? 8);
const settings = { numRuns: RUNS, seed: SEED, endOnFailure: true };
const codes = new Set<string>(Object.values(ErrorCode));
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

const server = useServer({
  sites: [
    { id: 'open', origins: ['https://open.example'], settings: { registrationOpen: true, strangersMayMessage: true } },
  ],
});
let alice: TestClient;
let aliceToken: string;
const ids: Record<string, string> = {};
/** What came back, by event and code: shows the fuzzer reached the handlers, not just the schemas. */
const outcomes = new Map<string, number>();
const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

beforeAll(async () => {
  await addUser(server, 'stranger', { site: 'open' });
  ids.other = (await server.app.store.findUserByUsername('open', 'stranger'))!.id;
  for (const name of ['alice', 'bob', 'carol'])
    ids[name] = (await server.app.store.findUserByUsername('demo', name))!.id;
  aliceToken = (await login(server.url, 'alice')).token;
  alice = server.track(await TestClient.connect(server.url, aliceToken));
  // A room alice owns and bob is invited to, so room events reach their handlers.
  ids.room = (await alice.ok('room:create', { name: 'Fuzz room', public: true, invite: [ids.bob!] })).room.id;
});
afterAll(() => {
  const summary = [...outcomes].sort().map(([k, n]) => `${k} ${n}`);
  console.log(`fuzz (seed ${SEED}, ${RUNS} runs per property): ${summary.join(', ')}`);
});

// ------------------------------------------------------------------------------------------------
// Arbitraries

const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'),
  fc.string({ maxLength: 12 }),
);
/** Strings that have broken parsers and renderers: lone surrogates, bidi overrides, NULs, markup. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202e\u2066evil\u2069',
    '\ufeff',
    '<script>parent.x=1</script>',
    'javascript:alert(1)',
    '%00%ff',
    '__proto__',
    'x'.repeat(5000),
    '𝕏'.repeat(2100),
  ),
);
function nest(depth: number): unknown {
  let value: unknown = JSON.parse('{"__proto__":{"polluted":true}}');
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    maxDepth: 3,
    key: hostileKey,
    withBoxedValues: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true, // becomes a binary attachment on the wire
    withDate: true,
    withUnicodeString: true,
  }),
  hostileString,
  fc.integer({ min: 100, max: 2000 }).map(nest),
  fc.constantFrom(NaN, Infinity, -0, Number.MAX_SAFE_INTEGER + 2, -1, 1.5),
);
/** A value for a known field: often right (so handlers run), often wrong. */
const fieldValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: user() },
    { weight: 3, arbitrary: hostileString },
    { weight: 2, arbitrary: fc.constantFrom('online', 'away', 'invisible', 'read', 'delivered', 'Friends', null) },
    { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.boolean()) },
    { weight: 1, arbitrary: hostileValue },
  );
/** The keys of an event's payload (of every shape, for events that are a union of shapes). */
const shapeOf = (event: ClientEventName): string[] => {
  const schema = schemas[event] as unknown as z.ZodObject<z.ZodRawShape> | z.ZodUnion<z.ZodObject<z.ZodRawShape>[]>;
  const shapes = 'options' in schema ? schema.options.map((o) => o.shape) : [schema.shape];
  return [...new Set(shapes.flatMap((shape) => Object.keys(shape)))];
};
const user = () => fc.constantFrom(ids.bob!, ids.carol!, ids.alice!, ids.other!, 'no-such-user');
const room = () => fc.constantFrom(ids.room!, 'no-such-room');
/** Valid-length text that is hostile in content: any code point, markup, direction overrides. */
const text = (min: number, max: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', minLength: min, maxLength: max }),
    fc.constantFrom('<img src=x onerror=alert(1)>', '\u202eevil\u202c', 'javascript:alert(1)', '𝕏\u0301\u0301'),
  );
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const group = fc.option(text(1, 64), { nil: null });
/** A conversation: direct with a user, or a room (sometimes a near miss of either). */
const key = () =>
  fc.oneof(
    fc.record({ kind: fc.constant('direct'), id: user() }),
    fc.record({ kind: fc.constant('room'), id: room() }),
    fc.record({ kind: fc.constantFrom('dm', 'group', ''), id: text(1, 64) }),
  );
/** Payloads that pass (or nearly pass) the schemas, so the handlers and the store are exercised too. */
const validFor = (): Record<ClientEventName, fc.Arbitrary<unknown>> => ({
  'message:send': fc.record({
    in: key(),
    clientId: text(1, 64),
    content: fc.oneof(
      fc.record({ kind: fc.constant('text'), text: text(1, 300) }),
      fc.record({ kind: fc.constant('file'), fileId: text(1, 64), text: optional(text(1, 300)) }),
    ),
  }),
  'file:urls': fc.record({ in: key(), fileId: text(1, 64) }),
  'inbox:sync': fc.record({ after: fc.nat(), limit: optional(fc.integer({ min: 1, max: 500 })) }),
  'message:history': fc.record({
    in: key(),
    before: optional(text(1, 64)),
    after: optional(text(1, 64)),
    limit: optional(fc.integer({ min: 1, max: 100 })),
  }),
  'message:around': fc.record({
    in: key(),
    messageId: text(1, 64),
    limit: optional(fc.integer({ min: 1, max: 60 })),
  }),
  'message:search': fc.record({
    in: key(),
    // Queries full of what a search engine or LIKE would read as syntax.
    query: fc.oneof(text(1, 120), fc.constantFrom('%', '_', '"', '*', 'a AND b', 'NEAR(a b)', '\\%', '图书', '"x" OR y*')),
    before: optional(text(1, 64)),
    limit: optional(fc.integer({ min: 1, max: 60 })),
  }),
  'conversation:list': fc.constant({}),
  'conversation:read': fc.record({ in: key(), kind: fc.constantFrom('read', 'delivered'), upTo: text(1, 64) }),
  'typing:set': fc.record({ in: key(), typing: fc.boolean() }),
  'presence:set': fc.record({
    state: fc.constantFrom('online', 'away', 'busy', 'invisible'),
    status: optional(text(0, 140)),
  }),
  'presence:idle': fc.record({ idle: fc.boolean() }),
  'profile:update': fc.record(
    {
      displayName: text(1, 64),
      avatarUrl: fc.oneof(
        fc.constant(null),
        text(1, 100).map((t) => `https://${t}`),
      ),
      email: fc.oneof(
        fc.constant(null),
        text(1, 40).map((t) => `${t}@mail.example`),
      ),
      emailDigests: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  'profile:confirm-email': fc.constant({}),
  'user:search': fc.record({ query: text(1, 64) }),
  'roster:request': fc.record({ userId: user(), group: optional(group) }),
  'roster:accept': fc.record({ userId: user(), group: optional(group) }),
  'roster:decline': fc.record({ userId: user() }),
  'roster:cancel': fc.record({ userId: user() }),
  'roster:remove': fc.record({ userId: user() }),
  'roster:block': fc.record({ userId: user() }),
  'roster:unblock': fc.record({ userId: user() }),
  'roster:group': fc.record({ userId: user(), group }),
  'roster:rename-group': fc.record({ from: text(1, 64), to: text(1, 64) }),
  'room:create': fc.record(
    { name: text(1, 64), public: fc.boolean(), invite: fc.array(user(), { maxLength: 3 }) },
    { requiredKeys: ['name'] },
  ),
  'room:list': fc.record({ after: room(), limit: fc.integer({ min: 1, max: 50 }) }, { requiredKeys: [] }),
  'room:search': fc.record({ query: text(0, 64) }, { requiredKeys: [] }),
  'room:join': fc.record({ roomId: room() }),
  'room:invite': fc.record({ roomId: room(), userId: user() }),
  'room:accept': fc.record({ roomId: room() }),
  'room:decline': fc.record({ roomId: room() }),
  'room:leave': fc.record({ roomId: room() }),
  'room:remove': fc.record({ roomId: room(), userId: user() }),
  'room:role': fc.record({ roomId: room(), userId: user(), role: fc.constantFrom('admin', 'member') }),
  'room:rename': fc.record({ roomId: room(), name: text(1, 64) }),
  'room:close': fc.record({ roomId: room() }),
  'call:invite': fc.oneof(
    fc.record({ to: user(), kind: fc.constantFrom('audio', 'video') }),
    fc.record({
      to: user(),
      kind: fc.constant('data'),
      transfer: fc.record({
        name: text(1, 100),
        size: fc.integer({ min: 0, max: 200 * 1024 * 1024 }),
        mime: fc.constantFrom('text/plain', 'image/png', ''),
      }),
    }),
  ),
  'call:answer': fc.record({ callId: text(1, 64), accept: fc.boolean() }),
  'call:signal': fc.record({
    callId: text(1, 64),
    signal: fc.oneof(
      fc.record({ type: fc.constantFrom('offer', 'answer'), sdp: text(1, 300) }),
      fc.record({
        type: fc.constant('candidate'),
        candidate: fc.option(
          fc.record({ candidate: text(0, 200), sdpMid: optional(text(0, 8)), sdpMLineIndex: optional(fc.nat(300)) }),
          { nil: null },
        ),
      }),
    ),
  }),
  'call:hangup': fc.record({ callId: text(1, 64) }),
  'call:ice': fc.constant({}),
});
/**
 * Per event: near-valid payloads (handlers run), objects with the event's own keys holding any
 * value (sometimes with a hostile extra key), and anything at all.
 */
const payloadFor = (event: ClientEventName): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 3, arbitrary: validFor()[event] },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.record(Object.fromEntries(shapeOf(event).map((k) => [k, fieldValue()])), { requiredKeys: [] }),
          fc.option(fc.tuple(hostileKey, hostileValue), { freq: 4 }),
        )
        .map(([record, extra]) => {
          if (extra) Object.defineProperty(record, extra[0], { value: extra[1], enumerable: true });
          return record;
        }),
    },
    { weight: 1, arbitrary: hostileValue },
  );

function expectResult(result: unknown, what: string): asserts result is Result<unknown> {
  expect(result, what).toBeTypeOf('object');
  const r = result as Result<unknown>;
  if (r.ok) {
    expect(r.data, what).toBeDefined();
    return;
  }
  expect(codes.has(r.error.code), `${what}: unknown code ${r.error.code}`).toBe(true);
  expect(r.error.message, what).toBeTypeOf('string');
  expect(r.error.message, what).not.toMatch(/\bat .+:\d+:\d+|TypeError|ReferenceError|SqliteError|prisma/i);
}

async function healthy(): Promise<void> {
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect(alice.socket.connected, 'the fuzz client was disconnected').toBe(true);
}

// ------------------------------------------------------------------------------------------------

describe('fuzzing client events', () => {
  it.each(Object.keys(schemas) as ClientEventName[])('%s answers every random payload with a result', async (event) => {
    await fc.assert(
      fc.asyncProperty(payloadFor(event), async (payload) => {
        const result = await alice.request(event, payload);
        expectResult(result, event);
        count(`${event}:${result.ok ? 'ok' : result.error.code}`);
      }),
      settings,
    );
    await healthy();
  });

  it('answers unknown events, odd argument lists and acks in odd places', async () => {
    const reserved = new Set([
      'connect',
      'connect_error',
      'disconnect',
      'disconnecting',
      'newListener',
      'removeListener',
    ]);
    const emit = alice.socket.timeout(10_000).emitWithAck as (...args: unknown[]) => Promise<unknown>;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.constantFrom('__proto__', 'toString', 'message:send '),
        ),
        fc.array(hostileValue, { maxLength: 3 }),
        async (event, args) => {
          fc.pre(!reserved.has(event));
          const result = await emit.call(alice.socket, event, ...args);
          expectResult(result, `unknown event ${JSON.stringify(event)}`);
          count(
            `unknown:${(result as Result<unknown>).ok ? 'ok' : (result as { error: { code: string } }).error.code}`,
          );
        },
      ),
      settings,
    );
    // A known event with extra arguments, or the ack where the payload should be, is still answered.
    const extra = await emit.call(alice.socket, 'conversation:list', {}, 'extra', 42);
    expectResult(extra, 'extra arguments');
    const ackOnly = await emit.call(alice.socket, 'message:send');
    expectResult(ackOnly, 'no payload');
    expect((ackOnly as Result<unknown>).ok).toBe(false);
    // Without an ack the event is dropped (nothing to answer), and the connection goes on.
    (alice.socket.emit as (...args: unknown[]) => unknown)('message:send', {
      in: { kind: 'direct', id: ids.bob },
      clientId: 'x',
      content: { kind: 'text', text: 'y' },
    });
    await healthy();
  });

  it('answers a flood of mixed requests, every one, and keeps serving', async () => {
    const flood = fc.sample(
      fc.tuple(fc.constantFrom(...(Object.keys(schemas) as ClientEventName[]), 'no:such'), hostileValue),
      { numRuns: 1500, seed: SEED },
    );
    const results = await Promise.all(
      flood.map(([event, payload]) => alice.request(event as ClientEventName, payload)),
    );
    results.forEach((r, i) => expectResult(r, `flood ${i}`));
    await healthy();
  });
});

// ------------------------------------------------------------------------------------------------

/** A raw Engine.IO/Socket.IO connection signed in as alice, for frames no client library would send. */
async function rawSocket(): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const frames: string[] = [];
  ws.on('message', (data) => {
    const text = String(data);
    frames.push(text);
    if (text === '2') ws.send('3'); // answer pings
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await waitFor(() => frames.some((f) => f.startsWith('0{')), 10_000, 'the Engine.IO open packet');
  ws.send(`40${JSON.stringify({ v: PROTOCOL_VERSION, site: 'demo', token: aliceToken })}`);
  await waitFor(() => frames.some((f) => f.startsWith('42["session:ready"')), 10_000, 'session:ready');
  return ws;
}

const rawFrame: fc.Arbitrary<{ data: string | Buffer; binary: boolean }> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).map((data) => ({ data, binary: false })),
  fc
    .tuple(
      fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '40', '41', '42', '43', '44', '45', '46', '4/nsp,', '421'),
      fc.oneof(
        hostileValue.map((v) => JSON.stringify(v) ?? ''),
        fc.string({ maxLength: 50 }),
        fc
          .tuple(
            fc.constantFrom(...Object.keys(schemas), 'disconnect', 'connect', 'newListener', '__proto__'),
            hostileValue,
          )
          .map(([e, v]) => JSON.stringify([e, v]) ?? ''),
      ),
    )
    .map(([head, tail]) => ({ data: head + tail, binary: false })),
  fc.constantFrom(
    { data: '451-["message:send",{"_placeholder":true,"num":0}]', binary: false },
    { data: '4599999999-["message:send",{"_placeholder":true,"num":99}]', binary: false },
    { data: '42["message:send",' + '['.repeat(5000) + ']'.repeat(5000) + ']', binary: false },
    { data: '42' + 'x'.repeat(70_000), binary: false }, // over the 64 KB frame limit
    { data: Buffer.from([0x34, 0x32, 0x5b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x5d]), binary: false }, // invalid UTF-8
  ),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })),
);

describe('fuzzing the wire', () => {
  it('survives garbled, oversized, binary and invalid UTF-8 frames; other connections are untouched', async () => {
    await fc.assert(
      fc.asyncProperty(rawFrame, async ({ data, binary }) => {
        const ws = await rawSocket();
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        ws.send(data, { binary });
        // Either the server answers/ignores it or closes this one connection; give it a moment.
        await Promise.race([closed, new Promise((r) => setTimeout(r, 30))]);
        ws.terminate();
        await healthy();
        count(`wire:${binary ? 'binary' : 'text'}`);
      }),
      { ...settings, numRuns: Math.max(10, Math.round(RUNS / 2)) },
    );
    const after = await alice.request('conversation:list', {});
    expect(after.ok).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------

interface HttpCase {
  method: string;
  path: string;
  site: string;
  body: string | Buffer | undefined;
  contentType: string | undefined;
  origin: string | undefined;
  authorization: string | undefined;
}

const httpCase: fc.Arbitrary<HttpCase> = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'DELETE', 'OPTIONS', 'GET', 'PUT'),
  path: fc.constantFrom(
    'sessions',
    'sessions/identity',
    'users',
    'password',
    'sessions/current',
    'config',
    'nope/../users',
  ),
  site: fc.oneof(fc.constantFrom('demo', 'open', '__proto__', '%00', 'x'.repeat(300)), fc.string({ maxLength: 20 })),
  body: fc.oneof(
    { weight: 3, arbitrary: hostileValue.map((v) => JSON.stringify(v)) },
    {
      weight: 3,
      arbitrary: fc
        .record(
          {
            username: fc.oneof(fc.constantFrom('alice', 'bob', 'newbie', 'Alice'), hostileString),
            password: fc.oneof(fc.constantFrom('alice-demo', 'long-enough-password'), hostileString),
            displayName: hostileString,
            identity: fc.oneof(hostileString, fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')),
            currentPassword: hostileString,
            newPassword: hostileString,
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    // Deep nesting, built as text: 30 000 levels still fit in the 64 KB body limit.
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 30_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"username":"alice","password":"x","__proto__":{"admin":true}}',
        '{"constructor":{"prototype":{"admin":true}}}',
        JSON.stringify({ username: 'a', password: 'x'.repeat(70_000) }),
        Buffer.from('{"username":"\xff\xfe\xc3\x28","password":"x"}', 'latin1'),
        '',
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    undefined,
  ),
  origin: fc.constantFrom(undefined, 'http://localhost:5173', 'https://evil.example', 'null', 'https://open.example'),
  authorization: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('Bearer ', 'Bearer x', 'Basic YWxpY2U6YWxpY2UtZGVtbw=='),
    hostileString.filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => `Bearer ${s}`),
  ),
});

describe('fuzzing HTTP', () => {
  it('answers every endpoint with a status below 500 and a Result with a known code', async () => {
    await fc.assert(
      fc.asyncProperty(httpCase, async (c) => {
        const headers: Record<string, string> = {};
        if (c.contentType) headers['content-type'] = c.contentType;
        if (c.origin) headers.origin = c.origin;
        if (c.authorization) headers.authorization = c.authorization;
        const body = c.method === 'GET' || c.body === undefined ? undefined : c.body;
        const response = await fetch(`${server.url}/api/v1/sites/${encodeURIComponent(c.site)}/${c.path}`, {
          method: c.method,
          headers,
          body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body),
        });
        const what = `${c.method} ${c.path} on ${c.site}`;
        expect(response.status, what).toBeLessThan(500);
        count(`http:${response.status}`);
        const text = await response.text();
        if (response.status === 204 || text === '') return;
        expectResult(JSON.parse(text), what);
      }),
      { ...settings, numRuns: RUNS * 3 },
    );
    await healthy();
  });
});

// ------------------------------------------------------------------------------------------------

describe('after the fuzzing', () => {
  it('left no polluted prototype and only valid data in the database', async () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();

    const db = await openForReading(server.database);
    try {
      const status = schemas['presence:set'].shape.status.unwrap();
      const content = schemas['message:send'].shape.content;
      const group = schemas['roster:group'].shape.group;
      const users = await db.all<{
        id: string;
        siteId: string;
        displayName: string;
        avatarUrl: string | null;
        statusText: string;
        presenceState: string;
        inboxSeq: number;
        email: string | null;
      }>('SELECT * FROM "User"');
      expect(users.length).toBeGreaterThan(3);
      for (const u of users) {
        expect(displayName.safeParse(u.displayName).success, `display name of ${u.id}`).toBe(true);
        expect(status.safeParse(u.statusText).success, `status of ${u.id}`).toBe(true);
        if (u.avatarUrl !== null) expect(avatarUrl.safeParse(u.avatarUrl).success, `avatar of ${u.id}`).toBe(true);
        if (u.email !== null) expect(email.safeParse(u.email).success, `e-mail of ${u.id}`).toBe(true);
        expect(['online', 'away', 'busy', 'invisible']).toContain(u.presenceState);
        const seqs = (
          await db.all<{ seq: number }>('SELECT seq FROM "InboxEntry" WHERE "userId" = ? ORDER BY seq', u.id)
        ).map((r) => r.seq);
        expect(seqs, `inbox of ${u.id}`).toEqual(seqs.map((_, i) => i + 1));
        expect(u.inboxSeq).toBe(seqs.length);
      }
      const siteOf = new Map(users.map((u) => [u.id, u.siteId]));
      const messages = await db.all<RawMessageRow>('SELECT * FROM "Message"');
      for (const m of messages) {
        if (m.callLog !== null) {
          // A call log (a call to a user with no device online): the server wrote it, with no body.
          expect(m.body, `body of call log ${m.id}`).toBe('');
          const log = (typeof m.callLog === 'string' ? JSON.parse(m.callLog) : m.callLog) as { outcome: string };
          expect(['completed', 'missed', 'declined', 'failed']).toContain(log.outcome);
        } else expect(content.safeParse({ kind: 'text', text: m.body }).success, `body of ${m.id}`).toBe(true);
        expect(m.clientId.length).toBeGreaterThan(0);
        expect(m.clientId.length).toBeLessThanOrEqual(64);
        // Never across sites.
        expect(siteOf.get(m.senderId)).toBe(m.siteId);
        if (m.recipientId !== null) expect(siteOf.get(m.recipientId)).toBe(m.siteId);
        else expect(m.conversationId).toMatch(/^room:/);
      }
      // Rooms: valid names, and members only from the room's own site.
      const roomName = schemas['room:rename'].shape.name;
      const rooms = await db.all<{ id: string; siteId: string; name: string }>('SELECT * FROM "Room"');
      expect(rooms.length).toBeGreaterThan(0);
      const roomSite = new Map(rooms.map((r) => [r.id, r.siteId]));
      for (const r of rooms) expect(roomName.safeParse(r.name).success, `name of room ${r.id}`).toBe(true);
      const members = await db.all<{ roomId: string; userId: string }>('SELECT * FROM "RoomMember"');
      for (const m of members) expect(siteOf.get(m.userId)).toBe(roomSite.get(m.roomId));
      const buddies = await db.all<{
        ownerId: string;
        buddyId: string;
        state: string;
        groupName: string | null;
      }>('SELECT * FROM "Buddy"');
      for (const b of buddies) {
        expect(['accepted', 'requested', 'pending', 'blocked']).toContain(b.state);
        expect(group.safeParse(b.groupName).success, `group ${JSON.stringify(b.groupName)}`).toBe(true);
        expect(siteOf.get(b.ownerId)).toBe(siteOf.get(b.buddyId));
      }
      console.log(
        `fuzz left ${users.length} users, ${messages.length} messages, ${buddies.length} buddy rows: all valid`,
      );
    } finally {
      await db.close();
    }
    await healthy();
  });
});
