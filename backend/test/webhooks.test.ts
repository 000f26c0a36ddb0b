import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { ErrorCode } from '../src/protocol/index.js';
import { ApiKeys } from '../src/services/host-api/api-keys.js';
import { guardedLookup, isPrivateAddress } from '../src/services/webhooks/sender.js';
import { verifySignature } from '../src/services/signed-requests.js';
import { Webhooks } from '../src/services/webhooks/webhooks.js';
import { ParleyError } from '../src/errors.js';
import { sleep, useServer, waitFor } from './support.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

/**
 * Webhooks (docs/webhooks.md): signed deliveries from a durable outbox, retried with backoff,
 * visible per endpoint; message, unread, presence and room events. A real receiver, a real
 * server; retries are made short by configuration, and `message.unread` waits on the server's
 * clock, which the test moves forward.
 */
let clockOffsetMs = 0;
const server = useServer({
  config: {
    apiKeyRatePerSecond: 1000,
    webhooks: {
      ...loadConfig({}).webhooks,
      allowPrivate: true,
      checkMs: 100,
      settleMs: 300,
      retryBaseMs: 800,
      timeoutMs: 8000,
    },
  },
  sites: ['retry', 'unread', 'presence', 'rooms', 'manage', 'other'].map((id) => ({
    id,
    settings: { strangersMayMessage: true },
  })),
  clock: () => new Date(Date.now() + clockOffsetMs),
});

const receivers: Receiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function call(site: string, method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${server.url}/api/v1/admin/sites/${site}/webhooks${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { ok: boolean; data?: any; error?: any } };
}

const keyOf = async (site: string) => (await new ApiKeys(server.app.store).create(site, 'test')).key;

/** Registers an endpoint through the server API; resolves with its id, secret and the site's key. */
async function endpoint(site: string, url: string, events: string[], unreadMinutes?: number) {
  const key = await keyOf(site);
  const made = await call(site, 'POST', '', key, { url, events, ...(unreadMinutes ? { unreadMinutes } : {}) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return { id: made.body.data.endpoint.id as string, secret: made.body.data.secret as string, key };
}

async function pairOn(site: string, a: string, b: string) {
  const first = await server.user(a, { site });
  const second = await server.user(b, { site, buddies: [a] });
  return { a: first, b: second, aTab: await first.connect(), bTab: await second.connect() };
}

describe('webhook deliveries: signed, retried with backoff, visible per endpoint', () => {
  it('a receiver that fails twice then answers gets the delivery exactly once more, each attempt signed', async () => {
    const hook = await receiver();
    const { secret, key, id } = await endpoint('retry', hook.url, ['message.stored']);
    // While the third attempt waits for its answer, the endpoint shows what the first two did.
    let whileFailing: any;
    hook.answer = async (_d, count) => {
      if (count <= 2) return 500;
      if (count === 3) [whileFailing] = (await call('retry', 'GET', '', key)).body.data.endpoints;
      return 200;
    };
    const { b, aTab } = await pairOn('retry', 'rita', 'ron');
    const sent = await aTab.send(b.id, 'hello through the outbox');

    await waitFor(() => whileFailing, 20_000, 'the third attempt');
    expect(whileFailing).toMatchObject({ failures: 2, lastStatus: 500, pending: 1, lastSuccessAt: null });
    expect(whileFailing.lastError).toMatch(/^HTTP 500/);
    await sleep(3000); // several backoff periods: nothing more may come
    expect(hook.received).toHaveLength(3);
    const [first] = hook.received;
    for (const d of hook.received) {
      expect(verifySignature(secret, d.raw, d.headers['parley-signature'] as string)).toBe(true);
      expect(verifySignature(`${secret}x`, d.raw, d.headers['parley-signature'] as string)).toBe(false);
      // The same event, byte for byte, on every attempt.
      expect(d.raw).toBe(first!.raw);
      expect(d.headers['parley-event-id']).toBe(d.body.id);
      expect(d.headers['parley-event-type']).toBe('message.stored');
    }
    // Backoff: the gaps grow (base 800 ms, doubled, jitter of half at most).
    const [t1, t2, t3] = hook.received.map((d) => d.at);
    expect(t2! - t1!).toBeGreaterThanOrEqual(350);
    expect(t3! - t2!).toBeGreaterThanOrEqual(750);
    expect(first!.body).toMatchObject({
      type: 'message.stored',
      site: 'retry',
      data: {
        message: { id: sent.message.id, content: { kind: 'text', text: 'hello through the outbox' } },
        sender: { username: 'rita' },
        recipient: { id: b.id, username: 'ron' },
      },
    });
    const [status] = (await call('retry', 'GET', '', key)).body.data.endpoints;
    expect(status).toMatchObject({ id, failures: 0, lastStatus: 200, lastError: null, pending: 0, enabled: true });
    expect(status.lastSuccessAt).not.toBeNull();
  });

  it('presence: user.online when a user connects, user.offline after the grace period', async () => {
    const hook = await receiver();
    await endpoint('presence', hook.url, ['user.online', 'user.offline']);
    const pia = await server.user('pia', { site: 'presence' });
    const tab = await pia.connect();
    const online = await waitFor(() => hook.of('user.online')[0], 5000, 'user.online');
    expect(online.body.data).toMatchObject({
      user: { id: pia.id, username: 'pia', externalId: null },
      state: 'online',
    });
    expect(hook.of('user.offline')).toHaveLength(0);
    tab.close();
    const offline = await waitFor(() => hook.of('user.offline')[0], 5000, 'user.offline');
    expect(offline.body.data.user.id).toBe(pia.id);
    expect(typeof offline.body.data.lastSeenAt).toBe('string');
    expect(hook.received.every((d) => d.body.site === 'presence')).toBe(true);
  });

  it('rooms: room.changed when a room is created, renamed and closed', async () => {
    const hook = await receiver();
    await endpoint('rooms', hook.url, ['room.changed']);
    const { aTab, b } = await pairOn('rooms', 'rick', 'rosa');
    const created = await aTab.ok('room:create', { name: 'Planning', invite: [b.id] });
    await aTab.ok('room:rename', { roomId: created.room.id, name: 'Planning 2' });
    await aTab.ok('room:close', { roomId: created.room.id });
    await waitFor(() => hook.of('room.changed').length >= 3, 5000, 'three room events');
    // Deliveries are not ordered (they go out in parallel); event ids sort by the time they were queued.
    const changes = hook
      .of('room.changed')
      .sort((x, y) => (x.body.id < y.body.id ? -1 : 1))
      .map((d) => d.body.data);
    expect(changes.map((c) => c.change)).toEqual(['created', 'renamed', 'closed']);
    expect(changes[0].room).toMatchObject({ id: created.room.id, name: 'Planning', closed: false });
    expect(changes[0].room.members.map((m: any) => [m.user.username, m.role]).sort()).toEqual([
      ['rick', 'owner'],
      ['rosa', 'invited'],
    ]);
    expect(changes[1].room.name).toBe('Planning 2');
    expect(changes[2].room.closed).toBe(true);
  });

  it('message.unread fires after the endpoint’s minutes for an unread message, not for a read one', async () => {
    const hook = await receiver();
    const { secret } = await endpoint('unread', hook.url, ['message.unread', 'message.stored'], 10);
    const { a, b, aTab, bTab } = await pairOn('unread', 'uma', 'ugo');
    const read = await aTab.send(b.id, 'this one gets read');
    await bTab.ok('conversation:read', {
      in: { kind: 'direct', id: a.id },
      kind: 'read',
      upTo: read.message.id,
    });
    const unread = await aTab.send(b.id, 'this one waits');
    await waitFor(() => hook.of('message.stored').length === 2, 5000, 'both messages stored');
    await sleep(500);
    expect(hook.of('message.unread')).toHaveLength(0); // not yet: ten minutes have not passed
    clockOffsetMs = 11 * 60_000;
    try {
      const event = await waitFor(() => hook.of('message.unread')[0], 5000, 'message.unread');
      expect(event.body.data).toMatchObject({
        message: { id: unread.message.id, content: { text: 'this one waits' } },
        sender: { id: a.id, username: 'uma' },
        recipient: { id: b.id, username: 'ugo' },
        unreadMinutes: 10,
      });
      // Signed with the wall clock's time (what the receiver compares), though the server's clock is ahead.
      expect(verifySignature(secret, event.raw, event.headers['parley-signature'] as string)).toBe(true);
      await sleep(800); // further scans: once per message and recipient
      expect(hook.of('message.unread')).toHaveLength(1);
    } finally {
      clockOffsetMs = 0;
    }
  });
});

describe('managing webhook endpoints', () => {
  it('through the server API: add, list, disable (nothing sent), enable, remove; another site’s key is refused', async () => {
    const hook = await receiver();
    const { id, key } = await endpoint('manage', hook.url, ['message.stored']);
    const otherKey = await keyOf('other');
    expect((await call('manage', 'GET', '', otherKey)).status).toBe(403);
    expect(
      (await call('manage', 'POST', '', key, { url: 'ftp://x.example/', events: ['message.stored'] })).status,
    ).toBe(400);
    expect((await call('manage', 'POST', '', key, { url: hook.url, events: ['message.sent'] })).status).toBe(400);
    const off = await call('manage', 'PATCH', `/${id}`, key, { enabled: false });
    expect(off.body.data.endpoint.enabled).toBe(false);
    const { b, aTab } = await pairOn('manage', 'mo', 'max');
    await aTab.send(b.id, 'while disabled');
    await sleep(1000);
    expect(hook.received).toHaveLength(0);
    expect((await call('manage', 'PATCH', `/${id}`, key, { enabled: true })).body.data.endpoint.enabled).toBe(true);
    const after = await aTab.send(b.id, 'after enabling');
    const got = await waitFor(() => hook.of('message.stored')[0], 5000, 'a delivery after enabling');
    expect(got.body.data.message.id).toBe(after.message.id);
    await sleep(500);
    expect(hook.received).toHaveLength(1); // the message sent while disabled is not sent later
    expect((await call('manage', 'DELETE', `/${id}`, otherKey)).status).toBe(403);
    expect((await call('manage', 'DELETE', `/${id}`, key)).status).toBe(200);
    expect((await call('manage', 'GET', '', key)).body.data.endpoints).toEqual([]);
    expect((await call('manage', 'DELETE', `/${id}`, key)).status).toBe(404);
  });

  it('refuses URLs that are not http(s) and, unless allowed, private and loopback addresses', async () => {
    const strict = new Webhooks(server.app.store, { allowPrivate: false }, createLogger('silent'));
    const refused = async (url: string) => {
      try {
        await strict.create('other', { url, events: ['user.online'] });
        return 'accepted';
      } catch (err) {
        return (err as ParleyError).code;
      }
    };
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://10.1.2.3/',
      'http://[::1]/',
      'http://[::ffff:192.168.0.1]/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://user:pass@hooks.example/',
    ]) {
      expect(await refused(url), url).toBe(ErrorCode.BadRequest);
    }
    expect(await refused('https://hooks.example/parley')).toBe('accepted');
    expect(isPrivateAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isPrivateAddress('172.20.0.1')).toBe(true);
    expect(isPrivateAddress('93.184.216.34')).toBe(false);
    // Names are checked on the addresses they resolve to, when a delivery connects (DNS rebinding).
    for (const all of [false, true]) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
        guardedLookup('localhost', { all }, (err) => resolve(err)),
      );
      expect(error?.code, `all: ${all}`).toBe('EPRIVATE');
    }
  });
});

const run = promisify(execFile);
/** `npm run site -- …` on the test server's database, as its owner would run it. */
async function siteCli(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'backend/scripts/site.ts'), ...args],
      {
        env: { ...process.env, DATABASE_URL: server.database.url, ...env },
      },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('npm run site -- webhooks', () => {
  it(
    'refuses a loopback URL without WEBHOOK_ALLOW_PRIVATE, disables and removes endpoints',
    { timeout: 240_000 },
    async () => {
      const refused = await siteCli(
        { WEBHOOK_ALLOW_PRIVATE: '' },
        'webhooks',
        'manage',
        '--add',
        'http://127.0.0.1:9/x',
        '--events',
        'user.online',
      );
      expect(refused.code, refused.out).toBe(2);
      expect(refused.out).toContain('WEBHOOK_ALLOW_PRIVATE');
      const { endpoint } = await server.app.webhooks.create('manage', {
        url: 'https://hooks.example/a',
        events: ['user.online'],
      });
      const disabled = await siteCli({}, 'webhooks', 'manage', '--disable', endpoint.id);
      expect(disabled.out).toContain(`webhook endpoint ${endpoint.id} is disabled`);
      expect((await server.app.webhooks.list('manage')).find((e) => e.id === endpoint.id)?.enabled).toBe(false);
      const removed = await siteCli({}, 'webhooks', 'manage', '--remove', endpoint.id);
      expect(removed.code, removed.out).toBe(0);
      expect((await server.app.webhooks.list('manage')).find((e) => e.id === endpoint.id)).toBeUndefined();
    },
  );
});
