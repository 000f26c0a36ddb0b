// message:search in one long conversation (issue 18): 100,000 messages between two users, a mix of
// English and Chinese sentences, plus 100,000 in 1,000 other conversations (the trigram index is
// shared by all of them). Seeds a fresh SQLite file (the project's migrations, then rows straight
// into "Message", each with its search key as the server's writer stores them),
// indexes them with the background indexer (timed), starts the real server (`backend/src/main.ts`)
// in its own process and times message:search over a real socket: a two-character Chinese word (no
// trigram: the conversation is scanned), a longer word (the newest 1,000 messages, then the FTS5
// trigram index), a miss of each kind, and a word in nearly every message; and, first, what the
// index costs an insert and what the indexer costs (bench/search-indexing.ts). Writes
// bench/results/search.md.
//
//   npm run bench:search [-- --keep]   (SEARCH_RUNS=N: timed calls per query; SEARCH_COST_ROUNDS=N:
//                                       rounds of the cost measures, default 3; --keep: keep the database)
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { PROTOCOL_VERSION, type ReplyData, type Result } from '@parley/backend/protocol';
import { migrate, SEARCH_KEY_INSERT_SQL, SearchIndexer } from '@parley/backend/testing';
import { indexingCosts, median, PASS_SIZES, type Cost, type IndexingCosts } from './search-indexing.ts';
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

async function seed(dbPath: string): Promise<{ token: string; peerId: string; seedMs: number; indexMs: number }> {
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
    const key = db.prepare(SEARCH_KEY_INSERT_SQL);
    const next = random(18);
    const conversation = me < peerId ? `dm:${me}:${peerId}` : `dm:${peerId}:${me}`;
    const start = now.getTime() - (MESSAGES + OTHER_MESSAGES) * 1000;
    // Interleaved in time with the other conversations' messages, as a busy server stores them.
    for (let i = 0; i < MESSAGES + OTHER_MESSAGES; i++) {
      const ms = start + i * 1000;
      const other = i % 2 === 1;
      const sender = other ? `other-${i % OTHER_CONVERSATIONS}` : i % 4 === 0 ? me : peerId;
      const id = uuidv7({ msecs: ms });
      message.run(
        id,
        'demo',
        sender,
        other ? `dm:other-${i % OTHER_CONVERSATIONS}:x` : conversation,
        other ? 'x' : sender === me ? peerId : me,
        `seed-${i}`,
        sentence(next, Math.floor(i / 2)),
        iso(new Date(ms)),
      );
      key.run(id);
    }
  })();
  const seedMs = performance.now() - started;
  // The background indexer's work, done here before the server starts (in the server's pass size)
  // so the timings below are of a search over a complete index.
  const indexing = performance.now();
  db.pragma('synchronous = FULL');
  const indexer = new SearchIndexer(db);
  while (indexer.pass(500).more);
  const indexMs = performance.now() - indexing;
  db.close();
  return { token, peerId, seedMs, indexMs };
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

/** The cost tables (bench/search-indexing.ts): medians over the rounds, each round's figures beside. */
function costLines(c: IndexingCosts): string[] {
  const us = (xs: number[]) => `${median(xs).toFixed(0)} µs (${xs.map((x) => x.toFixed(0)).join(', ')})`;
  const both = (cs: Cost[]) => `${us(cs.map((c) => c.wall))} | ${us(cs.map((c) => c.cpu))}`;
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  return [
    `## What the index costs the hot path, and what the indexer costs`,
    '',
    `${c.rounds} rounds on fresh SQLite files with the project's migrations, the three ways interleaved in a rotating order; ` +
      `medians, each round's figure in brackets. Wall-clock time includes waiting for the disk's fsync and for a core on the ` +
      `loaded machine; CPU time is this process's own (user and system), what competes with the event loop for the cores.`,
    '',
    '| 20,000 inserts in transactions of 50, synchronous = FULL | wall, per message | CPU, per message |',
    '| --- | --- | --- |',
    `| old: indexed by the insert trigger (migrations up to 20261201220000_message_search) | ${both(c.insert.old)} |`,
    `| current: the writer inserts the search key beside the message; indexing in the background | ${both(c.insert.current)} |`,
    `| no search work at all | ${both(c.insert.none)} |`,
    '',
    '| the indexer over those 20,000, synchronous = FULL | wall, per message | CPU, per message |',
    '| --- | --- | --- |',
    ...PASS_SIZES.map((size) => `| passes of ${size.toLocaleString('en')} | ${both(c.indexer[size]!)} |`),
    '',
    'Where the indexer runs: a writer commits 50 messages every 50 ms (1,000 a second) for 6 s; the indexer runs every 250 ms, ' +
      'passes of 500 back to back while more wait. Latency of a commit from when it was due to when it was durable (medians over the rounds):',
    '',
    '| indexer | p50 | p99 | max | left unindexed at the end |',
    '| --- | --- | --- | --- | --- |',
    ...(['none', 'same connection', 'own connection'] as const).map((where) => {
      const l = c.placement[where];
      const label =
        where === 'none'
          ? 'none'
          : where === 'same connection'
            ? "on the writer's connection, between its commits"
            : 'on its own connection, in another thread';
      return `| ${label} | ${ms(l.p50)} | ${ms(l.p99)} | ${ms(l.max)} | ${l.behind.toLocaleString('en')} |`;
    }),
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const folder = mkdtempSync(join(tmpdir(), 'parley-search-'));
const dbPath = join(folder, 'bench.db');
const loadAtCosts = loadavg()[0]!;
const costs = await indexingCosts(Number(process.env.SEARCH_COST_ROUNDS ?? 3), console.log);
const { token, peerId, seedMs, indexMs } = await seed(dbPath);
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
      `server, first page (20 results), after 5 warm-up calls. Seeding (one transaction, each message with its search key): ` +
      `${(seedMs / 1000).toFixed(1)} s for ${(MESSAGES + OTHER_MESSAGES).toLocaleString('en')} messages; then the background indexer, ` +
      `in passes of 500: ${(indexMs / 1000).toFixed(1)} s (${((indexMs * 1000) / (MESSAGES + OTHER_MESSAGES)).toFixed(0)} µs a message).`,
  );
  log('');
  log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadAtCosts.toFixed(1)} when the cost measures began and ${loadavg()[0]!.toFixed(1)} when the search timing began (a shared machine, loaded by other work throughout).`,
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
  log('');
  for (const line of costLines(costs)) log(line);
  writeFileSync(join(repoRoot, 'bench', 'results', 'search.md'), `${lines.join('\n')}\n`);
} finally {
  socket.close();
  await server.stop();
  if (process.argv.includes('--keep')) console.log(`database kept: ${dbPath}`);
  else rmSync(folder, { recursive: true, force: true });
}
