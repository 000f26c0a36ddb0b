// What the message search index costs the hot path, and what its background indexer costs
// (issue 15), measured on SQLite files with the project's migrations:
//
// - insert cost: 20,000 messages in transactions of 50 with synchronous = FULL, as the writer
//   thread commits them, three ways: old (every insert indexed at once by the insert trigger: the
//   migrations up to 20261201220000_message_search only), current (the writer inserts the
//   message's search key beside it; indexing later) and none (no search work at all). In rounds,
//   the three interleaved in a rotating order (the machine is shared: a load swing hits all three
//   alike); medians over the rounds.
// - indexer cost: the 20,000 keys the current way left pending, indexed by SearchIndexer in
//   passes of 50, 500 and 2,000 messages (one transaction each, synchronous = FULL), per message.
// - placement: a writer committing 50 messages every 50 ms (1,000 a second) for 6 s while the
//   indexer runs every 250 ms in passes of 500, either on the writer's own connection between its
//   commits (as sqlite-writer/thread.ts does) or on a connection of its own in another thread
//   (which holds the write lock while it indexes; the writer then waits in SQLite's busy handler).
//   Reported: each commit's latency from when it was due to when it was durable, p50/p99/max.
//
// Used by bench/search.ts; alone: node --import tsx bench/search-indexing.ts [rounds]
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { migrate, schemaPaths, SEARCH_KEY_INSERT_SQL, SearchIndexer } from '@parley/backend/testing';

const MESSAGES = 20_000;
const PER_COMMIT = 50;
/** The migration that took indexing off the insert: the "old" databases stop before it. */
const INDEXER_MIGRATION = '20261202020000_message_search_indexer';

const iso = (d: Date) => d.toISOString().replace('Z', '+00:00');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export type Triggers = 'old' | 'current' | 'none';

/** Per message: wall-clock µs, and CPU µs of this process (what competes for the cores; waits for
 * the disk and for a core on the loaded machine count in the first only). */
export interface Cost {
  wall: number;
  cpu: number;
}

export interface IndexingCosts {
  rounds: number;
  /** Per inserted message, per round, by trigger set. */
  insert: Record<Triggers, Cost[]>;
  /** Per indexed message, per round, by pass size. */
  indexer: Record<number, Cost[]>;
  placement: Record<'none' | 'same connection' | 'own connection', Latency>;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  /** Messages the indexer left pending at the end. */
  behind: number;
}

export const PASS_SIZES = [50, 500, 2000];

async function database(folder: string, name: string, triggers: Triggers): Promise<Database.Database> {
  const file = join(folder, `${name}.db`);
  if (triggers === 'old') {
    const dir = join(folder, 'old-migrations');
    cpSync(schemaPaths('sqlite').migrations, dir, { recursive: true, filter: (p) => !p.includes(INDEXER_MIGRATION) });
    await migrate({ kind: 'sqlite', url: file }, dir);
  } else await migrate({ kind: 'sqlite', url: file });
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

/** A text like the search benchmark's: English words or Chinese ones, 4 to 13 of them. */
function texts(n: number): string[] {
  let s = 7;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const en = ['the', 'meeting', 'moved', 'to', 'friday', 'please', 'send', 'report', 'draft', 'budget', 'coffee'];
  const zh = ['我们', '明天', '开会', '下午', '请', '发送', '报告', '谢谢', '咖啡', '办公室', '图书馆'];
  return Array.from({ length: n }, () => {
    const words = 4 + Math.floor(next() * 10);
    const english = next() < 2 / 3;
    const list = english ? en : zh;
    const parts = Array.from({ length: words }, () => list[Math.floor(next() * list.length)]!);
    return english ? parts.join(' ') : `${parts.join('')}。`;
  });
}

/** The writer's inserts: the message, and (the current way) its search key. */
function inserter(db: Database.Database, withKey: boolean) {
  const insert = db.prepare(
    'INSERT INTO "Message" (id, siteId, senderId, conversationId, recipientId, clientId, body, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const key = db.prepare(SEARCH_KEY_INSERT_SQL);
  const at = iso(new Date());
  let n = 0;
  return db.transaction((bodies: string[]) => {
    for (const body of bodies) {
      const id = uuidv7();
      insert.run(id, 'demo', 'a', 'dm:a:b', 'b', `c-${n++}`, body, at);
      if (withKey) key.run(id);
    }
  });
}

/** Wall and CPU time of `run`, per `count`. */
function timed(count: () => number, run: () => void): Cost {
  const cpu = process.cpuUsage();
  const started = performance.now();
  run();
  const wall = (performance.now() - started) * 1000;
  const used = process.cpuUsage(cpu);
  const n = count();
  return { wall: wall / n, cpu: (used.user + used.system) / n };
}

/** Per message, for MESSAGES inserts in transactions of PER_COMMIT. */
function insertCost(db: Database.Database, bodies: string[], withKey: boolean): Cost {
  const commit = inserter(db, withKey);
  return timed(
    () => bodies.length,
    () => {
      for (let from = 0; from < bodies.length; from += PER_COMMIT) commit(bodies.slice(from, from + PER_COMMIT));
    },
  );
}

/** Per message, for indexing everything pending in passes of `size`. */
function indexerCost(db: Database.Database, size: number): Cost {
  db.exec(
    `INSERT INTO "MessageSearch" ("MessageSearch") VALUES ('delete-all'); UPDATE "MessageSearchCursor" SET "indexedUpTo" = 0`,
  );
  const indexer = new SearchIndexer(db);
  let total = 0;
  return timed(
    () => total,
    () => {
      for (let pass = indexer.pass(size); ; pass = indexer.pass(size)) {
        total += pass.indexed;
        if (!pass.more) break;
      }
    },
  );
}

const COMMITS = 120;
const COMMIT_EVERY_MS = 50;
const INDEX_EVERY_MS = 250;
const PASS = 500;

/** The writer's commits at a steady pace, with the indexer nowhere, between them, or in its own thread. */
async function placement(
  db: Database.Database,
  file: string,
  where: keyof IndexingCosts['placement'],
): Promise<Latency> {
  const commit = inserter(db, true);
  const bodies = texts(PER_COMMIT);
  const indexer = where === 'same connection' ? new SearchIndexer(db) : null;
  const worker =
    where === 'own connection'
      ? new Worker(fileURLToPath(new URL('./lib/search-indexer-thread.mjs', import.meta.url)), {
          workerData: { file, everyMs: INDEX_EVERY_MS, pass: PASS },
        })
      : null;
  if (worker) await new Promise((resolve) => worker.once('message', resolve));
  const latencies: number[] = [];
  const start = performance.now();
  let nextIndex = start + INDEX_EVERY_MS;
  let indexing = false;
  for (let i = 0; i < COMMITS;) {
    const due = start + i * COMMIT_EVERY_MS;
    const now = performance.now();
    if (now >= due) {
      commit(bodies);
      latencies.push(performance.now() - due);
      i++;
      continue;
    }
    // Between commits: an index pass when one is due (one pass, then the writer's batches again).
    if (indexer && (indexing || now >= nextIndex)) {
      indexing = indexer.pass(PASS).more;
      if (!indexing) nextIndex = performance.now() + INDEX_EVERY_MS;
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - now - 1)));
  }
  if (worker) {
    // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker thread's port, not a window
    worker.postMessage({ stop: true });
    await new Promise((resolve) => worker.once('exit', resolve));
  }
  const cursor = (db.prepare('SELECT "indexedUpTo" AS n FROM "MessageSearchCursor"').get() as { n: number }).n;
  const behind = (
    db.prepare('SELECT count(*) AS n FROM "MessageSearchKey" WHERE "id" > ?').get(cursor) as { n: number }
  ).n;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1)!, behind };
}

export async function indexingCosts(rounds = 3, log: (line: string) => void = () => {}): Promise<IndexingCosts> {
  const folder = mkdtempSync(join(tmpdir(), 'parley-search-indexing-'));
  const costs: IndexingCosts = {
    rounds,
    insert: { old: [], current: [], none: [] },
    indexer: Object.fromEntries(PASS_SIZES.map((s) => [s, []])),
    placement: {} as IndexingCosts['placement'],
  };
  const order: Triggers[] = ['old', 'current', 'none'];
  try {
    const bodies = texts(MESSAGES);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < order.length; k++) {
        const triggers = order[(round + k) % order.length]!;
        const db = await database(folder, `insert-${round}-${triggers}`, triggers);
        costs.insert[triggers].push(insertCost(db, bodies, triggers === 'current'));
        if (triggers === 'current')
          for (const size of round % 2 ? [...PASS_SIZES].reverse() : PASS_SIZES)
            costs.indexer[size]!.push(indexerCost(db, size));
        db.close();
      }
      const f = (c: Cost) => `${c.wall.toFixed(0)}/${c.cpu.toFixed(0)}`;
      log(
        `round ${round + 1}/${rounds} (µs wall/CPU): insert old ${f(costs.insert.old.at(-1)!)}, current ${f(costs.insert.current.at(-1)!)}, none ${f(costs.insert.none.at(-1)!)}; ` +
          `indexer ${PASS_SIZES.map((s) => `${s}: ${f(costs.indexer[s]!.at(-1)!)}`).join(', ')}`,
      );
    }
    const samples: Record<string, Latency[]> = { none: [], 'same connection': [], 'own connection': [] };
    for (let round = 0; round < rounds; round++)
      for (const where of ['none', 'same connection', 'own connection'] as const) {
        const file = join(folder, `placement-${round}-${where.replace(' ', '-')}.db`);
        const db = await database(folder, `placement-${round}-${where.replace(' ', '-')}`, 'current');
        samples[where]!.push(await placement(db, file, where));
        db.close();
        const l = samples[where]!.at(-1)!;
        log(
          `placement round ${round + 1}, ${where}: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms, behind ${l.behind}`,
        );
      }
    for (const where of ['none', 'same connection', 'own connection'] as const) {
      const s = samples[where]!;
      costs.placement[where] = {
        p50: median(s.map((l) => l.p50)),
        p99: median(s.map((l) => l.p99)),
        max: median(s.map((l) => l.max)),
        behind: median(s.map((l) => l.behind)),
      };
    }
    return costs;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

export { median };

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const costs = await indexingCosts(Number(process.argv[2] ?? 3), console.log);
  console.log(JSON.stringify(costs, null, 2));
}
