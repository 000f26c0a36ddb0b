import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationKey } from '../src/protocol/index.js';
import { directConversationId } from '../src/services/messaging.js';
import type { PrismaStore } from '../src/store/prisma-store.js';
import { addUser, login, startServer, TestClient, waitFor, type TestServer } from './support.js';

/**
 * Search stays complete while the background indexer lags (SQLite: messages are indexed after
 * they are stored, by the writer thread; docs/architecture.md, "Message search"). The server runs
 * with SEARCH_INDEX_MS=0, so the indexer runs only when a test asks (`indexSearch`), and a test
 * can look at the index before and after. Messages searched for are pushed more than 1,000
 * messages back, past the part of the conversation every search scans, so what finds them is the
 * index or the scan of what it has not reached. On PostgreSQL (pg_trgm, kept by PostgreSQL itself)
 * the same searches run; the index checks are SQLite's.
 */
let server: TestServer;
let alice: TestClient;
let aliceId = '';
let bobId = '';
let bobKey: ConversationKey;
const sqlite = () => server.database.kind === 'sqlite';

async function start(everyMs = 0): Promise<void> {
  server = await startServer({ database: server?.database, config: { searchIndexing: { everyMs, batch: 200 } } });
  const { token } = await login(server.url, 'indexing-alice', 'indexing-alice-pass');
  alice = await TestClient.connect(server.url, token);
}

beforeAll(async () => {
  server = await startServer({ config: { searchIndexing: { everyMs: 0, batch: 200 } } });
  aliceId = (await addUser(server, 'indexing-alice')).id;
  bobId = (await addUser(server, 'indexing-bob', { buddies: ['indexing-alice'] })).id;
  bobKey = { kind: 'direct', id: bobId };
  const { token } = await login(server.url, 'indexing-alice', 'indexing-alice-pass');
  alice = await TestClient.connect(server.url, token);
});
afterAll(async () => {
  alice?.close();
  await server?.close();
});

/** Runs the indexer until nothing waits; how many it indexed (0 on PostgreSQL, which has none). */
const indexNow = () => (server.app.store as PrismaStore).sqliteWriter?.indexSearch() ?? Promise.resolve(0);

/** SQLite: the cursor, and the messages above it (stored, not indexed yet). */
function indexState(): { cursor: number; pending: string[] } {
  const db = new Database(server.database.url.replace(/^file:/, ''), { readonly: true });
  try {
    const cursor = (db.prepare(`SELECT "indexedUpTo" AS n FROM "MessageSearchCursor"`).get() as { n: number }).n;
    const pending = db
      .prepare(`SELECT "messageId" AS id FROM "MessageSearchKey" WHERE "id" > ? ORDER BY "id"`)
      .all(cursor)
      .map((r) => (r as { id: string }).id);
    return { cursor, pending };
  } finally {
    db.close();
  }
}

const found = async (query: string) =>
  (await alice.ok('message:search', { in: bobKey, query, limit: 50 })).results.map((m) => m.id);

/** 1,050 messages from bob through the store's hot path: what sending them would store. */
async function pushBack(tag: string): Promise<void> {
  const conversationId = directConversationId(aliceId, bobId);
  const items = Array.from({ length: 1_050 }, (_, i) => ({
    type: 'message' as const,
    message: {
      id: uuidv7(),
      siteId: 'demo',
      senderId: bobId,
      recipientId: aliceId,
      conversationId,
      clientId: `${tag}-${i}`,
      body: `filler ${tag} ${i} nothing to see`,
      createdAt: new Date(),
    },
  }));
  for (let i = 0; i < items.length; i += 350) await server.app.store.append(items.slice(i, i + 350));
}

describe('search while the indexer lags (SEARCH_INDEX_MS=0)', { timeout: 120_000 }, () => {
  it('finds a message the moment it is acknowledged, before the indexer ran, and after it', async () => {
    const { message } = await alice.send(bobId, 'kiwifruit-alpha 猕猴桃来了');
    expect(await found('kiwifruit-alpha')).toEqual([message.id]);
    expect(await found('猕猴桃')).toEqual([message.id]);
    if (sqlite()) expect(indexState().pending).toContain(message.id);
    await indexNow();
    if (sqlite()) expect(indexState().pending).toEqual([]);
    expect(await found('kiwifruit-alpha')).toEqual([message.id]);
    expect(await found('猕猴桃')).toEqual([message.id]);
  });

  it('finds messages 1,050 back before they are indexed, and through the index after', async () => {
    const { message } = await alice.send(bobId, 'papaya-deep in the history 木瓜在此');
    await pushBack('papaya');
    if (sqlite()) expect(indexState().pending).toHaveLength(1_051);
    expect(await found('papaya-deep')).toEqual([message.id]);
    expect(await found('木瓜在')).toEqual([message.id]);
    expect(await indexNow()).toBe(sqlite() ? 1_051 : 0);
    // Nothing is left for the scan: only the index can find it now.
    if (sqlite()) expect(indexState().pending).toEqual([]);
    expect(await found('papaya-deep')).toEqual([message.id]);
    expect(await found('木瓜在')).toEqual([message.id]);
  });

  it('follows edits and deletions of old messages, before and after they are indexed', async () => {
    const send = async (text: string) => (await alice.send(bobId, text)).message.id;
    const early = await send('edit-before-index kumquat');
    const late = await send('edit-after-index persimmon');
    const goneEarly = await send('delete-before-index lychee');
    const goneLate = await send('delete-after-index rambutan');
    await pushBack('changes');
    const edit = (messageId: string, text: string) => alice.ok('message:edit', { in: bobKey, messageId, text });
    const remove = (messageId: string) => alice.ok('message:delete', { in: bobKey, messageId, for: 'everyone' });

    // Not indexed yet.
    await edit(early, 'edited-early tamarind');
    await remove(goneEarly);
    const afterEarly = async () => {
      expect(await found('kumquat')).toEqual([]);
      expect(await found('tamarind')).toEqual([early]);
      expect(await found('lychee')).toEqual([]);
    };
    await afterEarly();
    await indexNow();
    await afterEarly();
    expect(await found('persimmon')).toEqual([late]);
    expect(await found('rambutan')).toEqual([goneLate]);

    // Indexed: out of the index at once, the new text back in (scanned until the indexer runs).
    await edit(late, 'edited-late mangosteen');
    await remove(goneLate);
    const afterLate = async () => {
      expect(await found('persimmon')).toEqual([]);
      expect(await found('mangosteen')).toEqual([late]);
      expect(await found('rambutan')).toEqual([]);
    };
    await afterLate();
    if (sqlite()) expect(indexState().pending).toEqual([late]);
    await indexNow();
    await afterLate();
    await afterEarly();
    if (sqlite()) expect(indexState().pending).toEqual([]);
  });

  it('resumes from its cursor after a restart: nothing stored before it is missed', async () => {
    await indexNow();
    const waiting = [
      (await alice.send(bobId, 'restart-resume quince one')).message.id,
      (await alice.send(bobId, 'restart-resume quince two')).message.id,
    ];
    await pushBack('restart');
    const before = sqlite() ? indexState() : null;
    alice.close();
    await server.close(true);

    // The second server indexes by itself (every 50 ms).
    await start(50);
    if (before) {
      await waitFor(() => indexState().pending.length === 0, 30_000);
      const after = indexState();
      expect(after.cursor).toBeGreaterThan(before.cursor);
      expect(before.pending.slice(0, 2)).toEqual(waiting);
      expect(before.pending).toHaveLength(1_052);
    }
    expect(await found('restart-resume quince')).toEqual([...waiting].reverse());
  });
});
