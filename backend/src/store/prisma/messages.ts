import type { ConversationRow, MessageRecord } from '../records.js';
import type { HistoryPage, MessagesRepository } from '../repositories/messages.js';
import type { Sql, StoreContext } from './context.js';
import { messageColumns, toMessage, type RawMessageRow } from './rows.js';

/** Stored messages on Prisma. */
export class PrismaMessages implements MessagesRepository {
  constructor(private readonly ctx: StoreContext) {}

  async getMessage(id: string): Promise<MessageRecord | null> {
    const row = await this.ctx.db.message.findUnique({ where: { id } });
    return row && toMessage(row);
  }

  async history(conversationId: string, viewerId: string, page: HistoryPage, limit: number): Promise<MessageRecord[]> {
    const q = this.ctx.sql();
    const where = [`m."conversationId" = ${q.p(conversationId)}`];
    if (page.before) where.push(`m."id" < ${q.p(page.before)}`);
    if (page.after) where.push(`m."id" > ${q.p(page.after)}`);
    where.push(notHidden(q, viewerId));
    // Newer than `after`: the ones just after it, so ascending, then turned newest first.
    const order = page.after ? 'ASC' : 'DESC';
    const rows = await this.ctx.db.$queryRawUnsafe<RawMessageRow[]>(
      `SELECT ${messageColumns('m')} FROM "Message" m WHERE ${where.join(' AND ')} ` +
        `ORDER BY m."id" ${order} LIMIT ${q.p(limit, '::integer')}`,
      ...q.params,
    );
    const messages = rows.map(toMessage);
    return page.after ? messages.reverse() : messages;
  }

  async searchMessages(
    conversationId: string,
    viewerId: string,
    query: string,
    before: string | undefined,
    limit: number,
  ): Promise<MessageRecord[]> {
    const q = this.ctx.sql();
    const columns = messageColumns('m');
    let sql: string;
    if (this.ctx.kind === 'postgres') {
      // pg_trgm's GIN index serves ILIKE (migration 20261201220000_message_search); the planner
      // takes it or the (conversationId, id) index, whichever it thinks cheaper.
      sql =
        `SELECT ${columns} FROM "Message" m WHERE m."conversationId" = ${q.p(conversationId)} ` +
        `AND m."deletedAt" IS NULL AND m."body" ILIKE ${q.p(likePattern(query))} ESCAPE '\\' `;
    } else if ([...query].length >= 3) {
      // The trigram index finds every message holding the query's trigrams in a row, i.e. the
      // query itself, in any conversation; CROSS JOIN keeps SQLite from starting anywhere else.
      sql =
        `SELECT ${columns} FROM "MessageSearch" CROSS JOIN "MessageSearchKey" k CROSS JOIN "Message" m ` +
        `WHERE "MessageSearch" MATCH ${q.p(ftsPhrase(query))} AND k."id" = "MessageSearch"."rowid" ` +
        `AND m."id" = k."messageId" AND m."conversationId" = ${q.p(conversationId)} AND m."deletedAt" IS NULL `;
    } else {
      // One or two characters make no trigram: walk the conversation newest first
      // (the (conversationId, id) index) and compare. lower() folds ASCII letters only.
      sql =
        `SELECT ${columns} FROM "Message" m WHERE m."conversationId" = ${q.p(conversationId)} ` +
        `AND m."deletedAt" IS NULL AND instr(lower(m."body"), lower(${q.p(query)})) > 0 `;
    }
    if (before) sql += `AND m."id" < ${q.p(before)} `;
    sql += `AND ${notHidden(q, viewerId)} ORDER BY m."id" DESC LIMIT ${q.p(limit, '::integer')}`;
    const rows = await this.ctx.db.$queryRawUnsafe<RawMessageRow[]>(sql, ...q.params);
    return rows.map(toMessage);
  }

  async hiddenFor(userId: string, messageId: string): Promise<boolean> {
    const row = await this.ctx.db.hiddenMessage.findUnique({ where: { userId_messageId: { userId, messageId } } });
    return row !== null;
  }

  async conversations(userId: string, limit: number): Promise<ConversationRow[]> {
    const q = this.ctx.sql();
    const me = q.p(userId);
    const me2 = q.p(userId);
    const me3 = q.p(userId);
    const me4 = q.p(userId);
    const lim = q.p(limit, '::integer');
    const rows = await this.ctx.db.$queryRawUnsafe<
      {
        conversationId: string;
        lastId: string;
        unread: number | bigint | string;
      }[]
    >(
      `SELECT m."conversationId", MAX(m."id") AS "lastId", ` +
        `SUM(CASE WHEN m."senderId" <> ${me} AND (r."readUpTo" IS NULL OR m."id" > r."readUpTo") THEN 1 ELSE 0 END) AS "unread" ` +
        `FROM "Message" m LEFT JOIN "ReadMarker" r ON r."userId" = ${me2} AND r."conversationId" = m."conversationId" ` +
        `WHERE (m."senderId" = ${me3} AND m."recipientId" IS NOT NULL) OR m."recipientId" = ${me4} ` +
        `GROUP BY m."conversationId" ORDER BY "lastId" DESC LIMIT ${lim}`,
      ...q.params,
    );
    if (rows.length === 0) return [];
    const [last, peerMarkers] = await Promise.all([
      this.ctx.db.message.findMany({
        where: { id: { in: rows.map((r) => r.lastId) } },
      }),
      this.ctx.db.readMarker.findMany({
        where: {
          conversationId: { in: rows.map((r) => r.conversationId) },
          userId: { not: userId },
        },
      }),
    ]);
    const lastById = new Map(last.map((m) => [m.id, toMessage(m)]));
    const markerOf = new Map(peerMarkers.map((m) => [m.conversationId, m]));
    return rows.flatMap((row) => {
      const lastMessage = lastById.get(row.lastId);
      if (!lastMessage) return [];
      const peerId = lastMessage.senderId === userId ? lastMessage.recipientId : lastMessage.senderId;
      const marker = markerOf.get(row.conversationId);
      return [
        {
          conversationId: row.conversationId,
          peerId,
          lastMessage,
          unread: Number(row.unread),
          peerReadUpTo: marker?.readUpTo ?? null,
          peerDeliveredUpTo: marker?.deliveredUpTo ?? null,
        },
      ];
    });
  }

  async deleteMessagesBefore(siteId: string, before: Date): Promise<number> {
    // Inbox entries go with their messages (ON DELETE CASCADE).
    const { count } = await this.ctx.db.message.deleteMany({
      where: { siteId, createdAt: { lt: before } },
    });
    return count;
  }
}

/** Leaves out the messages `viewerId` deleted for themselves (a primary-key probe per row). */
function notHidden(q: Sql, viewerId: string): string {
  return `NOT EXISTS (SELECT 1 FROM "HiddenMessage" h WHERE h."userId" = ${q.p(viewerId)} AND h."messageId" = m."id")`;
}

/** A LIKE pattern matching `text` anywhere, its own `%`, `_` and backslash taken literally (ESCAPE '\\'). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** An FTS5 query for `text` as one literal phrase: quoted, its own quotes doubled (no operators, no prefixes). */
export function ftsPhrase(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}
