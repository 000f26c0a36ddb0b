import type { InboxRecord, MessageRecord, NewMessage, ReceiptRecord, WriteItem, WriteResult } from '../records.js';
import type { InboxRepository } from '../repositories/inbox.js';
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
import { chunks, ROWS_PER_STATEMENT, type StoreContext, type TransactionRunner, type Tx } from './context.js';
import {
  MESSAGE_COLUMNS,
  MESSAGE_INSERT_COLUMNS,
  messageColumns,
  messageInsertValues,
  rawMessageAt,
  inboxEntryValues,
  toInboxRecord,
  toMessage,
  type RawMessageRow,
} from './rows.js';
import { readRows, type SqliteReader } from './sqlite-reader.js';

/** Inbox entries carry 5 parameters each: 1000 rows stay below every driver's limit, and a room's fan-out needs few statements. */
const ENTRY_ROWS_PER_STATEMENT = 1000;

/**
 * A raw INSERT into "Message" hit the (senderId, clientId) key: another node stored a resend of
 * the same message first. (Raw queries report it as P2010 with the driver's cause.)
 */
function isClientIdClash(err: unknown): boolean {
  // Straight from `pg` (the PostgreSQL writer): a unique violation on the Message table.
  const pgError = err as { code?: string; table?: string } | null;
  if (pgError?.code === '23505' && pgError.table === 'Message') return true;
  const cause = (
    err as {
      meta?: {
        driverAdapterError?: { cause?: { kind?: string; table?: string } };
      };
    } | null
  )?.meta?.driverAdapterError?.cause;
  return cause?.kind === 'UniqueConstraintViolation' && cause.table === 'Message';
}

/** Writes inbox entries (any kind) in multi-row statements, in the transaction `tx`. */
export async function insertInboxEntries(ctx: StoreContext, tx: Tx, entries: InboxRecord[]): Promise<void> {
  const now = new Date();
  for (const part of chunks(entries, ENTRY_ROWS_PER_STATEMENT)) {
    const q = ctx.sql();
    const values = part
      .map((e) => {
        const v = inboxEntryValues(e, now);
        // Placeholders in column order: on SQLite they are all `?`, bound in the order written.
        const owner = `${q.p(e.userId)}, ${q.p(e.seq, '::integer')}, ${q.p(v.kind)}`;
        const messageId = v.messageId === null ? 'NULL' : q.p(v.messageId);
        const data = v.data === null ? 'NULL' : q.p(v.data);
        return `(${owner}, ${messageId}, ${data}, ${q.time(v.createdAt)})`;
      })
      .join(', ');
    await tx.$executeRawUnsafe(
      `INSERT INTO "InboxEntry" ("userId", "seq", "kind", "messageId", "data", "createdAt") VALUES ${values}`,
      ...q.params,
    );
  }
}

/**
 * Adds the needed count to each owner's inbox counter in one UPDATE ... RETURNING and returns,
 * per owner, the position just before its reserved block. The row lock the UPDATE takes orders
 * concurrent writers (PostgreSQL cluster), so positions commit in sequence.
 */
export async function reserveInboxSeqs(
  ctx: StoreContext,
  tx: Tx,
  need: Map<string, number>,
): Promise<Map<string, number>> {
  const q = ctx.sql();
  const cases = [...need].map(([userId, n]) => `WHEN ${q.p(userId)} THEN ${q.p(n, '::integer')}`).join(' ');
  const ids = [...need.keys()].map((userId) => q.p(userId)).join(', ');
  // On PostgreSQL several nodes write at once: rows are locked in id order (the sorted
  // FOR UPDATE sub-select), or two batches naming the same users in another order deadlock.
  // SQLite has one writer at a time and needs no order.
  const sql =
    ctx.kind === 'postgres'
      ? `UPDATE "User" u SET "inboxSeq" = u."inboxSeq" + CASE u."id" ${cases} ELSE 0 END ` +
        `FROM (SELECT "id" FROM "User" WHERE "id" IN (${ids}) ORDER BY "id" FOR UPDATE) locked ` +
        `WHERE u."id" = locked."id" RETURNING u."id", u."inboxSeq"`
      : `UPDATE "User" SET "inboxSeq" = "inboxSeq" + CASE "id" ${cases} ELSE 0 END ` +
        `WHERE "id" IN (${ids}) RETURNING "id", "inboxSeq"`;
  const rows = await tx.$queryRawUnsafe<{ id: string; inboxSeq: number | bigint }[]>(sql, ...q.params);
  if (rows.length !== need.size) throw new Error('append: an inbox owner does not exist');
  return new Map(rows.map((r) => [r.id, Number(r.inboxSeq) - need.get(r.id)!]));
}

/** The inbox and the hot path on Prisma. */
export class PrismaInbox implements InboxRepository {
  private transaction: TransactionRunner;

  constructor(
    private readonly ctx: StoreContext,
    /** SQLite on a file: inbox reads run there, prepared once (see SqliteReader). */
    private readonly reader: SqliteReader | null = null,
  ) {
    // A batch waits for other nodes' batches that lock the same users; under load that can take
    // longer than Prisma's default 5 s.
    this.transaction = (fn) => this.ctx.db.$transaction((tx) => fn(tx), { maxWait: 10_000, timeout: 30_000 });
  }

  /** From now on `append` runs its transactions through `runner` (the PostgreSQL writer's own `pg` connection). */
  useTransactions(runner: TransactionRunner): void {
    this.transaction = runner;
  }

  /**
   * Written as plain SQL through Prisma's raw queries: building a 100-row insert through the query
   * builder costs tens of milliseconds, the raw statement about one. Rows go in chunks so no
   * statement passes the drivers' parameter limits. A batch costs a fixed handful of statements
   * whatever its size.
   */
  async append(batch: WriteItem[]): Promise<WriteResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        // SQLite: a transaction that read before its first write is refused at once (not after the
        // busy timeout) when another connection committed meanwhile, e.g. the server's writer
        // thread indexing messages for search while a second process writes; it rolled back, so
        // it is run again.
        return await this.ctx.retryBusy(() => this.appendOnce(batch), 10);
      } catch (err) {
        // Two nodes stored the same (senderId, clientId) at once (tabs on two nodes resending).
        // PostgreSQL reports the clash only once the other transaction has committed, so the
        // next attempt finds that message and answers this one as its duplicate.
        if (attempt < 3 && isClientIdClash(err)) continue;
        throw err;
      }
    }
  }

  private async appendOnce(batch: WriteItem[]): Promise<WriteResult[]> {
    if (batch.length === 0) return [];
    return this.transaction(async (tx) => {
      const messages = batch.flatMap((item) => (item.type === 'message' ? [item.message] : []));
      const receipts = batch.flatMap((item) => (item.type === 'receipt' ? [item.receipt] : []));

      // 1. Decide what gets written (fanout-plan.ts): new messages (not resends), receipts that
      // move forward, and whose inboxes get an entry.
      const stored = await this.storedResends(tx, messages);
      const markers = await this.currentMarkers(tx, receipts);
      // Who is in each room now: the transaction fans room messages out to exactly these members.
      const members = await this.currentMembers(tx, roomsOf(batch));
      const plan = planFanout(batch, { stored, markers, members });

      // 2. Inbox positions for every owner, in one statement.
      const need = inboxNeeds(plan);
      const before = need.size ? await this.reserveInboxSeqs(tx, need) : new Map<string, number>();
      const entriesOf = placeEntries(plan, before);

      // 3. The writes.
      await this.insertMessages(
        tx,
        plan.flatMap((p) => (p.type === 'message' && !p.duplicate && !p.refused ? [p.message] : [])),
      );
      await this.upsertMarkers(
        tx,
        plan.flatMap((p) => (p.type === 'receipt' && p.advanced ? [p.receipt] : [])),
      );
      await this.insertEntries(tx, entriesOf.flat());

      return writeResults(plan, entriesOf);
    });
  }

  private async storedResends(tx: Tx, messages: NewMessage[]): Promise<Map<string, MessageRecord>> {
    const found = new Map<string, MessageRecord>();
    for (const part of chunks(messages, ROWS_PER_STATEMENT)) {
      const q = this.ctx.sql();
      const pairs = part.map((m) => `(${q.p(m.senderId)}, ${q.p(m.clientId)})`).join(', ');
      const rows = await tx.$queryRawUnsafe<RawMessageRow[]>(
        `SELECT ${MESSAGE_COLUMNS} FROM "Message" WHERE ("senderId", "clientId") IN (VALUES ${pairs})`,
        ...q.params,
      );
      for (const row of rows) found.set(resendKey(row), toMessage(row));
    }
    return found;
  }

  private async currentMarkers(tx: Tx, receipts: ReceiptRecord[]): Promise<Map<string, Marker>> {
    const found = new Map<string, Marker>();
    for (const part of chunks(receipts, ROWS_PER_STATEMENT)) {
      const q = this.ctx.sql();
      const pairs = part.map((r) => `(${q.p(r.readerId)}, ${q.p(r.conversationId)})`).join(', ');
      const rows = await tx.$queryRawUnsafe<
        {
          userId: string;
          conversationId: string;
          deliveredUpTo: string | null;
          readUpTo: string | null;
        }[]
      >(
        `SELECT "userId", "conversationId", "deliveredUpTo", "readUpTo" FROM "ReadMarker" ` +
          `WHERE ("userId", "conversationId") IN (VALUES ${pairs})`,
        ...q.params,
      );
      for (const row of rows) {
        found.set(markerKey({ readerId: row.userId, conversationId: row.conversationId }), {
          delivered: row.deliveredUpTo ?? '',
          read: row.readUpTo ?? '',
        });
      }
    }
    return found;
  }

  /** Members (not invitees) of each room, in one statement; on PostgreSQL the rows stay locked against removal until commit. */
  private async currentMembers(tx: Tx, roomIds: string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    if (roomIds.length === 0) return found;
    const q = this.ctx.sql();
    const ids = roomIds.map((id) => q.p(id)).join(', ');
    const rows = await tx.$queryRawUnsafe<{ roomId: string; userId: string }[]>(
      `SELECT "roomId", "userId" FROM "RoomMember" WHERE "roomId" IN (${ids}) AND "role" <> 'invited' ` +
        `ORDER BY "roomId", "createdAt"${this.ctx.kind === 'postgres' ? ' FOR SHARE' : ''}`,
      ...q.params,
    );
    for (const row of rows) {
      const list = found.get(row.roomId) ?? [];
      list.push(row.userId);
      found.set(row.roomId, list);
    }
    return found;
  }

  private async insertMessages(tx: Tx, messages: MessageRecord[]): Promise<void> {
    for (const part of chunks(messages, ROWS_PER_STATEMENT)) {
      const q = this.ctx.sql();
      const values = part
        .map(
          (m) =>
            `(${messageInsertValues(m)
              .map((v) => (v === null ? 'NULL' : q.p(v)))
              .join(', ')}, ${q.time(m.createdAt)})`,
        )
        .join(', ');
      await tx.$executeRawUnsafe(`INSERT INTO "Message" (${MESSAGE_INSERT_COLUMNS}) VALUES ${values}`, ...q.params);
      // SQLite: each message with text gets its search key, for the background indexer (message-search-sql.ts).
      const searchable = part.filter((m) => m.body !== '');
      if (this.ctx.kind === 'sqlite' && searchable.length > 0) {
        const keys = this.ctx.sql();
        await tx.$executeRawUnsafe(
          `INSERT INTO "MessageSearchKey" ("messageId") VALUES ${searchable.map((m) => `(${keys.p(m.id)})`).join(', ')}`,
          ...keys.params,
        );
      }
    }
  }

  /** Markers only move forward, also against a concurrent writer on another node. */
  private async upsertMarkers(tx: Tx, receipts: ReceiptRecord[]): Promise<void> {
    for (const part of chunks(receipts, ROWS_PER_STATEMENT)) {
      const q = this.ctx.sql();
      const values = part
        .map(
          (r) =>
            `(${q.p(r.readerId)}, ${q.p(r.conversationId)}, ${q.p(r.upTo)}, ` +
            `${r.kind === 'read' ? q.p(r.upTo) : 'NULL'}, ${q.time(r.at)})`,
        )
        .join(', ');
      const forward = (column: string) =>
        `"${column}" = CASE WHEN excluded."${column}" IS NOT NULL AND ` +
        `(${'"ReadMarker"'}."${column}" IS NULL OR excluded."${column}" > "ReadMarker"."${column}") ` +
        `THEN excluded."${column}" ELSE "ReadMarker"."${column}" END`;
      await tx.$executeRawUnsafe(
        `INSERT INTO "ReadMarker" ("userId", "conversationId", "deliveredUpTo", "readUpTo", "updatedAt") VALUES ${values} ` +
          `ON CONFLICT ("userId", "conversationId") DO UPDATE SET ${forward('deliveredUpTo')}, ${forward('readUpTo')}, ` +
          `"updatedAt" = excluded."updatedAt"`,
        ...q.params,
      );
    }
  }

  private async insertEntries(tx: Tx, entries: InboxRecord[]): Promise<void> {
    await insertInboxEntries(this.ctx, tx, entries);
  }

  private reserveInboxSeqs(tx: Tx, need: Map<string, number>): Promise<Map<string, number>> {
    return reserveInboxSeqs(this.ctx, tx, need);
  }

  /**
   * One page of the inbox with each entry's message: one statement, the rows as arrays. On an
   * SQLite file it runs on the store's reader connection, prepared once (a storm of reconnecting
   * clients syncs at once; through Prisma's query builder the same page cost several times the
   * CPU, mostly in the client's interpreter).
   */
  async readInbox(userId: string, after: number, limit: number): Promise<InboxRecord[]> {
    const q = this.ctx.sql();
    const sql =
      `SELECT e."userId", e."seq", e."kind", e."data", ${messageColumns('m')} FROM "InboxEntry" e ` +
      `LEFT JOIN "Message" m ON m."id" = e."messageId" ` +
      `WHERE e."userId" = ${q.p(userId)} AND e."seq" > ${q.p(after, '::integer')} ` +
      `ORDER BY e."seq" LIMIT ${q.p(limit, '::integer')}`;
    const rows = await readRows(this.reader, this.ctx.db, sql, q.params);
    return rows.flatMap(
      (row) =>
        toInboxRecord({
          userId: String(row[0]),
          seq: Number(row[1]),
          kind: String(row[2]),
          data: row[3] as string | null,
          message: row[4] === null ? null : rawMessageAt(row, 4),
        }) ?? [],
    );
  }

  async inboxHead(userId: string): Promise<number> {
    const q = this.ctx.sql();
    const sql = `SELECT "inboxSeq" FROM "User" WHERE "id" = ${q.p(userId)}`;
    const rows = await readRows(this.reader, this.ctx.db, sql, q.params);
    return Number(rows[0]?.[0] ?? 0);
  }
}
