import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { PrismaStore } from '../src/store/prisma-store.js';
import { parseDatabaseUrl } from '../src/store/database-url.js';
import { repoRoot } from '../src/paths.js';
import { messagesOf, useServer, waitFor } from './support.js';

/**
 * The SQLite hot path runs on a writer thread (store/sqlite-writer/): its commits are what the
 * acknowledgement promises, it recovers when the thread dies, and the cold paths, still on Prisma's
 * own connection, keep working beside it under load.
 */
const server = useServer();
const onSqlite = process.env.PARLEY_TEST_DB !== 'postgres';
const writerOf = () => (server.app.store as PrismaStore).sqliteWriter;

describe.skipIf(!onSqlite)('the SQLite writer thread', () => {
  it('writes messages on its own thread; an acknowledged message is committed for any other connection', async () => {
    expect(writerOf()).not.toBeNull();
    const { connect, ids } = await server.pair('hp-ann', 'hp-ben');
    const ann = await connect('hp-ann');
    const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => ann.send(ids['hp-ben']!, `durable ${i}`)));
    // A connection of our own, opened after the acknowledgements: it sees only committed rows.
    const reader = new Database(parseDatabaseUrl(server.database.url, repoRoot).url, { readonly: true });
    try {
      const ids40 = sent.map((s) => s.message.id);
      const rows = reader
        .prepare(`SELECT "id" FROM "Message" WHERE "id" IN (${ids40.map(() => '?').join(', ')})`)
        .all(...ids40);
      expect(rows).toHaveLength(40);
      const entries = reader
        .prepare(`SELECT COUNT(*) AS n FROM "InboxEntry" WHERE "messageId" IN (${ids40.map(() => '?').join(', ')})`)
        .get(...ids40) as { n: number };
      expect(entries.n).toBe(80); // the sender's and the recipient's
    } finally {
      reader.close();
    }
  });

  it('when the thread dies, its batches fail, a new thread takes over, and resends are stored once', async () => {
    const { connect, ids } = await server.pair('hp-cat', 'hp-dan');
    const cat = await connect('hp-cat');
    const dan = await connect('hp-dan');
    const clientIds = Array.from({ length: 60 }, () => uuidv7());
    const first = clientIds.map((clientId, i) => cat.trySend(ids['hp-dan']!, `crash ${i}`, clientId));
    // End the thread while those are being written, as a crash of the thread would.
    const dying = writerOf()!.thread;
    await dying.terminate();
    const outcomes = await Promise.all(first);
    for (const o of outcomes) if (!o.ok) expect(o.error.code).toMatch(/internal|unavailable/);

    // The widget resends whatever was not acknowledged, with the same client ids.
    await waitFor(() => writerOf()!.thread !== dying);
    const second = await Promise.all(clientIds.map((clientId, i) => cat.send(ids['hp-dan']!, `crash ${i}`, clientId)));
    const stored = new Set(second.map((s) => s.message.id));
    expect(stored.size).toBe(60);
    const got = messagesOf(await dan.syncAll(0)).filter((e) => e.message.senderId === ids['hp-cat']);
    expect(got.map((e) => e.message.content)).toEqual(clientIds.map((_, i) => ({ kind: 'text', text: `crash ${i}` })));
  });

  it('cold-path writes on Prisma’s connection succeed while the thread is busy with messages', async () => {
    const { connect, ids } = await server.pair('hp-eve', 'hp-fay');
    const eve = await connect('hp-eve');
    const traffic = Promise.all(Array.from({ length: 400 }, (_, i) => eve.send(ids['hp-fay']!, `load ${i}`)));
    const rooms = Promise.all(
      Array.from({ length: 15 }, (_, i) => eve.ok('room:create', { name: `busy room ${i}`, public: false })),
    );
    const renames = Promise.all(
      Array.from({ length: 15 }, (_, i) => eve.ok('roster:group', { userId: ids['hp-fay']!, group: `group ${i % 3}` })),
    );
    const [sent, created] = await Promise.all([traffic, rooms, renames]);
    expect(new Set(sent.map((s) => s.message.id)).size).toBe(400);
    expect(created).toHaveLength(15);
  });
});
