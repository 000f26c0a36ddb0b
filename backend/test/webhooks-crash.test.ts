import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.js';
import { verifySignature } from '../src/services/signed-requests.js';
import { parseDatabaseUrl } from '../src/store/database-url.js';
import { PrismaStore } from '../src/store/prisma-store.js';
import { login, sleep, TestClient, useServerProcesses, waitFor } from './support.js';
import { freePort, startReceiver } from './webhook-receiver.js';

/**
 * The webhook outbox survives SIGKILL: the server runs as its own process on an SQLite file (or
 * PostgreSQL under PARLEY_TEST_DB=postgres) and is killed while one event waits for a retry in the
 * outbox and another message, acknowledged to its sender, has not even been turned into an event
 * yet. Started again on the same database, it delivers both, each once.
 */
const { database, start } = useServerProcesses();
const run = promisify(execFile);

const ENV = {
  WEBHOOK_ALLOW_PRIVATE: '1',
  WEBHOOK_CHECK_MS: '200',
  // Messages become events only after 4 s: the kill below comes well before.
  WEBHOOK_SETTLE_MS: '4000',
  WEBHOOK_RETRY_BASE_MS: '300',
};

async function site(dbUrl: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'backend/scripts/site.ts'), ...args],
    {
      env: { ...process.env, DATABASE_URL: dbUrl, WEBHOOK_ALLOW_PRIVATE: '1' },
    },
  );
  return stdout;
}

describe('webhooks across SIGKILL', { timeout: 300_000 }, () => {
  it('delivers, once each, an event waiting in the outbox and a message not yet scanned when the server was killed', async () => {
    const db = await database();
    const port = await freePort();
    const first = await start(db, ENV);
    const added = await site(
      db.url,
      'webhooks',
      'demo',
      '--add',
      `http://127.0.0.1:${port}/hooks`,
      '--events',
      'message.stored',
    );
    const secret = /secret: +(whsec_[\w-]+)/.exec(added)?.[1];
    expect(secret, added).toBeDefined();

    const alice = await TestClient.connect(first.url, (await login(first.url, 'alice')).token);
    const bobId = alice.ready.roster.find((r) => r.user.username === 'bob')!.user.id;
    // 1. An event in the outbox whose attempts fail: nobody listens on the port yet.
    const queued = await alice.send(bobId, 'queued before the crash');
    const store = await PrismaStore.open(parseDatabaseUrl(db.url, repoRoot));
    try {
      await waitFor(
        async () => ((await store.listWebhookEndpoints('demo'))[0]?.failures ?? 0) >= 1,
        30_000,
        'a failed attempt',
      );
    } finally {
      await store.close();
    }
    // 2. A message acknowledged to its sender, then SIGKILL before it became an event.
    const unscanned = await alice.send(bobId, 'acknowledged, then SIGKILL');
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    alice.close();

    const receiver = await startReceiver(port);
    try {
      const second = await start(db, ENV);
      const ids = () => receiver.of('message.stored').map((d) => d.body.data.message.id as string);
      await waitFor(
        () => ids().includes(queued.message.id) && ids().includes(unscanned.message.id),
        30_000,
        'both deliveries after the restart',
      );
      await sleep(2000); // further passes send nothing more
      expect(ids().sort()).toEqual([queued.message.id, unscanned.message.id].sort());
      for (const d of receiver.received) {
        expect(verifySignature(secret!, d.raw, d.headers['parley-signature'] as string)).toBe(true);
      }
      const listed = await site(db.url, 'webhooks', 'demo', '--list');
      expect(listed).toMatch(/enabled\t.*\tmessage\.stored\tlast 200 at .*\tfailures 0\tlast success \S+\tpending 0/);
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await receiver.close();
    }
  });
});
