import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { repoRoot } from '../src/paths.js';
import { sweepRetention } from '../src/services/retention.js';
import { addUser, login, startServer, TestClient, type TestServer } from './support.js';

const run = promisify(execFile);
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** Runs `npm run site -- …` (the script itself) against the test server's database. */
async function site(...args: string[]) {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'backend/scripts/site.ts'), ...args],
      {
        env: { ...process.env, DATABASE_URL: server.database.url },
      },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('npm run site', () => {
  it('creates a site and prints its id, secret and snippet; the config API serves it to allowed origins only', async () => {
    const created = await site('create', '--name', 'Shop', '--origin', 'https://shop.example', '--id', 'shop');
    expect(created.code, created.out).toBe(0);
    expect(created.out).toMatch(/site id: +shop/);
    expect(created.out).toMatch(/secret: +[\w-]{40,}/);
    expect(created.out).toContain('data-site="shop"');

    const ok = await fetch(`${server.url}/api/v1/sites/shop/config`, { headers: { origin: 'https://shop.example' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const refused = await fetch(`${server.url}/api/v1/sites/shop/config`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
  });

  // Runs the CLI as its own process ten times (tsx and the database client start each time): on a
  // busy 2-core machine that alone can take a minute.
  it('updates origins, rotates the secret and sets settings and a validated theme', { timeout: 180_000 }, async () => {
    await site('create', '--name', 'Cafe', '--origin', 'https://cafe.example', '--id', 'cafe');
    expect(
      (await site('origins', 'cafe', '--add', 'http://localhost:*', '--remove', 'https://cafe.example')).code,
    ).toBe(0);
    expect((await server.app.store.getSite('cafe'))?.origins).toEqual(['http://localhost:*']);

    const before = (await server.app.store.getSite('cafe'))!.secret;
    expect((await site('rotate-secret', 'cafe')).code).toBe(0);
    expect((await server.app.store.getSite('cafe'))!.secret).not.toBe(before);

    const set = await site(
      'set',
      'cafe',
      '--registration-open',
      'true',
      '--retention-days',
      '30',
      '--theme',
      '{"primaryColor":"#0a7","mode":"dark"}',
      '--xmpp',
      'on',
      '--edit-window-min',
      '5',
      '--signed-actions',
      'buddy:add,room:join',
    );
    expect(set.code).toBe(0);
    expect(set.out).toContain('XMPP on');
    expect((await server.app.store.getSite('cafe'))!.settings.xmpp).toBe(true);
    expect((await server.app.store.getSite('cafe'))!.settings.editWindowMinutes).toBe(5);
    expect(set.out).toContain('signed:    room:join, buddy:add');
    expect((await server.app.store.getSite('cafe'))!.settings.signedActions).toEqual(['room:join', 'buddy:add']);
    const config = await (await fetch(`${server.url}/api/v1/sites/cafe/config`)).json();
    expect(config).toEqual({
      ok: true,
      data: { site: 'cafe', name: 'Cafe', registrationOpen: true, theme: { primaryColor: '#0a7', mode: 'dark' } },
    });

    for (const bad of [
      ['set', 'cafe', '--theme', '{"primaryColor":"red;}"}'],
      ['set', 'cafe', '--edit-window-min', '-1'],
      ['origins', 'cafe', '--add', 'javascript:alert(1)'],
      ['rotate-secret', 'no-such-site'],
      ['set', 'cafe', '--xmpp', 'yes'],
      ['set', 'cafe', '--signed-actions', 'room:join,room:destroy'],
    ]) {
      const result = await site(...bad);
      expect(result.code, bad.join(' ')).toBe(2);
      expect(result.out).toContain('usage: npm run site');
    }
    // The bad theme changed nothing, nor did the unknown action.
    expect((await server.app.store.getSite('cafe'))!.settings.theme).toEqual({ primaryColor: '#0a7', mode: 'dark' });
    expect((await server.app.store.getSite('cafe'))!.settings.signedActions).toEqual(['room:join', 'buddy:add']);
    expect((await site('set', 'cafe', '--signed-actions', 'none')).out).toContain('(no action needs a signed token)');
    expect((await server.app.store.getSite('cafe'))!.settings.signedActions).toBeUndefined();
  });
});

describe('a site CLI edit and the server that caches sites', () => {
  it('takes effect on the next connect: a removed origin is refused, an added one admitted', async () => {
    expect((await site('create', '--name', 'Deli', '--origin', 'https://deli.example', '--id', 'deli')).code).toBe(0);
    await addUser(server, 'deli-ann', { site: 'deli' });
    const { token } = await login(server.url, 'deli-ann', 'deli-ann-pass', 'deli');
    const connectFrom = (origin: string) => TestClient.connect(server.url, token, { site: 'deli', origin });
    // Connected once from each side, so the server has the site in memory before the edit.
    (await connectFrom('https://deli.example')).close();
    await expect(connectFrom('https://new.deli.example')).rejects.toMatchObject({
      data: { code: 'origin_not_allowed' },
    });

    const edit = await site('origins', 'deli', '--set', 'https://new.deli.example');
    expect(edit.code, edit.out).toBe(0);
    // The very next connect, no waiting: the edit came from another process.
    await expect(connectFrom('https://deli.example')).rejects.toMatchObject({ data: { code: 'origin_not_allowed' } });
    const admitted = await connectFrom('https://new.deli.example');
    expect(admitted.ready.user.username).toBe('deli-ann');
    admitted.close();
  });
});

describe('message retention', () => {
  it('deletes messages older than the site keeps, and only those', async () => {
    await server.app.store.createSite({
      id: 'brief',
      name: 'Brief',
      secret: 's'.repeat(32),
      origins: [],
      settings: { retentionDays: 7 },
    });
    const a = await addUser(server, 'ret-a', { site: 'brief' });
    const b = await addUser(server, 'ret-b', { site: 'brief' });
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
    const message = (daysAgo: number) => ({
      type: 'message' as const,
      message: {
        id: uuidv7({ msecs: at(daysAgo).getTime() }),
        siteId: 'brief',
        senderId: a.id,
        recipientId: b.id,
        conversationId: 'dm:retention',
        clientId: `ret-${daysAgo}`,
        body: `${daysAgo} days old`,
        createdAt: at(daysAgo),
      },
    });
    await server.app.store.append([message(30), message(8), message(1)]);
    const removed = await sweepRetention(server.app.store, new Date(), createLogger('silent'));
    expect(removed.brief).toBe(2);
    const left = await server.app.store.history('dm:retention', b.id, {}, 10);
    expect(left.map((m) => m.body)).toEqual(['1 days old']);
    // Its inbox entries went with it.
    expect(
      (await server.app.store.readInbox(b.id, 0, 10)).map((e) => (e.kind === 'message' ? e.message.body : '')),
    ).toEqual(['1 days old']);
  });
});
