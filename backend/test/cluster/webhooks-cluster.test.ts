import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { repoRoot } from '../../src/paths.js';
import { verifySignature } from '../../src/services/signed-requests.js';
import { Webhooks } from '../../src/services/webhooks/webhooks.js';
import { parseDatabaseUrl } from '../../src/store/database-url.js';
import { PrismaStore } from '../../src/store/prisma-store.js';
import { startS3, type TestS3 } from '../s3.js';
import {
  createPostgresDatabase,
  dropRedisPrefix,
  TEST_REDIS_URL,
  testRedisPrefix,
  type TestDatabase,
} from '../services.js';
import { addUser, login, sleep, spawnServer, tempDir, TestClient, waitFor, type ServerProcess } from '../support.js';
import { startReceiver, type Receiver } from '../webhook-receiver.js';

/**
 * Webhooks in cluster mode: two real nodes on one PostgreSQL database and one Redis both scan
 * for events and send due deliveries, as fast as they can (every 50 ms), to one receiver that
 * refuses each event's first attempt. Each event is still queued once, and each attempt made by
 * one node: the receiver gets every event exactly twice (the refused attempt and the retry).
 */
let database: TestDatabase;
let prefix: string;
let store: PrismaStore;
let s3: TestS3;
let s3Dir: string;
let receiver: Receiver;
const nodes: ServerProcess[] = [];
const open: TestClient[] = [];

beforeAll(async () => {
  database = await createPostgresDatabase();
  prefix = testRedisPrefix();
  s3Dir = tempDir();
  s3 = await startS3(join(s3Dir, 's3'));
  receiver = await startReceiver();
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    PRESENCE_GRACE_MS: '300',
    WEBHOOK_ALLOW_PRIVATE: '1',
    WEBHOOK_CHECK_MS: '50',
    WEBHOOK_SETTLE_MS: '500',
    WEBHOOK_RETRY_BASE_MS: '200',
    ...s3.env,
  };
  nodes.push(await spawnServer(database, env)); // migrates and seeds
  nodes.push(await spawnServer(database, env));
  store = await PrismaStore.open(parseDatabaseUrl(database.url, repoRoot));
}, 240_000);

afterAll(async () => {
  for (const c of open) c.close();
  for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.exited));
  await store?.close();
  await receiver?.close();
  await database?.drop();
  if (prefix) await dropRedisPrefix(prefix);
  await s3?.close();
  if (s3Dir) rmSync(s3Dir, { recursive: true, force: true });
});

describe('webhooks on two nodes', { timeout: 240_000 }, () => {
  it('queues each event once and makes each attempt on one node', async () => {
    const { secret } = await new Webhooks(store, { allowPrivate: true }, createLogger('silent')).create('demo', {
      url: receiver.url,
      events: ['message.stored', 'user.online'],
    });
    const firstSeen = new Set<string>();
    receiver.answer = (d) => {
      if (firstSeen.has(d.body.id)) return 200;
      firstSeen.add(d.body.id);
      return 503;
    };
    const ann = await addUser(store, 'wcann');
    const bob = await addUser(store, 'wcbob', { buddies: ['wcann'] });
    const connect = async (username: string, node: ServerProcess) => {
      const client = await TestClient.connect(node.url, (await login(node.url, username, `${username}-pass`)).token);
      open.push(client);
      return client;
    };
    const a = await connect('wcann', nodes[0]!);
    const b = await connect('wcbob', nodes[1]!);
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      sent.push((await a.send(bob.id, `from node 1, ${i}`)).message.id);
      sent.push((await b.send(ann.id, `from node 2, ${i}`)).message.id);
    }
    const stored = () => receiver.of('message.stored');
    await waitFor(() => stored().length >= 2 * sent.length, 60_000, 'every message event twice');
    await waitFor(() => receiver.of('user.online').length >= 4, 30_000, 'both online events twice');
    await sleep(1500); // more passes on both nodes: nothing more may come
    const byEvent = new Map<string, number>();
    for (const d of receiver.received) byEvent.set(d.body.id, (byEvent.get(d.body.id) ?? 0) + 1);
    expect([...byEvent.values()].every((n) => n === 2)).toBe(true);
    const messageIds = receiver.of('message.stored').map((d) => d.body.data.message.id as string);
    expect(new Set(messageIds)).toEqual(new Set(sent));
    expect(messageIds).toHaveLength(2 * sent.length);
    expect(new Set(receiver.of('user.online').map((d) => d.body.data.user.username))).toEqual(
      new Set(['wcann', 'wcbob']),
    );
    expect(receiver.of('user.online')).toHaveLength(4);
    for (const d of receiver.received) {
      expect(verifySignature(secret, d.raw, d.headers['parley-signature'] as string)).toBe(true);
    }
    // Both nodes took part: each logged refused attempts it made itself.
    for (const node of nodes) expect(node.output()).toContain('webhook attempt failed');
    const [status] = await store.listWebhookEndpoints('demo');
    expect(status).toMatchObject({ pending: 0, failures: 0, lastStatus: 200 });
  });
});
