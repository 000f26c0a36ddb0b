// message:search in one long conversation (issue 18): 100,000 messages between two users, a mix of
// English and Chinese sentences, plus 100,000 in 1,000 other conversations (the trigram index is
// shared by all of them). Seeds a fresh SQLite file (the project's migrations, then rows straight
// into "Message", so the search triggers index them as the server's writer would), starts the real
// server (`backend/src/main.ts`) in its own process and times message:search over a real socket:
// a two-character Chinese word (no trigram: the conversation is scanned), a longer word (the newest
// 1,000 messages, then the FTS5 trigram index), a miss of each kind, and a word in nearly every
// message; and what the index costs an insert. Writes bench/results/search.md.
//
//   npm run bench:search [-- --keep]   (SEARCH_RUNS=N: timed calls per query; --keep: keep the database)
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { PROTOCOL_VERSION, type ReplyData, type Result } from '@parley/backend/protocol';
import { migrate } from '@parley/backend/testing';
import { repoRoot, startParley } from './lib/servers.ts';
import { freePort } from './lib/util.ts';

const MESSAGES = 100_000;
const OTHER_CONVERSATIONS = 1_000;
const OTHER_MESSAGES = 100_000;
const RUNS = Number(process.env.SEARCH_RUNS ?? 100);

const iso = (d: Date) => d.toISOString().replace('Z', '+00:00');

const ENGLISH = [
  'the',
  'meeting',
  'moved',
  'to',
  'friday',
  'please',
  'send',
  'report',
  'draft',
  'before',
  'lunch',
  'thanks',
  'see',
  'you',
  'tomorrow',
  'at',
  'office',
  'coffee',
  'later',
  'budget',
];
const CHINESE = [
  '我们',
  '明天',
  '开会',
  '下午',
  '请',
  '发送',
  '报告',
  '谢谢',
  '咖啡',
  '办公室',
  '周五',
  '见',
  '好的',
  '时间',
];

/** A deterministic pseudo-random sequence, so every run seeds the same texts. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * A sentence: English two times in three, Chinese otherwise. One message in 500 carries the words
 * the benchmark looks for ("quarterly", "图书"), so a page of 20 results reaches far back.
 */
function sentence(next: () => number, i: number): string {
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const words = 4 + Math.floor(next() * 10);
  const english = next() < 2 / 3;
  const parts = Array.from({ length: words }, () => (english ? pick(ENGLISH) : pick(CHINESE)));
  if (i % 500 === 250) parts.splice(2, 0, english ? 'quarterly' : '图书馆');
  return english ? parts.join(' ') : `${parts.join('')}。`;
}

async function seed(dbPath: string): Promise<{ token: string; peerId: string; seedMs: number }> {
  await migrate({ kind: 'sqlite', url: dbPath });
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  const now = new Date();
  const at = iso(now);
  const token = randomBytes(32).toString('base64url');
  const me = uuidv7();
  const peerId = uuidv7();
  const started = performance.now();
  db.transaction(() => {
    db.prepare(
      'INSERT OR IGNORE INTO "Site" (id, name, secret, origins, settings, createdAt) VALUES (?, ?, ?, ?, ?, ?)',
    ).run('demo', 'Demo', 'bench-secret', JSON.stringify(['http://localhost:*']), '{}', at);
    const user = db.prepare(
      'INSERT INTO "User" (id, siteId, username, displayName, avatarUrl, passwordHash, inboxSeq, createdAt) VALUES (?, ?, ?, ?, NULL, NULL, 0, ?)',
    );
    user.run(me, 'demo', 'bench-searcher', 'Bench Searcher', at);
    user.run(peerId, 'demo', 'bench-peer', 'Bench Peer', at);
    db.prepare('INSERT INTO "Session" (id, userId, createdAt, expiresAt) VALUES (?, ?, ?, ?)').run(
      createHash('sha256').update(token).digest('hex'),
      me,
      at,
      iso(new Date(now.getTime() + 24 * 3600_000)),
    );
    const message = db.prepare(
      'INSERT INTO "Message" (id, siteId, senderId, conversationId, recipientId, clientId, body, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const next = random(18);
    const conversation = me < peerId ? `dm:${me}:${peerId}` : `dm:${peerId}:${me}`;
    const start = now.getTime() - (MESSAGES + OTHER_MESSAGES) * 1000;
    // Interleaved in time with the other conversations' messages, as a busy server stores them.
    for (let i = 0; i < MESSAGES + OTHER_MESSAGES; i++) {
      const ms = start + i * 1000;
      const other = i % 2 === 1;
      const sender = other ? `other-${i % OTHER_CONVERSATIONS}` : i % 4 === 0 ? me : peerId;
      message.run(
        uuidv7({ msecs: ms }),
        'demo',
        sender,
        other ? `dm:other-${i % OTHER_CONVERSATIONS}:x` : conversation,
        other ? 'x' : sender === me ? peerId : me,
        `seed-${i}`,
        sentence(next, Math.floor(i / 2)),
        iso(new Date(ms)),
      );
    }
  })();
  const seedMs = performance.now() - started;
  db.close();
  return { token, peerId, seedMs };
}

/**
 * What the search index costs the hot path: 20,000 messages inserted in transactions of 50 with
 * `synchronous = FULL`, as the server's writer commits them, with the search triggers and without
 * (the same rows, a database whose triggers were dropped), each twice, in turn; the faster of each.
 */
async function insertCost(folder: string): Promise<{ withIndex: number; without: number }> {
  const run = async (file: string, dropTriggers: boolean) => {
    await migrate({ kind: 'sqlite', url: file });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    if (dropTriggers)
      for (const name of ['Message_search_insert', 'Message_search_update', 'Message_search_delete'])
        db.exec(`DROP TRIGGER "${name}"`);
    const insert = db.prepare(
      'INSERT INTO "Message" (id, siteId, senderId, conversationId, recipientId, clientId, body, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    db.pragma('synchronous = FULL');
    const next = random(7);
    const at = iso(new Date());
    const texts = Array.from({ length: 20_000 }, (_, i) => sentence(next, i));
    const batch = db.transaction((from: number) => {
      for (let i = from; i < from + 50; i++) insert.run(uuidv7(), 'demo', 'a', 'dm:a:b', 'b', `c-${i}`, texts[i]!, at);
    });
    const started = performance.now();
    for (let from = 0; from < texts.length; from += 50) batch(from);
    const ms = performance.now() - started;
    db.close();
    return ms / 20_000;
  };
  const without = [await run(join(folder, 'cost-without-1.db'), true)];
  const withIndex = [await run(join(folder, 'cost-with-1.db'), false)];
  without.push(await run(join(folder, 'cost-without-2.db'), true));
  withIndex.push(await run(join(folder, 'cost-with-2.db'), false));
  return { withIndex: Math.min(...withIndex), without: Math.min(...without) };
}

type SearchReply = Result<ReplyData['message:search']>;

function search(socket: Socket, payload: Record<string, unknown>): Promise<ReplyData['message:search']> {
  return (socket.timeout(30_000).emitWithAck as (e: string, p: unknown) => Promise<SearchReply>)(
    'message:search',
    payload,
  ).then((result) => {
    if (!result.ok) throw new Error(`message:search failed: ${result.error.code} ${result.error.message}`);
    return result.data;
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const folder = mkdtempSync(join(tmpdir(), 'parley-search-'));
const dbPath = join(folder, 'bench.db');
const cost = await insertCost(folder);
const { token, peerId, seedMs } = await seed(dbPath);
const server = await startParley({
  dbPath,
  port: await freePort(),
  env: { ACTION_RATE: '1000000', SEARCH_RATE: '1000000' },
});
const socket: Socket = io(server.url, {
  auth: { v: PROTOCOL_VERSION, site: 'demo', token },
  transports: ['websocket'],
  reconnection: false,
});
const queries: [string, string][] = [
  ['two-character Chinese word (conversation scan)', '图书'],
  ['two-character miss (scan of all 100,000)', '鲸鱼'],
  ['longer word (newest 1,000, then trigram index)', 'quarterly'],
  ['three-character Chinese word (same)', '图书馆'],
  ['miss of three characters or more (same)', 'zebra crossing'],
  ['a word in nearly every English message (same: the page fills in the newest 1,000)', 'the'],
];
const lines: string[] = [];
const log = (line: string) => {
  console.log(line);
  lines.push(line);
};
try {
  await new Promise<void>((resolve, reject) => {
    socket.once('session:ready', () => resolve());
    socket.once('connect_error', reject);
  });
  const key = { kind: 'direct', id: peerId };
  for (const [, query] of queries) for (let i = 0; i < 5; i++) await search(socket, { in: key, query }); // warm up

  log(`# message:search (${new Date().toISOString().slice(0, 10)})`);
  log('');
  log(
    `One conversation of ${MESSAGES.toLocaleString('en')} messages (two English sentences in three, the rest Chinese), ` +
      `plus ${OTHER_MESSAGES.toLocaleString('en')} in ${OTHER_CONVERSATIONS.toLocaleString('en')} other conversations, on SQLite; ` +
      `one message in 500 of each language holds the searched word. ${RUNS} calls per query over a socket to the real ` +
      `server, first page (20 results), after 5 warm-up calls. Seeding (inserts with the search triggers): ` +
      `${(seedMs / 1000).toFixed(1)} s for ${(MESSAGES + OTHER_MESSAGES).toLocaleString('en')} messages.`,
  );
  log('');
  log(
    `Insert cost of the index (20,000 messages in transactions of 50, synchronous = FULL, same rows; the faster of two runs): ${(cost.withIndex * 1000).toFixed(0)} µs a ` +
      `message with the search triggers, ${(cost.without * 1000).toFixed(0)} µs without.`,
  );
  log('');
  log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg()[0]!.toFixed(1)} when the timing began (a shared machine).`,
  );
  log('');
  log('| query | results on page 1 | p50 | p99 | max |');
  log('| --- | --- | --- | --- | --- |');
  for (const [label, query] of queries) {
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      found = (await search(socket, { in: key, query })).results.length;
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const f = (ms: number) => `${ms.toFixed(1)} ms`;
    log(
      `| ${label}: \`${query}\` | ${found} | ${f(percentile(times, 50))} | ${f(percentile(times, 99))} | ${f(times.at(-1)!)} |`,
    );
  }
  writeFileSync(join(repoRoot, 'bench', 'results', 'search.md'), `${lines.join('\n')}\n`);
} finally {
  socket.close();
  await server.stop();
  if (process.argv.includes('--keep')) console.log(`database kept: ${dbPath}`);
  else rmSync(folder, { recursive: true, force: true });
}
