import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createApp, type ParleyApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { ErrorCode, type ErrorBody, type LoginResponse, type Result } from '../src/protocol/index.js';
import { identityToken, tempDir, TestClient, useServer } from './support.js';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { widgetDist } from '../src/http/widget-files.js';

/** Security headers, CORS limited to each site's origins, and logs that never hold a secret. */
const server = useServer({
  sites: [{ id: 'shop', secret: 'shop-secret-shop-secret-shop-secret', origins: ['https://shop.example'] }],
});

describe('security headers', () => {
  it('gives the demo page a CSP that allows only its own script, socket and styles', async () => {
    const page = await fetch(`${server.url}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name!, values.join(' ')] as const;
      }),
    );
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('script-src')).toBe("'self'"); // no 'unsafe-inline', no 'unsafe-eval'
    expect(directives.get('object-src')).toBe("'none'");
    expect(directives.get('base-uri')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'self'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(page.headers.get('x-powered-by')).toBeNull();
  });

  it('lets other sites load the widget script, and marks API answers nosniff', async () => {
    const script = await fetch(`${server.url}/parley.js`, { headers: { origin: 'https://shop.example' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const api = await fetch(`${server.url}/api/v1/sites/demo/sessions`, { method: 'POST', body: '{' });
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('the widget’s files', () => {
  it('serves the chunks immutable with CORS for every origin, parley.js with a short cache, and nothing else', async () => {
    // Built by `npm run build` (npm test builds before the integration tests).
    const manifest = JSON.parse(readFileSync(join(widgetDist, '.vite', 'manifest.json'), 'utf8')) as Record<
      string,
      { file: string }
    >;
    const files = Object.values(manifest).map((c) => c.file);
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      expect(file).toMatch(/^parley\/[a-z]+(?:-[a-z]+)*-[\w-]{8}\.js$/);
      const chunk = await fetch(`${server.url}/${file}`, { headers: { origin: 'https://shop.example' } });
      expect(chunk.status).toBe(200);
      expect(chunk.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(chunk.headers.get('access-control-allow-origin')).toBe('*');
      expect(chunk.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(chunk.headers.get('content-type')).toMatch(/javascript/);
    }
    const boot = await fetch(`${server.url}/parley.js`);
    expect(boot.headers.get('cache-control')).toBe('public, max-age=300');
    for (const path of [
      '/parley/nope-12345678.js',
      '/parley/..%2Fparley.js',
      '/parley/..%2F.vite%2Fmanifest.json',
      '/parley/%2e%2e%2f%2e%2e%2fpackage.json',
      '/parley/.vite',
      '/parley/manifest.json',
    ]) {
      const answer = await fetch(`${server.url}${path}`);
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get('cache-control') ?? '', path).not.toMatch(/immutable/);
    }
  });
});

describe('CORS, per site', () => {
  const post = (site: string, origin?: string) =>
    fetch(`${server.url}/api/v1/sites/${site}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
      body: JSON.stringify({ username: 'nobody', password: 'whatever' }),
    });
  const preflight = (site: string, origin: string) =>
    fetch(`${server.url}/api/v1/sites/${site}/sessions`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });

  it('answers each site’s own origins, and only those, with that exact origin', async () => {
    for (const [site, origin] of [
      ['shop', 'https://shop.example'],
      ['demo', 'http://localhost:8080'],
    ] as const) {
      const ok = await preflight(site, origin);
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
      expect(ok.headers.get('vary')).toMatch(/origin/i);
      const login = await post(site, origin);
      expect(login.status).toBe(401); // reached the route: CORS let it through
      expect(login.headers.get('access-control-allow-origin')).toBe(origin);
    }
  });

  it('refuses one site’s origin on another site, lookalikes and null: the refusal is all they can read', async () => {
    const cases: [string, string][] = [
      ['demo', 'https://shop.example'],
      ['shop', 'http://localhost:3000'],
      ['shop', 'https://shop.example.evil.example'],
      ['shop', 'https://evil-shop.example'],
      ['shop', 'http://shop.example'],
      ['shop', 'https://shop.example:8443'],
      ['shop', 'null'],
    ];
    for (const [site, origin] of cases) {
      // The preflight is answered, so the page's console can show the readable refusal below
      // (a deliberate choice of the widget work: "refused origin explained")...
      expect((await preflight(site, origin)).status, `preflight ${origin} on ${site}`).toBe(204);
      // ...but the request itself does nothing: right credentials, no session.
      const response = await fetch(`${server.url}/api/v1/sites/${site}/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ username: 'alice', password: 'alice-demo' }),
      });
      expect(response.status, `${origin} on ${site}`).toBe(403);
      const body = (await response.json()) as { ok: boolean; error: ErrorBody; data?: unknown };
      expect(body.ok).toBe(false);
      expect(body.error.code).toBe(ErrorCode.OriginNotAllowed);
      expect(JSON.stringify(body)).not.toContain('token');
    }
  });

  it('refuses a socket from another site’s origin', async () => {
    const login = (await (
      await fetch(`${server.url}/api/v1/sites/demo/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'alice-demo' }),
      })
    ).json()) as Result<LoginResponse>;
    if (!login.ok) throw new Error('login failed');
    const refused = await TestClient.connect(server.url, login.data.token, { origin: 'https://shop.example' }).then(
      (c) => (c.close(), undefined),
      (err: { data?: ErrorBody }) => err.data?.code,
    );
    expect(refused).toBe(ErrorCode.OriginNotAllowed);
  });
});

describe('logs', () => {
  it('never hold a password, session token, identity token or site secret, even at trace level', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const dir = tempDir();
    const config = loadConfig(
      {},
      {
        port: 0,
        host: '127.0.0.1',
        database: { kind: 'sqlite', url: join(dir, 'parley.db') },
        logLevel: 'trace',
        presenceGraceMs: 100,
      },
    );
    let app: ParleyApp | undefined;
    try {
      app = await createApp({ config, logger: createLogger('trace', sink) });
      const secret = 'logs-site-secret-0123456789abcdef';
      await app.store.createSite({
        id: 'logs',
        name: 'Logs',
        secret,
        origins: ['http://localhost:*'],
        settings: { registrationOpen: true },
      });
      const url = `http://127.0.0.1:${await app.listen()}`;
      const secrets: string[] = [secret, 'alice-demo', 'wrong-password-1', 'first-password-1', 'second-password-2'];
      const call = async (path: string, body: unknown, token?: string, method = 'POST') => {
        const response = await fetch(`${url}/api/v1/sites/${path}`, {
          method,
          headers: {
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            origin: 'http://localhost:3000',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return (await response.json()) as Result<LoginResponse>;
      };
      const tokenOf = (r: Result<LoginResponse>) => {
        if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
        secrets.push(r.data.token);
        return r.data.token;
      };

      // Password sign-in, right and wrong; registration; password change; logout.
      const aliceToken = tokenOf(await call('demo/sessions', { username: 'alice', password: 'alice-demo' }));
      expect((await call('demo/sessions', { username: 'alice', password: 'wrong-password-1' })).ok).toBe(false);
      const newbie = tokenOf(await call('logs/users', { username: 'newbie', password: 'first-password-1' }));
      const changed = tokenOf(
        await call('logs/password', { currentPassword: 'first-password-1', newPassword: 'second-password-2' }, newbie),
      );
      expect((await call('logs/sessions/current', undefined, changed, 'DELETE')).ok).toBe(true);
      // Identity sign-in over HTTP and in the handshake, and a forged one.
      const identity = await identityToken(secret, { sub: 'host-user-1', name: 'Host User' });
      secrets.push(identity, identity.split('.')[2]!);
      tokenOf(await call('logs/sessions/identity', { identity }));
      const viaSocket = await TestClient.connect(url, identity, { site: 'logs', identity: true });
      secrets.push(viaSocket.ready.session!.token);
      viaSocket.close();
      const forged = identity.slice(0, -4) + 'AAAA';
      expect((await call('logs/sessions/identity', { identity: forged })).ok).toBe(false);
      // Socket handshakes, good and bad, and some traffic.
      const alice = await TestClient.connect(url, aliceToken);
      await alice.send(alice.ready.roster[0]!.user.id, 'hello, logs');
      alice.close();
      await TestClient.connect(url, `${aliceToken}x`).catch(() => undefined);
      secrets.push(`${aliceToken}x`);

      await app.close();
      app = undefined;
      expect(lines.length).toBeGreaterThan(10); // the flows were logged, at trace level
      expect(lines.some((l) => l.includes('connection refused'))).toBe(true);
      const leaks = lines.filter((line) => secrets.some((s) => line.includes(s)));
      expect(leaks).toEqual([]);
    } finally {
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
