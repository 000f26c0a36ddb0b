import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.js';
import { ErrorCode, type ErrorBody } from '../src/protocol/index.js';
import { addUser, login, startServer, TestClient, useServer, waitFor } from './support.js';

/**
 * Abuse: rate limits on sign-in (per account and per address), registration, buddy requests and
 * connections per user; answers that never tell which usernames exist; no plain comparison of
 * secrets. (Message and request rates: payloads.test.ts.)
 */
const server = useServer({
  config: {
    loginPerAccountPerMinute: 3,
    loginPerAddressPerMinute: 8,
    registerPerAddressPerHour: 2,
    buddyRequestsPerMinute: 3,
    maxConnectionsPerUser: 3,
    trustProxyHops: 1, // so the tests can speak from several addresses
    demoOpen: true, // which are not this machine's: the demo site must answer them
  },
  sites: [{ id: 'open', settings: { registrationOpen: true } }],
});

let address = 0;
/** A fresh client address (X-Forwarded-For, trusted one hop): each test starts with full buckets. */
const newAddress = () => `198.51.100.${++address}`;

async function post(path: string, body: unknown, from: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/api/v1/sites/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { ok: boolean; error?: ErrorBody } };
}
const signIn = (username: string, password: string, from: string) =>
  post('demo/sessions', { username, password }, from);

describe('sign-in limits', () => {
  it('limits password guesses on one account, from any address, and the right password waits too', async () => {
    await addUser(server, 'target', { password: 'target-password' });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await signIn('target', `guess-${i}`, newAddress())).body.error?.code);
    expect(codes).toEqual(Array(3).fill(ErrorCode.InvalidCredentials));
    const limited = await signIn('target', 'target-password', newAddress());
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe(ErrorCode.RateLimited);
    // Usernames are case-insensitive, and so is their bucket.
    expect((await signIn('TARGET', 'guess', newAddress())).body.error?.code).toBe(ErrorCode.RateLimited);
    // Others are not affected.
    expect((await signIn('bob', 'bob-demo', newAddress())).status).toBe(201);
  });

  it('answers an unknown username exactly as a known one, limit included', async () => {
    await addUser(server, 'known', { password: 'known-password' });
    const run = async (username: string) => {
      const out = [];
      for (let i = 0; i < 4; i++) out.push(await signIn(username, 'wrong-password', newAddress()));
      return out;
    };
    const known = await run('known');
    const unknown = await run('unknown-user');
    expect(unknown).toEqual(known);
    expect(known.map((r) => r.status)).toEqual([401, 401, 401, 429]);
  });

  it('runs argon2 for unknown usernames too, so timing does not tell them apart', async () => {
    await addUser(server, 'timed', { password: 'timed-password' });
    // Separate site-less accounts per attempt would be limited; use fresh names and addresses.
    const time = async (username: string) => {
      const start = performance.now();
      const r = await signIn(username, 'wrong-password', newAddress());
      expect(r.status).toBe(401);
      return performance.now() - start;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      await addUser(server, `timed${i}`, { password: 'timed-password' });
      known.push(await time(`timed${i}`));
      unknown.push(await time(`nobody${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
    // Not a benchmark: without the dummy hash an unknown name answers ~50x faster. A loose bound
    // keeps this stable on a busy machine.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.3);
  });

  it('limits sign-ins from one address across accounts, identity tokens included; spoofing needs trust', async () => {
    const from = newAddress();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await signIn(`spray${i}`, 'Password1', from)).status);
    for (let i = 0; i < 3; i++)
      statuses.push((await post('demo/sessions/identity', { identity: 'x.y.z' }, from)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401]);
    expect((await signIn('alice', 'alice-demo', from)).body.error?.code).toBe(ErrorCode.RateLimited);
    expect((await post('demo/sessions/identity', { identity: 'x.y.z' }, from)).status).toBe(429);
    // Another address is fine.
    expect((await signIn('alice', 'alice-demo', newAddress())).status).toBe(201);

    // Without TRUST_PROXY the header is ignored: a client cannot escape its limit by inventing one.
    const direct = await startServer({ config: { loginPerAddressPerMinute: 2, loginPerAccountPerMinute: 100 } });
    try {
      const attempt = (i: number) =>
        fetch(`${direct.url}/api/v1/sites/demo/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i}` },
          body: JSON.stringify({ username: 'alice', password: 'wrong-password' }),
        });
      expect([(await attempt(1)).status, (await attempt(2)).status, (await attempt(3)).status]).toEqual([
        401, 401, 429,
      ]);
    } finally {
      await direct.close();
    }
  });

  it('limits password changes per account: a stolen session cannot guess the password', async () => {
    await addUser(server, 'changer', { password: 'changer-password' });
    const { token } = await login(server.url, 'changer', 'changer-password');
    const change = (current: string) =>
      post('demo/password', { currentPassword: current, newPassword: 'brand-new-password' }, newAddress(), {
        authorization: `Bearer ${token}`,
      });
    // One token went to the sign-in above; two wrong guesses, then the limit.
    expect((await change('guess-1')).body.error?.code).toBe(ErrorCode.InvalidCredentials);
    expect((await change('guess-2')).body.error?.code).toBe(ErrorCode.InvalidCredentials);
    expect((await change('changer-password')).body.error?.code).toBe(ErrorCode.RateLimited);
  });
});

describe('registration limit', () => {
  it('lets one address create a few accounts per hour', async () => {
    const from = newAddress();
    const register = (name: string) => post('open/users', { username: name, password: 'long-enough' }, from);
    expect((await register('first')).status).toBe(201);
    expect((await register('second')).status).toBe(201);
    const third = await register('third');
    expect(third.status).toBe(429);
    expect(third.body.error?.code).toBe(ErrorCode.RateLimited);
    expect(await server.app.store.findUserByUsername('open', 'third')).toBeNull();
    expect((await post('open/users', { username: 'fourth', password: 'long-enough' }, newAddress())).status).toBe(201);
  });
});

describe('buddy request limit', () => {
  it('limits requests per user and minute, and nothing is stored past it', async () => {
    await addUser(server, 'spammer', { password: 'spammer-password' });
    const victims = [];
    for (let i = 0; i < 4; i++) victims.push(await addUser(server, `victim${i}`));
    const { token } = await login(server.url, 'spammer', 'spammer-password');
    const spammer = await TestClient.connect(server.url, token);
    try {
      const results = [];
      for (const v of victims) results.push(await spammer.request('roster:request', { userId: v.id }));
      expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'ok', 'ok', ErrorCode.RateLimited]);
      expect((await server.app.store.relation(spammer.ready.user.id, victims[3]!.id)).ab).toBeNull();
      // Other requests are not counted against it.
      expect((await spammer.request('user:search', { query: 'victim' })).ok).toBe(true);
    } finally {
      spammer.close();
    }
  });
});

describe('connections per user', () => {
  it('refuses a user’s connection past the limit, and accepts again once one closes', async () => {
    await addUser(server, 'hoarder', { password: 'hoarder-password' });
    const { token } = await login(server.url, 'hoarder', 'hoarder-password');
    const open = [];
    for (let i = 0; i < 3; i++) open.push(await TestClient.connect(server.url, token));
    const refused = await TestClient.connect(server.url, token).then(
      (c) => (c.close(), undefined),
      (err: { data?: ErrorBody }) => err.data?.code,
    );
    expect(refused).toBe(ErrorCode.RateLimited);
    // Another user is not affected.
    const bob = await TestClient.connect(server.url, (await login(server.url, 'bob')).token);
    bob.close();
    open.pop()!.close();
    const again = await waitFor(
      () => TestClient.connect(server.url, token).catch(() => null),
      10_000,
      'a connection to be accepted again',
    );
    for (const c of [...open, again]) c.close();
  });
});

describe('secret comparisons', () => {
  it('compares no token, secret, password or hash with === in the server code', () => {
    // Session tokens are looked up by their SHA-256 (a preimage-resistant key, not compared byte by
    // byte against the token); passwords go through argon2's verify; identity tokens through
    // WebCrypto's HMAC verify. Any other comparison of a secret must use crypto.timingSafeEqual.
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (name === 'generated') continue;
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) files.push(path);
      }
    };
    walk(join(repoRoot, 'backend', 'src'));
    expect(files.length).toBeGreaterThan(20);
    const secretName = String.raw`[\w.]*(?:token|secret|password|passwordHash|Hash)\w*`;
    const plain = new RegExp(
      String.raw`${secretName}\s*[!=]==?\s*[\w.'"\x60]|[\w.'"\x60]\s*[!=]==?\s*${secretName}`,
      'i',
    );
    const found = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line: line.trim(), where: `${file.slice(repoRoot.length + 1)}:${i + 1}` }))
        .filter(({ line }) => !line.startsWith('//') && !line.startsWith('*') && plain.test(line))
        // Comparisons with null/undefined, lengths and kinds are not secret comparisons.
        .filter(({ line }) => !/[!=]==?\s*(null|undefined)\b|\.length\s*[!=<>]|typeof /.test(line)),
    );
    expect(found).toEqual([]);
  });
});
