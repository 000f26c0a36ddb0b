import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { InboxWriter } from '../../src/services/inbox-writer.js';
import { directConversationId } from '../../src/services/messaging.js';
import { parseDatabaseUrl } from '../../src/store/database-url.js';
import { migrate } from '../../src/store/migrate.js';
import { PrismaStore } from '../../src/store/prisma-store.js';
import type { MessageRecord, WriteResult } from '../../src/store/store.js';
import { repoRoot } from '../../src/paths.js';
import { createPostgresDatabase, type TestDatabase } from '../services.js';

/**
 * The hot path of three nodes at once on one PostgreSQL database: three stores, each with its own
 * batched writer, write messages and receipts among the same few users, in every direction, and
 * race each other with the same client ids. Nothing may fail (no deadlock, no lost or doubled
 * message) and every inbox must stay one gapless sequence.
 */
let database: TestDatabase;
const stores: PrismaStore[] = [];
const users = ['u0', 'u1', 'u2', 'u3', 'u4'];

beforeAll(async () => {
  database = await createPostgresDatabase();
  const target = parseDatabaseUrl(database.url, repoRoot);
  await migrate(target);
  for (let i = 0; i < 3; i++) stores.push(await PrismaStore.open(target));
  await stores[0]!.createSite({ id: 's', name: 's', secret: 'x', origins: [], settings: {} });
  for (const id of users) {
    await stores[0]!.createUser({
      id,
      siteId: 's',
      username: id,
      displayName: id,
      avatarUrl: null,
      passwordHash: null,
    });
  }
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await database?.drop();
});

function message(from: string, to: string, clientId = uuidv7()): MessageRecord {
  return {
    id: uuidv7(),
    siteId: 's',
    senderId: from,
    recipientId: to,
    conversationId: directConversationId(from, to),
    clientId,
    body: `from ${from}`,
    createdAt: new Date(),
  };
}

const pick = () => users[Math.floor(Math.random() * users.length)]!;

describe('three writers on one PostgreSQL database', () => {
  it('never deadlock, never lose or double a message, and keep every inbox gapless', async () => {
    const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'error');
    const writers = stores.map((store) => new InboxWriter(store, logger));
    const results: WriteResult[] = [];
    const raced: { clientId: string; senderId: string }[] = [];

    await Promise.all(
      writers.flatMap((writer, w) =>
        Array.from({ length: 6 }, async (_, lane) => {
          for (let i = 0; i < 25; i++) {
            const from = pick();
            let to = pick();
            while (to === from) to = pick();
            const sent = message(from, to);
            const tasks = [writer.write({ type: 'message', message: sent })];
            // Every fifth message is also sent by another node with the same client id (a tab on
            // another node resending it), at the same moment.
            if (i % 5 === 0) {
              raced.push({ clientId: sent.clientId, senderId: from });
              const other = writers[(w + 1) % writers.length]!;
              tasks.push(other.write({ type: 'message', message: { ...message(from, to, sent.clientId) } }));
            }
            const written = await Promise.all(tasks);
            results.push(...written);
            // The recipient acknowledges it, sometimes as read: the markers race as well.
            const first = written[0]!;
            if (first.type === 'message' && lane % 2 === 0) {
              const receipt = await writer.write({
                type: 'receipt',
                receipt: {
                  conversationId: first.message.conversationId,
                  readerId: to,
                  peerId: from,
                  kind: i % 3 === 0 ? 'read' : 'delivered',
                  upTo: first.message.id,
                  at: new Date(),
                },
              });
              results.push(receipt);
            }
          }
        }),
      ),
    );

    // Each raced client id was stored once; the other write saw the stored message.
    for (const { clientId, senderId } of raced) {
      const copies = results.filter(
        (r) => r.type === 'message' && r.message.clientId === clientId && r.message.senderId === senderId,
      );
      expect(copies).toHaveLength(2);
      expect(copies.filter((c) => c.type === 'message' && !c.duplicate)).toHaveLength(1);
      expect(new Set(copies.map((c) => c.type === 'message' && c.message.id)).size).toBe(1);
    }

    const stored = results.filter((r) => r.type === 'message' && !r.duplicate);
    let entries = 0;
    for (const user of users) {
      const inbox = await stores[0]!.readInbox(user, 0, 100_000);
      expect(inbox.map((e) => e.seq)).toEqual(inbox.map((_, i) => i + 1));
      entries += inbox.filter((e) => e.kind === 'message').length;
    }
    // Two inbox entries (sender's and recipient's) per stored message, none for a duplicate.
    expect(entries).toBe(stored.length * 2);
  });
});
