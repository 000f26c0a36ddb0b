import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION, type ErrorBody } from '../src/protocol/index.js';
import {
  addUser,
  connectAs,
  login,
  messagesOf,
  sleep,
  startServer,
  TestClient,
  waitFor,
  type TestServer,
} from './support.js';

let server: TestServer;
const clients: TestClient[] = [];
const track = (c: TestClient) => (clients.push(c), c);

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

async function idOf(username: string): Promise<string> {
  return (await server.app.store.findUserByUsername('demo', username))!.id;
}

describe('HTTP', () => {
  it('serves health, the demo page and the widget script', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      ok: true,
      data: {
        status: 'ok',
        database: server.app.store.kind,
        ...(server.app.cluster ? { node: server.app.cluster.nodeId() } : {}),
      },
    });

    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="/parley.js"');
  });

  it('gives the same generic error for a wrong password and an unknown user', async () => {
    const attempt = async (username: string, password: string) => {
      const r = await fetch(`${server.url}/api/v1/sites/demo/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      return { status: r.status, body: (await r.json()) as { ok: false; error: ErrorBody } };
    };
    const wrong = await attempt('alice', 'not-her-password');
    const unknown = await attempt('nobody', 'whatever');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe(ErrorCode.InvalidCredentials);
    expect(unknown).toEqual(wrong);
  });

  it('refuses malformed bodies, other origins and unknown sites with codes', async () => {
    const post = (body: string, headers: Record<string, string> = {}, site = 'demo') =>
      fetch(`${server.url}/api/v1/sites/${site}/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const cases: [Response, number, string][] = [
      [await post('{not json'), 400, ErrorCode.BadRequest],
      [
        await post('{"username":"alice","password":"alice-demo","__proto__":{"admin":true}}'),
        400,
        ErrorCode.BadRequest,
      ],
      [await post('{"username":"alice","password":"alice-demo","extra":1}'), 400, ErrorCode.BadRequest],
      [await post('{"username":123,"password":"x"}'), 400, ErrorCode.BadRequest],
      [await post(JSON.stringify({ username: 'a', password: 'x'.repeat(100_000) })), 413, ErrorCode.TooLarge],
      [
        await post('{"username":"alice","password":"alice-demo"}', { origin: 'https://evil.example' }),
        403,
        ErrorCode.OriginNotAllowed,
      ],
      [await post('{"username":"alice","password":"alice-demo"}', {}, 'no-such-site'), 404, ErrorCode.NotFound],
    ];
    for (const [response, status, code] of cases) {
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: ErrorBody }).error.code).toBe(code);
    }
    // And the server is still fine.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers an allowed origin with CORS headers', async () => {
    const response = await fetch(`${server.url}/api/v1/sites/demo/sessions`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});

describe('handshake', () => {
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: { data?: ErrorBody }) => err.data?.code,
    );

  it('refuses a bad token, another protocol version, another site and a foreign origin', async () => {
    const { token } = await login(server.url, 'alice');
    expect(await refusal(TestClient.connect(server.url, 'forged-token'))).toBe(ErrorCode.Unauthorized);
    expect(await refusal(TestClient.connect(server.url, token, { v: PROTOCOL_VERSION + 1 }))).toBe(
      ErrorCode.ProtocolVersion,
    );
    expect(await refusal(TestClient.connect(server.url, token, { site: 'elsewhere' }))).toBe(ErrorCode.NotFound);
    expect(await refusal(TestClient.connect(server.url, token, { origin: 'https://evil.example' }))).toBe(
      ErrorCode.OriginNotAllowed,
    );
    const ok = track(await TestClient.connect(server.url, token, { origin: 'http://localhost:3000' }));
    expect(ok.ready.user.username).toBe('alice');
    ok.close();
  });

  it('refuses a session after logout', async () => {
    const { token } = await login(server.url, 'carol');
    const out = await fetch(`${server.url}/api/v1/sites/demo/sessions/current`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.status).toBe(200);
    expect(await refusal(TestClient.connect(server.url, token))).toBe(ErrorCode.Unauthorized);
  });
});

describe('a first conversation', () => {
  it('sends the roster with presence, and tells buddies who comes and goes', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const names = alice.ready.roster.map((r) => r.user.username).sort();
    expect(names).toEqual(['bob', 'carol']);
    const bobId = await idOf('bob');
    expect(alice.ready.roster.find((r) => r.user.id === bobId)?.presence.state).toBe('offline');

    const bob = track(await connectAs(server.url, 'bob'));
    expect(bob.ready.roster.find((r) => r.user.username === 'alice')?.presence.state).toBe('online');
    await waitFor(() => alice.presence.some((p) => p.userId === bobId && p.presence.state === 'online'));

    bob.close();
    const off = await waitFor(() => alice.presence.find((p) => p.userId === bobId && p.presence.state === 'offline'));
    expect(off.presence.lastSeenAt).not.toBeNull();
    alice.close();
  });

  it('acknowledges a message once stored and delivers it live to the recipient and the sender’s other tabs', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const aliceTab2 = track(await connectAs(server.url, 'alice'));
    const bob = track(await connectAs(server.url, 'bob'));
    const bobId = await idOf('bob');

    const sent = await alice.send(bobId, 'Hello Bob!');
    expect(sent.duplicate).toBe(false);
    // Acknowledged means stored: the message is in the database when the ack arrives.
    const stored = await server.app.store.history(sent.message.conversationId, undefined, 10);
    expect(stored.map((m) => m.id)).toContain(sent.message.id);

    const got = await waitFor(() => bob.messages.find((e) => e.message.id === sent.message.id));
    expect(got.message.content).toEqual({ kind: 'text', text: 'Hello Bob!' });
    await waitFor(() => aliceTab2.messages.some((e) => e.message.id === sent.message.id));
    for (const c of [alice, aliceTab2, bob]) c.close();
  });

  it('keeps messages for an offline user and delivers them after reconnecting, in order, once', async () => {
    const bobFirst = track(await connectAs(server.url, 'bob'));
    const cursor = bobFirst.ready.inboxHead;
    bobFirst.close();

    const alice = track(await connectAs(server.url, 'alice'));
    const bobId = await idOf('bob');
    const bodies = Array.from({ length: 60 }, (_, i) => `offline ${i}`);
    // Sent concurrently, so the writer batches them; order is the order of acknowledgement.
    const acks = await Promise.all(bodies.map((b) => alice.send(bobId, b)));

    const bob = track(await connectAs(server.url, 'bob'));
    expect(bob.ready.inboxHead).toBe(cursor + 60);
    const entries = messagesOf(await bob.syncAll(cursor));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => cursor + 1 + i));
    expect(new Set(entries.map((e) => e.message.id)).size).toBe(60);
    expect(entries.map((e) => e.message.id).sort()).toEqual(acks.map((a) => a.message.id).sort());
    // Alice's own sequence for them matches Bob's order.
    const aliceOrder = [...acks].sort((a, b) => a.seq! - b.seq!).map((a) => a.message.id);
    expect(entries.map((e) => e.message.id)).toEqual(aliceOrder);
    alice.close();
    bob.close();
  });

  it('stores a resend with the same client id once', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const bob = track(await connectAs(server.url, 'bob'));
    const bobId = await idOf('bob');
    const first = await alice.send(bobId, 'only once', 'fixed-client-id-1');
    const again = await alice.send(bobId, 'only once', 'fixed-client-id-1');
    expect(again.duplicate).toBe(true);
    expect(again.message.id).toBe(first.message.id);
    await sleep(200);
    expect(bob.messages.filter((e) => e.message.clientId === 'fixed-client-id-1')).toHaveLength(1);
    alice.close();
    bob.close();
  });

  it('pages history backwards and keeps conversations private', async () => {
    const alice = track(await connectAs(server.url, 'alice'));
    const carolId = await idOf('carol');
    for (let i = 0; i < 7; i++) await alice.send(carolId, `history ${i}`);
    const page1 = await alice.request('message:history', { in: { kind: 'direct', id: carolId }, limit: 4 });
    if (!page1.ok) throw new Error(page1.error.message);
    expect(page1.data.messages.map((m) => m.content.text)).toEqual([
      'history 6',
      'history 5',
      'history 4',
      'history 3',
    ]);
    expect(page1.data.hasMore).toBe(true);
    const page2 = await alice.request('message:history', {
      in: { kind: 'direct', id: carolId },
      before: page1.data.messages.at(-1)!.id,
      limit: 4,
    });
    if (!page2.ok) throw new Error(page2.error.message);
    expect(page2.data.messages.map((m) => m.content.text)).toEqual(['history 2', 'history 1', 'history 0']);
    expect(page2.data.hasMore).toBe(false);

    // Dave is on the site but nobody's buddy: he cannot message them, and sees nothing of Alice and Carol.
    await addUser(server, 'dave');
    const dave = track(
      await connectAs(server.url, 'dave').catch(async () => {
        const { token } = await login(server.url, 'dave', 'dave-pass');
        return TestClient.connect(server.url, token);
      }),
    );
    const refused = await dave.request('message:send', {
      in: { kind: 'direct', id: carolId },
      clientId: 'x1',
      content: { kind: 'text', text: 'hi' },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } });
    const carolsHistory = await dave.request('message:history', { in: { kind: 'direct', id: carolId } });
    expect(carolsHistory.ok && carolsHistory.data.messages).toEqual([]);
    alice.close();
    dave.close();
  });
});

describe('hostile payloads', () => {
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
