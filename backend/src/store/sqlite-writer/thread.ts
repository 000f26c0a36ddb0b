/**
 * The SQLite hot path's writer thread. It owns one better-sqlite3 connection and writes each
 * batch of messages and receipts in one `BEGIN IMMEDIATE` transaction with statements prepared
 * once, at start. The server's event loop only posts batches here and gets results back: the
 * SQL, the row decoding and the fsync of `synchronous = FULL` all happen on this thread.
 *
 * Same plan as the Prisma path (fanout-plan.ts decides what is written); only the SQL differs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  inboxNeeds,
  markerKey,
  placeEntries,
  planFanout,
  resendKey,
  roomsOf,
  writeResults,
  type Marker,
} from '../fanout-plan.js';
import type { InboxRecord, MessageRecord, WriteItem, WriteResult } from '../records.js';
import {
  MESSAGE_COLUMNS,
  MESSAGE_INSERT_COLUMNS,
  messageInsertValues,
  inboxEntryValues,
  toMessage,
  type RawMessageRow,
} from '../prisma/rows.js';
import { SearchIndexer } from '../search-indexer.js';
import { SEARCH_KEY_INSERT_SQL } from '../message-search-sql.js';
import type { WriterReply, WriterRequest, WriterSettings } from './messages.js';

const settings = workerData as WriterSettings;
const port = parentPort!;

const db = new Database(settings.file, { timeout: settings.busyTimeoutMs });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.trunc(settings.walAutocheckpoint))}`);

/** Prisma keeps SQLite DateTimes as ISO text with an explicit offset; write them the same way. */
const time = (d: Date) => d.toISOString().replace('Z', '+00:00');

const sql = {
  resend: db.prepare<[string, string], RawMessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM "Message" WHERE "senderId" = ? AND "clientId" = ?`,
  ),
  marker: db.prepare<[string, string], { deliveredUpTo: string | null; readUpTo: string | null }>(
    `SELECT "deliveredUpTo", "readUpTo" FROM "ReadMarker" WHERE "userId" = ? AND "conversationId" = ?`,
  ),
  members: db.prepare<[string], { userId: string }>(
    `SELECT "userId" FROM "RoomMember" WHERE "roomId" = ? AND "role" <> 'invited' ORDER BY "createdAt"`,
  ),
  reserve: db.prepare<[number, string], { inboxSeq: number }>(
    `UPDATE "User" SET "inboxSeq" = "inboxSeq" + ? WHERE "id" = ? RETURNING "inboxSeq"`,
  ),
  message: db.prepare(
    `INSERT INTO "Message" (${MESSAGE_INSERT_COLUMNS}) ` +
      `VALUES (${MESSAGE_INSERT_COLUMNS.split(', ')
        .map(() => '?')
        .join(', ')})`,
  ),
  // The message's search key: the indexer below indexes it later (message-search-sql.ts).
  searchKey: db.prepare<[string]>(SEARCH_KEY_INSERT_SQL),
  // Markers only move forward.
  markerUpsert: db.prepare(
    `INSERT INTO "ReadMarker" ("userId", "conversationId", "deliveredUpTo", "readUpTo", "updatedAt") VALUES (?, ?, ?, ?, ?) ` +
      `ON CONFLICT ("userId", "conversationId") DO UPDATE SET ` +
      `"deliveredUpTo" = CASE WHEN excluded."deliveredUpTo" IS NOT NULL AND ("ReadMarker"."deliveredUpTo" IS NULL OR excluded."deliveredUpTo" > "ReadMarker"."deliveredUpTo") THEN excluded."deliveredUpTo" ELSE "ReadMarker"."deliveredUpTo" END, ` +
      `"readUpTo" = CASE WHEN excluded."readUpTo" IS NOT NULL AND ("ReadMarker"."readUpTo" IS NULL OR excluded."readUpTo" > "ReadMarker"."readUpTo") THEN excluded."readUpTo" ELSE "ReadMarker"."readUpTo" END, ` +
      `"updatedAt" = excluded."updatedAt"`,
  ),
  entry: db.prepare(
    `INSERT INTO "InboxEntry" ("userId", "seq", "kind", "messageId", "data", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`,
  ),
};

function append(batch: WriteItem[]): WriteResult[] {
  const messages = batch.flatMap((item) => (item.type === 'message' ? [item.message] : []));
  const receipts = batch.flatMap((item) => (item.type === 'receipt' ? [item.receipt] : []));

  // 1. What is already there: resends, markers, and who is in each room now.
  const stored = new Map<string, MessageRecord>();
  for (const m of messages) {
    const row = sql.resend.get(m.senderId, m.clientId);
    if (row) stored.set(resendKey(row), toMessage(row));
  }
  const markers = new Map<string, Marker>();
  for (const r of receipts) {
    const row = sql.marker.get(r.readerId, r.conversationId);
    if (row) markers.set(markerKey(r), { delivered: row.deliveredUpTo ?? '', read: row.readUpTo ?? '' });
  }
  const members = new Map<string, string[]>();
  for (const roomId of roomsOf(batch))
    members.set(
      roomId,
      sql.members.all(roomId).map((row) => row.userId),
    );
  const plan = planFanout(batch, { stored, markers, members });

  // 2. Inbox positions for every owner.
  const before = new Map<string, number>();
  for (const [userId, n] of inboxNeeds(plan)) {
    const row = sql.reserve.get(n, userId);
    if (!row) throw new Error('append: an inbox owner does not exist');
    before.set(userId, Number(row.inboxSeq) - n);
  }
  const entriesOf = placeEntries(plan, before);

  // 3. The writes.
  for (const p of plan) {
    if (p.type === 'message' && !p.duplicate && !p.refused) {
      const m = p.message;
      sql.message.run(...messageInsertValues(m), time(m.createdAt));
      if (m.body !== '') sql.searchKey.run(m.id);
    } else if (p.type === 'receipt' && p.advanced) {
      const r = p.receipt;
      sql.markerUpsert.run(r.readerId, r.conversationId, r.upTo, r.kind === 'read' ? r.upTo : null, time(r.at));
    }
  }
  const now = new Date();
  for (const e of entriesOf.flat()) writeEntry(e, now);

  return writeResults(plan, entriesOf);
}

function writeEntry(e: InboxRecord, now: Date): void {
  const v = inboxEntryValues(e, now);
  sql.entry.run(e.userId, e.seq, v.kind, v.messageId, v.data, time(v.createdAt));
}

/** One IMMEDIATE transaction per batch: it takes the write lock at once, so it never has to upgrade. */
const appendInTransaction = db.transaction(append);

/** Search indexing, between batches, on this connection (the server side decides when). */
const indexer = new SearchIndexer(db);

port.on('message', (request: WriterRequest) => {
  if (request.type === 'stop') {
    db.close();
    port.postMessage({ type: 'stopped' } satisfies WriterReply);
    port.close();
    return;
  }
  if (request.type === 'autocheckpoint') {
    db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.trunc(request.pages))}`);
    return;
  }
  const started = performance.now();
  let reply: WriterReply;
  try {
    if (request.type === 'index') {
      const pass = indexer.pass(request.limit);
      reply = { type: 'indexed', id: request.id, pass, ms: performance.now() - started };
    } else {
      const results = appendInTransaction.immediate(request.items);
      reply = { type: 'done', id: request.id, results, ms: performance.now() - started };
    }
  } catch (err) {
    const e = err as { message?: string; code?: string };
    reply = { type: 'failed', id: request.id, message: String(e.message ?? err), code: e.code ?? null };
  }
  port.postMessage(reply);
});

port.postMessage({ type: 'ready' } satisfies WriterReply);
