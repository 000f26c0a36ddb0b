import { describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION, type ErrorBody } from '../src/protocol/index.js';
import { login, TestClient, useServer } from './support.js';

/** Signing in over HTTP and the socket handshake: what is served, what is refused and with which code. */
const server = useServer();
const track = server.track;

describe('HTTP: health, demo page, widget script, sign-in and its refusals', () => {
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
    expect((await fetch(`${server.url}/playground.html`)).status).toBe(200);
    // The demo folder's other files are not the site's to serve.
    expect((await fetch(`${server.url}/package.json`)).status).toBe(404);
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

describe('socket handshake: tokens, protocol version, site, origin, logout', () => {
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
    // A widget of protocol 1 (before conversations were one notion) is told to reload.
    expect(await refusal(TestClient.connect(server.url, token, { v: 1 }))).toBe(ErrorCode.ProtocolVersion);
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
