/**
 * Issue 12: what an outside attack found, one describe per finding, each against a real server.
 * (Findings 2 and 3, rooms and presence, are in rooms-limits.test.ts and block-presence.test.ts;
 * finding 4, confirmed e-mail addresses, in digests.test.ts.) Each of these failed on the code
 * before its fix; docs/SECURITY.md lists them.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { repoRoot } from '../src/paths.js';
import { ErrorCode, PROTOCOL_VERSION, type ErrorBody, type Result } from '../src/protocol/index.js';
import { schemas } from '../src/protocol/schemas.js';
import { sessionIdOf } from '../src/services/accounts.js';
import { sweepSessions } from '../src/services/retention.js';
import { parseDatabaseUrl } from '../src/store/database-url.js';
import { createTestDatabase } from './services.js';
import { addUser, connectAs, identityToken, startServer, TestClient, waitFor, type TestServer } from './support.js';

const ORIGIN = 'http://localhost:5173';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: { data?: ErrorBody }) => err.data?.code ?? String(err),
  );

async function sign(server: TestServer, claims: Record<string, unknown>): Promise<string> {
  return identityToken((await server.app.store.getSite('demo'))!.secret, claims);
}

describe('finding 1: a pathological e-mail is refused without running the pattern', () => {
  const payload = 'a@' + '.'.repeat(60_000) + ' ';

  it('stops at the length check: no pattern runs on an over-long value', () => {
    const parsed = schemas['profile:update'].safeParse({ email: payload });
    expect(parsed.success).toBe(false);
    // Only the length issue: had the pattern run, it would have added an invalid_format issue.
    expect(parsed.error!.issues.map((i) => i.code)).toEqual(['too_big']);
  });

  it('the e-mail pattern is linear: a 254-character run of dots is judged at once', () => {
    const worst = 'a@' + '.'.repeat(250) + ' ';
    const parsed = schemas['profile:update'].safeParse({ email: worst });
    expect(parsed.success).toBe(false);
    expect(schemas['profile:update'].safeParse({ email: 'kate@mail.example.org' }).success).toBe(true);
    expect(schemas['profile:update'].safeParse({ email: 'kate@example' }).success).toBe(false);
  });

  it('the server answers bad_request and keeps serving', async () => {
    const server = await startServer();
    try {
      const alice = await connectAs(server.url, 'alice');
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => alice.request('profile:update', { email: payload })),
      );
      expect(answers.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(Array(5).fill(ErrorCode.BadRequest));
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      alice.close();
    } finally {
      await server.close();
    }
  });
});

describe('finding 5: identity subjects are taken whole, and only as strings', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());
  const connect = (jwt: string) => TestClient.connect(server.url, jwt, { identity: true });

  it('refuses a sub over 128 characters instead of cutting it', async () => {
    const shared = 'h'.repeat(128);
    expect(await refusal(connect(await sign(server, { sub: `${shared}-one` })))).toBe(ErrorCode.IdentityInvalid);
    expect(await refusal(connect(await sign(server, { sub: `${shared}-two` })))).toBe(ErrorCode.IdentityInvalid);
    expect(await server.app.store.findUserByExternalId('demo', shared)).toBeNull();
    const exact = await connect(await sign(server, { sub: shared }));
    expect(exact.ready.user.displayName).toBe(shared.slice(0, 64));
    exact.close();
  });

  it('refuses a sub that is not a string', async () => {
    expect(await refusal(connect(await sign(server, { sub: 12345 })))).toBe(ErrorCode.IdentityInvalid);
    expect(await refusal(connect(await sign(server, { sub: {} })))).toBe(ErrorCode.IdentityInvalid);
    expect(await refusal(connect(await sign(server, { sub: ['a'] })))).toBe(ErrorCode.IdentityInvalid);
    expect(await server.app.store.findUserByExternalId('demo', '12345')).toBeNull();
    expect(await server.app.store.findUserByExternalId('demo', '[object Object]')).toBeNull();
    // The HTTP route makes the same check.
    const response = await fetch(`${server.url}/api/v1/sites/demo/sessions/identity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: await sign(server, { sub: 12345 }) }),
    });
    const body = (await response.json()) as Result<unknown>;
    expect(!body.ok && body.error.code).toBe(ErrorCode.IdentityInvalid);
  });

  it('keeps control characters out of the name a token gives', async () => {
    const client = await connect(await sign(server, { sub: 'ctl-user', name: 'Eve\u0085li\u0007A' }));
    expect(client.ready.user.displayName).toBe('EveliA');
    client.close();
  });
});

describe('finding 6: identity sign-ins on the socket are rate limited and leave no stray sessions', () => {
  it('counts socket identity sign-ins against LOGIN_RATE_ADDRESS, with the HTTP route', async () => {
    const server = await startServer({ config: { loginPerAddressPerMinute: 5 } });
    try {
      const token = await sign(server, { sub: 'rate-user' });
      const codes: string[] = [];
      for (let i = 0; i < 8; i++) {
        const outcome = await TestClient.connect(server.url, token, { identity: true }).then(
          (c) => (c.close(), 'accepted'),
          (err: { data?: ErrorBody }) => err.data?.code ?? 'error',
        );
        codes.push(outcome);
      }
      expect(codes.slice(0, 5)).toEqual(Array(5).fill('accepted'));
      expect(codes.slice(5)).toEqual(Array(3).fill(ErrorCode.RateLimited));
      // The bucket is shared: the HTTP identity route is refused too now.
      const response = await fetch(`${server.url}/api/v1/sites/demo/sessions/identity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identity: token }),
      });
      expect(response.status).toBe(429);
    } finally {
      await server.close();
    }
  });

  it('checks the connection cap before opening a session', async () => {
    const server = await startServer({ config: { maxConnectionsPerUser: 2 } });
    try {
      const token = await sign(server, { sub: 'cap-user' });
      const open = [
        await TestClient.connect(server.url, token, { identity: true }),
        await TestClient.connect(server.url, token, { identity: true }),
      ];
      for (let i = 0; i < 5; i++) {
        expect(await refusal(TestClient.connect(server.url, token, { identity: true }))).toBe(ErrorCode.RateLimited);
      }
      const user = (await server.app.store.findUserByExternalId('demo', 'cap-user'))!;
      expect(await server.app.store.sessionCount(user.id)).toBe(2);
      open.forEach((c) => c.close());
    } finally {
      await server.close();
    }
  });

  it('deletes expired and revoked sessions', async () => {
    const server = await startServer();
    try {
      const user = await addUser(server, 'sweepy');
      const store = server.app.store;
      const tokens = ['expired', 'revoked', 'live'].map(() => randomBytes(32).toString('base64url'));
      // The server sweeps once at start, in the background, with the real clock. Everything here
      // ends in the future and the sweep runs later still, so that start-up sweep cannot race it.
      const sweepAt = Date.now() + 600_000;
      await store.createSession({ id: sessionIdOf(tokens[0]!), userId: user.id, expiresAt: new Date(sweepAt - 1000) });
      await store.createSession({
        id: sessionIdOf(tokens[1]!),
        userId: user.id,
        expiresAt: new Date(sweepAt + 60_000),
      });
      await store.revokeSession(sessionIdOf(tokens[1]!), new Date(sweepAt - 1000));
      await store.createSession({
        id: sessionIdOf(tokens[2]!),
        userId: user.id,
        expiresAt: new Date(sweepAt + 60_000),
      });
      expect(await sweepSessions(store, new Date(sweepAt), server.app.logger)).toBe(2);
      expect(await store.getSession(sessionIdOf(tokens[0]!))).toBeNull();
      expect(await store.getSession(sessionIdOf(tokens[1]!))).toBeNull();
      expect(await store.getSession(sessionIdOf(tokens[2]!))).not.toBeNull();
    } finally {
      await server.close();
    }
  });
});

describe('finding 7: HTTP requests time out', () => {
  it('closes a request whose body trickles in, and one whose headers never end', async () => {
    const server = await startServer({ config: { httpRequestTimeoutMs: 1000, httpHeadersTimeoutMs: 1000 } });
    const { port } = new URL(server.url);
    /** Opens a connection, writes `head` then a byte every 200 ms; resolves with ms until closed. */
    const trickle = (head: string) =>
      new Promise<{ ms: number; reply: string }>((resolve, reject) => {
        const started = Date.now();
        let reply = '';
        const socket = tcpConnect(Number(port), '127.0.0.1', () => socket.write(head));
        const timer = setInterval(() => socket.writable && socket.write('x'), 200);
        const giveUp = setTimeout(() => {
          clearInterval(timer);
          socket.destroy();
          reject(new Error('still open after 8 s'));
        }, 8000);
        socket.on('data', (d) => (reply += d.toString()));
        socket.on('error', () => undefined); // a reset is a close too
        socket.on('close', () => {
          clearInterval(timer);
          clearTimeout(giveUp);
          resolve({ ms: Date.now() - started, reply });
        });
      });
    try {
      const body = await trickle(
        'POST /api/v1/sites/demo/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
      expect(body.ms).toBeLessThan(4000);
      const headers = await trickle('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      expect(headers.ms).toBeLessThan(4000);
      // Long-polling is unaffected: a request that has arrived may wait for its answer.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('finding 8: open sockets follow their session and their site', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: { sessionCheckMs: 200 } });
  });
  afterAll(() => server.close());

  it('ends a connection when its session expires', async () => {
    const user = await addUser(server, 'shortlived');
    const token = randomBytes(32).toString('base64url');
    await server.app.store.createSession({
      id: sessionIdOf(token),
      userId: user.id,
      expiresAt: new Date(Date.now() + 1500),
    });
    const client = await TestClient.connect(server.url, token);
    expect(client.socket.connected).toBe(true);
    await waitFor(() => client.ended.length > 0, 5000, 'session:ended');
    expect(client.ended).toEqual([{ reason: 'expired' }]);
    await waitFor(() => !client.socket.connected, 2000, 'the disconnect');
  });

  it('applies a site change to live connections: rules at once, a removed origin ends them', async () => {
    await server.app.store.createSite({
      id: 'shop',
      name: 'Shop',
      secret: 'shop-secret-'.repeat(4),
      origins: [ORIGIN, 'https://shop.example'],
      settings: { strangersMayMessage: true },
    });
    const kate = await addUser(server, 'kate', { site: 'shop' });
    await addUser(server, 'jack', { site: 'shop' });
    const jack = await TestClient.connect(
      server.url,
      (
        (await (
          await fetch(`${server.url}/api/v1/sites/shop/sessions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: ORIGIN },
            body: JSON.stringify({ username: 'jack', password: 'jack-pass' }),
          })
        ).json()) as { data: { token: string } }
      ).data.token,
      { site: 'shop', origin: ORIGIN },
    );
    expect((await jack.trySend(kate.id, 'hi', 'c1')).ok).toBe(true);

    // The operator turns strangers off (as `npm run site -- set` would, straight in the database).
    await server.app.store.updateSite('shop', { settings: { strangersMayMessage: false } });
    await waitFor(
      async () => {
        const r = await jack.trySend(kate.id, 'hi?', `c-${Date.now()}`);
        return !r.ok && r.error.code === ErrorCode.Forbidden;
      },
      5000,
      'the strangers rule to apply to the open connection',
    );
    expect(jack.socket.connected).toBe(true);

    // The origin this connection came from is removed.
    await server.app.store.updateSite('shop', { origins: ['https://shop.example'] });
    await waitFor(() => jack.ended.length > 0, 5000, 'session:ended');
    expect(jack.ended).toEqual([{ reason: 'site_changed' }]);
    await waitFor(() => !jack.socket.connected, 2000, 'the disconnect');
  });
});

describe('finding 9: smaller ones', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('refuses C1 control characters in names and status', async () => {
    const alice = await connectAs(server.url, 'alice');
    for (const displayName of ['Bob\u0085', 'A\u009bB', 'tab\u0009name']) {
      const r = await alice.request('profile:update', { displayName });
      expect(!r.ok && r.error.code).toBe(ErrorCode.BadRequest);
    }
    const status = await alice.request('presence:set', { state: 'online', status: 'away\u0090' });
    expect(!status.ok && status.error.code).toBe(ErrorCode.BadRequest);
    const room = await alice.request('room:create', { name: 'Room\u009f' });
    expect(!room.ok && room.error.code).toBe(ErrorCode.BadRequest);
    // Emoji joiners and ordinary non-Latin text still pass.
    expect((await alice.request('profile:update', { displayName: 'Ålice 👩‍💻 爱丽丝' })).ok).toBe(true);
    alice.close();
  });

  it('matches % and _ in user and room search as text, not as wildcards', async () => {
    const alice = await connectAs(server.url, 'alice');
    for (const query of ['%', '_', '%a%', '__']) {
      const users = await alice.ok('user:search', { query });
      expect(users.users).toEqual([]);
    }
    await alice.ok('room:create', { name: 'Lunch club', public: true });
    await alice.ok('room:create', { name: '100% real', public: true });
    expect((await alice.ok('room:search', { query: '%' })).rooms.map((r) => r.name)).toEqual(['100% real']);
    expect((await alice.ok('room:search', { query: '_' })).rooms).toEqual([]);
    expect((await alice.ok('room:search', { query: 'LUNCH' })).rooms.map((r) => r.name)).toEqual(['Lunch club']);
    expect((await alice.ok('user:search', { query: 'bo' })).users.map((u) => u.username)).toContain('bob');
    alice.close();
  });

  it('serves the demo site only to this machine unless PARLEY_DEMO=1', async () => {
    // Behind one trusted proxy, X-Forwarded-For names a client elsewhere.
    const shut = await startServer({ config: { trustProxyHops: 1 } });
    const open = await startServer({ config: { trustProxyHops: 1, demoOpen: true } });
    const away = { 'x-forwarded-for': '203.0.113.9' };
    const signIn = (s: TestServer, headers: Record<string, string>) =>
      fetch(`${s.url}/api/v1/sites/demo/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ username: 'alice', password: 'alice-demo' }),
      });
    try {
      expect((await signIn(shut, away)).status).toBe(403);
      expect((await fetch(`${shut.url}/demo/identity-token?user=dana`, { headers: away })).status).toBe(403);
      expect((await signIn(shut, {})).status).toBe(201); // from this machine
      const { data } = (await (await signIn(shut, {})).json()) as { data: { token: string } };
      const socket = TestClient.connect(shut.url, data.token);
      expect(await refusal(socket.then((c) => (c.close(), c)))).toBe('accepted');
      expect((await signIn(open, away)).status).toBe(201);
      expect((await fetch(`${open.url}/demo/identity-token?user=dana`, { headers: away })).status).toBe(200);
    } finally {
      await Promise.all([shut.close(), open.close()]);
    }
  });

  it('refuses a socket to the demo site from elsewhere', async () => {
    const shut = await startServer({ config: { trustProxyHops: 1 } });
    try {
      const { io } = await import('socket.io-client');
      const socket = io(shut.url, {
        auth: { v: PROTOCOL_VERSION, site: 'demo', token: 'x'.repeat(43) },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        extraHeaders: { 'x-forwarded-for': '203.0.113.9' },
      });
      const code = await new Promise<string>((resolve) =>
        socket.once('connect_error', (err: Error & { data?: ErrorBody }) => resolve(err.data?.code ?? err.message)),
      );
      socket.close();
      expect(code).toBe(ErrorCode.Forbidden);
    } finally {
      await shut.close();
    }
  });

  it('logs a warning at start that the demo is on', async () => {
    const lines: string[] = [];
    const database = await createTestDatabase();
    const app = await createApp({
      config: loadConfig({}, { port: 0, host: '127.0.0.1', database: parseDatabaseUrl(database.url, repoRoot) }),
      logger: createLogger(
        'warn',
        new Writable({
          write(chunk: Buffer, _enc, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      ),
    });
    try {
      expect(lines.some((l) => l.includes('"level":40') && l.includes('demo site is on'))).toBe(true);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
