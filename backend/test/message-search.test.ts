import Database from 'better-sqlite3';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type ChatMessage, type ConversationKey } from '../src/protocol/index.js';
import { directConversationId } from '../src/services/messaging.js';
import type { TestDatabase } from './services.js';
import { addUser, codeOf, login, startServer, TestClient, textOf, useServer, type SignedIn } from './support.js';

/**
 * Search in a conversation's history and the jump to a result (issue 18): message:search,
 * message:around, message:history paging both ways, and the messages a user deleted for
 * themselves (HiddenMessage) or that were deleted for everyone (deletedAt), which searches never
 * find. Runs on SQLite (the FTS5 trigram index) and on PostgreSQL (pg_trgm), with a conversation
 * of 2,100 messages seeded through the store's hot path and the searched ones at its far end.
 */
const server = useServer();

/** A writable connection to the test server's database, for what another part of Parley writes. */
async function openForWriting(database: TestDatabase): Promise<{
  run(sql: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}> {
  if (database.kind === 'sqlite') {
    const db = new Database(database.url.replace(/^file:/, ''), { timeout: 10_000 });
    return { run: async (sql, ...params) => void db.prepare(sql).run(...params), close: async () => void db.close() };
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    run: async (sql, ...params) => {
      let n = 0;
      await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
    },
    close: () => client.end(),
  };
}

const FILLERS = 2_100;
/** The texts seeded oldest first; the first two are the ones searched for, 2,100 messages back. */
const SPECIAL = [
  'The quarterly zephyrine report is ready for review',
  '我们明天在图书馆见面吧',
  'I am 100% sure_thing about it',
  'He said "quoted" here',
  '2*3 = 6',
  'this AND that',
  'Résumé MiXeD Case',
  'old text qwertyx',
  'deleted for everyone: vanishing-word',
  'deleted but its text kept: vanishing-word',
  'hidden by alice: hushhush',
];
const texts = [
  ...SPECIAL,
  ...Array.from({ length: FILLERS }, (_, i) =>
    i % 100 === 0 ? `filler ${i} checkpoint` : i % 3 === 0 ? `今天天气很好 ${i}` : `filler ${i} lorem ipsum`,
  ),
];
/** Message ids, in the order of `texts` (time-ordered). */
const ids: string[] = [];
const textById = new Map<string, string>();
let alice: SignedIn;
let bob: SignedIn;
let carol: SignedIn;
let bobKey: ConversationKey;
let aliceId = '';
let bobId = '';
/** Messages nobody must find any more (deleted), and the one alice hid. */
const deleted = new Set<string>();
let hiddenByAlice = '';

const at = (name: string) => ids[SPECIAL.indexOf(name)]!;
const bodies = (messages: ChatMessage[]) => messages.map((m) => textOf(m.content));

/** Every result of a search, paging with `before` `limit` at a time; checks the pages are consistent. */
async function searchAll(client: SignedIn, query: string, limit = 50, key = bobKey): Promise<string[]> {
  const found: string[] = [];
  let before: string | undefined;
  for (let page = 0; page < 100; page++) {
    const { results, hasMore } = await client.ok('message:search', {
      in: key,
      query,
      limit,
      ...(before ? { before } : {}),
    });
    expect(results.length).toBeLessThanOrEqual(limit);
    found.push(...results.map((m) => m.id));
    if (!hasMore) return found;
    expect(results).toHaveLength(limit);
    before = results.at(-1)!.id;
  }
  throw new Error('search paging did not end');
}

/** What a search must find: the seeded texts containing `query` (ignoring ASCII case), newest first. */
function expected(query: string, viewer: 'alice' | 'bob' = 'alice'): string[] {
  const q = query.toLowerCase();
  return ids
    .filter((id) => textById.get(id)!.toLowerCase().includes(q))
    .filter((id) => !deleted.has(id) && !(viewer === 'alice' && id === hiddenByAlice))
    .reverse();
}

beforeAll(async () => {
  const a = await server.user('searcher-alice');
  const b = await server.user('searcher-bob', { buddies: ['searcher-alice'] });
  const c = await server.user('searcher-carol');
  [alice, bob, carol] = [await a.connect(), await b.connect(), await c.connect()];
  aliceId = a.id;
  bobId = b.id;
  bobKey = { kind: 'direct', id: bobId };
  // Seeded through the store's hot path (the writer), in batches: what sending them would store,
  // without 2,100 round trips under the send rate limit. Ids a second apart, oldest first.
  const start = Date.now() - (texts.length + 10) * 1000;
  const conversationId = directConversationId(aliceId, bobId);
  const items = texts.map((body, i) => {
    const id = uuidv7({ msecs: start + i * 1000 });
    ids.push(id);
    textById.set(id, body);
    const fromAlice = i % 2 === 0;
    return {
      type: 'message' as const,
      message: {
        id,
        siteId: 'demo',
        senderId: fromAlice ? aliceId : bobId,
        recipientId: fromAlice ? bobId : aliceId,
        conversationId,
        clientId: `seed-${i}`,
        body,
        createdAt: new Date(start + i * 1000),
      },
    };
  });
  for (let i = 0; i < items.length; i += 500) await server.app.store.append(items.slice(i, i + 500));

  // What the deletion and "delete for me" of another part of Parley write (message:delete):
  // tombstones (deletedAt, text cleared) and HiddenMessage rows.
  const db = await openForWriting(server.database);
  try {
    const time = server.database.kind === 'sqlite' ? new Date().toISOString().replace('Z', '+00:00') : new Date();
    const first = at('deleted for everyone: vanishing-word');
    await db.run(`UPDATE "Message" SET "deletedAt" = ?, "body" = '' WHERE "id" = ?`, time, first);
    const second = at('deleted but its text kept: vanishing-word');
    await db.run(`UPDATE "Message" SET "deletedAt" = ? WHERE "id" = ?`, time, second);
    deleted.add(first).add(second);
    hiddenByAlice = at('hidden by alice: hushhush');
    await db.run(
      `INSERT INTO "HiddenMessage" ("userId", "messageId", "conversationId", "createdAt") VALUES (?, ?, ?, ?)`,
      aliceId,
      hiddenByAlice,
      conversationId,
      time,
    );
    // An edit (the other part's message:edit writes the new text in place): the index follows.
    await db.run(`UPDATE "Message" SET "body" = 'new text asdfghj' WHERE "id" = ?`, at('old text qwertyx'));
    textById.set(at('old text qwertyx'), 'new text asdfghj');
  } finally {
    await db.close();
  }
});

describe('message:search', () => {
  it('finds an English word and a two-character Chinese word 2,100 messages back, and jumps to them', async () => {
    for (const query of ['zephyrine', 'ZEPHYRINE', 'Zephyrine report']) {
      const { results, hasMore } = await alice.ok('message:search', { in: bobKey, query });
      expect(
        results.map((m) => m.id),
        query,
      ).toEqual([at(SPECIAL[0]!)]);
      expect(hasMore).toBe(false);
    }
    const chinese = at('我们明天在图书馆见面吧');
    for (const query of ['图书', '见面', '图书馆', '书馆见', '天在图书馆见面']) {
      const { results } = await alice.ok('message:search', { in: bobKey, query });
      expect(
        results.map((m) => m.id),
        query,
      ).toEqual([chinese]);
    }
    expect((await alice.ok('message:search', { in: bobKey, query: '图画' })).results).toEqual([]);
    expect((await alice.ok('message:search', { in: bobKey, query: 'no-such-words-here' })).results).toEqual([]);

    // The jump: the hit's id feeds message:around, which shows it among its neighbours.
    const found = (await alice.ok('message:search', { in: bobKey, query: '见面' })).results[0]!;
    const around = await alice.ok('message:around', { in: bobKey, messageId: found.id, limit: 3 });
    expect(around.messages.map((m) => m.id)).toEqual(ids.slice(0, 5)); // one older, three newer
    expect(around.hasOlder).toBe(false);
    expect(around.hasNewer).toBe(true);
    expect(bodies(around.messages)[1]).toBe('我们明天在图书馆见面吧');
    expect(around.readBy).toEqual([]);
  });

  it('pages newest first with `before`, and agrees with the texts for every kind of query', async () => {
    const checkpoints = expected('checkpoint');
    expect(checkpoints).toHaveLength(FILLERS / 100);
    expect(await searchAll(alice, 'checkpoint', 5)).toEqual(checkpoints);
    expect(await searchAll(alice, 'CheckPoint', 50)).toEqual(checkpoints);
    // Queries of one, two and three or more characters (scan and index alike), Latin in any case,
    // Chinese, and what LIKE or FTS5 would read as syntax: each is literal text.
    for (const query of ['%', '_', '"', '*', '"quoted"', '100%', 'sure_thing', '2*3', 'AND', 'is AND th', 'a', 'Ca']) {
      expect(await searchAll(alice, query, 50), query).toEqual(expected(query));
    }
    for (const query of ['图', '天气', '今天天气很好 2', 'résumé mixed', 'MIXED CASE', 'asdfghj']) {
      expect(await searchAll(alice, query, 50), query).toEqual(expected(query));
    }
    // A wildcard never matches anything but itself.
    expect(await searchAll(alice, '%', 50)).toEqual([at('I am 100% sure_thing about it')]);
    expect(await searchAll(alice, 'e%r', 50)).toEqual([]);
    expect(await searchAll(alice, 'fill_r', 50)).toEqual([]);
    expect(await searchAll(alice, '"quoted" OR lorem*', 50)).toEqual([]);
    expect(await searchAll(alice, 'AND', 50)).toEqual([at('this AND that')]);
  });

  it('follows edits, and finds a message sent a moment ago', async () => {
    expect(await searchAll(alice, 'qwertyx')).toEqual([]);
    expect(await searchAll(alice, 'asdfghj')).toEqual([at('old text qwertyx')]);
    const sent = await bob.send(aliceId, 'fresh news: 新鲜的消息 arrived');
    expect(await searchAll(alice, '新鲜')).toEqual([sent.message.id]);
    expect(await searchAll(alice, 'fresh news')).toEqual([sent.message.id]);
  });

  it('never finds a deleted message, and leaves out what the caller hid (only for them)', async () => {
    expect(await searchAll(alice, 'vanishing-word')).toEqual([]);
    expect(await searchAll(bob, 'vanishing-word', 50, { kind: 'direct', id: aliceId })).toEqual([]);
    expect(await searchAll(alice, 'hushhush')).toEqual([]);
    expect(await searchAll(bob, 'hushhush', 50, { kind: 'direct', id: aliceId })).toEqual([hiddenByAlice]);
  });

  it('finds nothing of a conversation the caller is not in', async () => {
    // Carol's own chat with Alice: empty, whatever she looks for.
    expect(await searchAll(carol, 'zephyrine', 50, { kind: 'direct', id: aliceId })).toEqual([]);
    expect(
      await codeOf(carol.request('message:search', { in: { kind: 'room', id: 'no-such-room' }, query: 'x' })),
    ).toBe(ErrorCode.NotFound);
    expect(
      await codeOf(carol.request('message:search', { in: { kind: 'direct', id: 'no-such-user' }, query: 'x' })),
    ).toBe(ErrorCode.NotFound);
  });

  it('searches rooms too', async () => {
    const { room } = await alice.ok('room:create', { name: 'Search room', invite: [bobId] });
    await bob.ok('room:accept', { roomId: room.id });
    const key: ConversationKey = { kind: 'room', id: room.id };
    const sent = await bob.send(key, '会议改到星期五 in the room');
    expect(await searchAll(alice, '星期', 50, key)).toEqual([sent.message.id]);
    expect(await searchAll(alice, 'zephyrine', 50, key)).toEqual([]); // not in this conversation
    await alice.ok('conversation:read', { in: key, kind: 'read', upTo: sent.message.id });
    const around = await bob.ok('message:around', { in: key, messageId: sent.message.id });
    expect(around.messages.map((m) => m.id)).toEqual([sent.message.id]);
    expect(around.readBy).toEqual([{ userId: aliceId, upTo: sent.message.id }]);
    expect(await codeOf(carol.request('message:search', { in: key, query: '星期' }))).toBe(ErrorCode.NotFound);
  });

  it('counts against the search limit (SEARCH_RATE)', async () => {
    const limited = await startServer({ config: { searchPerMinute: 3 } });
    try {
      await addUser(limited, 'quick', { buddies: ['bob'] });
      const client = await TestClient.connect(limited.url, (await login(limited.url, 'quick', 'quick-pass')).token);
      const bobThere = (await limited.app.store.findUserByUsername('demo', 'bob'))!.id;
      const codes: string[] = [];
      for (let i = 0; i < 5; i++)
        codes.push(
          await codeOf(client.request('message:search', { in: { kind: 'direct', id: bobThere }, query: `q${i}` })),
        );
      expect(codes).toEqual(['ok', 'ok', 'ok', ErrorCode.RateLimited, ErrorCode.RateLimited]);
      // History is not a search: it still answers.
      expect(await codeOf(client.request('message:history', { in: { kind: 'direct', id: bobThere } }))).toBe('ok');
      client.close();
    } finally {
      await limited.close();
    }
  });
});

describe('message:around', () => {
  it('returns the message with up to `limit` on each side, oldest first', async () => {
    const middle = 1_000;
    const around = await alice.ok('message:around', { in: bobKey, messageId: ids[middle]!, limit: 20 });
    expect(around.messages.map((m) => m.id)).toEqual(ids.slice(middle - 20, middle + 21));
    expect(around).toMatchObject({ hasOlder: true, hasNewer: true });
    // The default is 20 each side.
    expect((await alice.ok('message:around', { in: bobKey, messageId: ids[middle]! })).messages).toHaveLength(41);
    // At the newest end.
    const last = ids.at(-1)!;
    const end = await alice.ok('message:around', { in: bobKey, messageId: last, limit: 2 });
    expect(end.messages.map((m) => m.id).slice(0, 3)).toEqual([ids.at(-3), ids.at(-2), last]);
    expect(end.hasOlder).toBe(true);
  });

  it('skips what the caller hid, shows deleted messages as they are, and refuses other conversations', async () => {
    const hiddenAt = ids.indexOf(hiddenByAlice);
    const seen = await alice.ok('message:around', { in: bobKey, messageId: ids[hiddenAt - 1]!, limit: 2 });
    expect(seen.messages.map((m) => m.id)).toEqual([
      ids[hiddenAt - 3],
      ids[hiddenAt - 2],
      ids[hiddenAt - 1],
      ids[hiddenAt + 1],
      ids[hiddenAt + 2],
    ]);
    expect(await codeOf(alice.request('message:around', { in: bobKey, messageId: hiddenByAlice }))).toBe(
      ErrorCode.NotFound,
    );
    const forBob = await bob.ok('message:around', {
      in: { kind: 'direct', id: aliceId },
      messageId: hiddenByAlice,
      limit: 1,
    });
    expect(forBob.messages.map((m) => m.id)).toEqual([ids[hiddenAt - 1], hiddenByAlice, ids[hiddenAt + 1]]);
    // Deleted for everyone: still in its place (a tombstone, as history shows it).
    const tombstone = [...deleted][0]!;
    const withTombstone = await alice.ok('message:around', { in: bobKey, messageId: tombstone, limit: 1 });
    expect(withTombstone.messages.map((m) => m.id)).toContain(tombstone);
    // A message of Alice and Bob named in another conversation, by anyone, is not found.
    for (const [client, key] of [
      [alice, { kind: 'direct', id: carol.ready.user.id }],
      [carol, { kind: 'direct', id: aliceId }],
      [carol, { kind: 'direct', id: bobId }],
    ] as const) {
      expect(await codeOf(client.request('message:around', { in: key, messageId: ids[0] }))).toBe(ErrorCode.NotFound);
    }
    expect(await codeOf(alice.request('message:around', { in: bobKey, messageId: 'no-such-message' }))).toBe(
      ErrorCode.NotFound,
    );
  });
});

describe('message:history', () => {
  it('pages forward with `after` (newest first in each page) and back with `before`, leaving out what the caller hid', async () => {
    const visible = ids.filter((id) => id !== hiddenByAlice);
    const forward: string[] = [];
    let after = ids[0]!;
    for (let page = 0; page < 100; page++) {
      const { messages, hasMore } = await alice.ok('message:history', { in: bobKey, after, limit: 100 });
      const got = messages.map((m) => m.id);
      expect(got).toEqual([...got].sort().reverse()); // newest first
      forward.push(...[...got].reverse());
      if (!hasMore) break;
      expect(got).toHaveLength(100);
      after = got[0]!;
    }
    // Everything after the first seeded message, up to what was sent since (the fresh message).
    expect(forward.slice(0, visible.length - 1)).toEqual(visible.slice(1));
    expect(forward).not.toContain(hiddenByAlice);

    const first = await alice.ok('message:history', { in: bobKey, after: ids[0]!, limit: 5 });
    expect(first.messages.map((m) => m.id)).toEqual(ids.slice(1, 6).reverse());
    expect(first.hasMore).toBe(true);

    const backward: string[] = [];
    let before: string | undefined;
    for (let page = 0; page < 100; page++) {
      const { messages, hasMore } = await alice.ok('message:history', {
        in: bobKey,
        limit: 100,
        ...(before ? { before } : {}),
      });
      backward.push(...messages.map((m) => m.id));
      if (!hasMore) break;
      before = messages.at(-1)!.id;
    }
    expect([...backward].reverse().slice(0, visible.length)).toEqual(visible);
    // Bob hid nothing: he sees the message Alice hid.
    const bobs = await bob.ok('message:history', {
      in: { kind: 'direct', id: aliceId },
      after: ids[ids.indexOf(hiddenByAlice) - 1]!,
      limit: 1,
    });
    expect(bobs.messages.map((m) => m.id)).toEqual([hiddenByAlice]);
    // The newest page, and a page after the newest message: empty, nothing more.
    const newest = (await alice.ok('message:history', { in: bobKey, limit: 1 })).messages[0]!;
    expect(await alice.ok('message:history', { in: bobKey, after: newest.id })).toMatchObject({
      messages: [],
      hasMore: false,
    });
    expect(await codeOf(alice.request('message:history', { in: bobKey, after: ids[1], before: ids[5] }))).toBe(
      ErrorCode.BadRequest,
    );
  });
});
