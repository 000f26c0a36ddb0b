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

  async findMessageByClientId(senderId: string, clientId: string): Promise<MessageRecord | null> {
    const row = await this.ctx.db.message.findUnique({ where: { senderId_clientId: { senderId, clientId } } });
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
    const pg = this.ctx.kind === 'postgres';
    // The same test on every path, so pages agree. PostgreSQL: ILIKE. SQLite: the text contains
    // the query, A–Z in any case (lower() folds ASCII only; queries without ASCII letters skip it).
    const contains = (q: Sql) =>
      pg
        ? `m."body" ILIKE ${q.p(likePattern(query))} ESCAPE '\\'`
        : /[A-Za-z]/.test(query)
          ? `instr(lower(m."body"), lower(${q.p(query)})) > 0`
          : `instr(m."body", ${q.p(query)}) > 0`;
    // One or two characters make no trigram: walk the conversation newest first through its
    // (conversationId, id) index, to the end if need be.
    if ([...query].length < 3)
      return this.searchRows(conversationId, viewerId, before, limit, (q) => ({ match: contains(q) }));
    // Longer queries: first the newest SEARCH_WINDOW messages, walked like that (a common word
    // fills the page there, where the index would hand over every message holding it, in every
    // conversation, to be sorted); then, past them, the trigram index (on SQLite with the
    // messages it has not indexed yet).
    const q = this.ctx.sql();
    const [edge] = await this.ctx.db.$queryRawUnsafe<{ id: string }[]>(
      `SELECT m."id" FROM "Message" m WHERE m."conversationId" = ${q.p(conversationId)}` +
        (before ? ` AND m."id" < ${q.p(before)}` : '') +
        ` ORDER BY m."id" DESC LIMIT 1 OFFSET ${SEARCH_WINDOW - 1}`,
      ...q.params,
    );
    const recent = await this.searchRows(conversationId, viewerId, before, limit, (q) => ({
      match: contains(q) + (edge ? ` AND m."id" >= ${q.p(edge.id)}` : ''),
    }));
    if (!edge || recent.length >= limit) return recent;
    const older = await this.searchRows(conversationId, viewerId, edge.id, limit - recent.length, (q) =>
      pg
        ? {
            // The trigram index, whatever the planner guesses of the pattern (left to itself, it
            // walked the primary key backwards through a conversation for a rare Chinese word).
            with:
              `WITH "hits" AS MATERIALIZED (SELECT "id" FROM "Message" m WHERE ${contains(q)} ` +
              `AND m."id" < ${q.p(edge.id)}) `,
            from: `"hits" JOIN "Message" m ON m."id" = "hits"."id"`,
            match: 'TRUE',
          }
        : {
            // Every message holding the query's trigrams (anywhere: the index keeps no positions),
            // and every one the background indexer has not reached yet (keys above its cursor:
            // search-indexer.ts), so a message is found as soon as it is stored; then the
            // containment test. CROSS JOIN keeps SQLite from starting anywhere else.
            from:
              `(SELECT "rowid" AS "key" FROM "MessageSearch" WHERE "MessageSearch" MATCH ${q.p(ftsTrigrams(query))} ` +
              `UNION ALL SELECT "id" FROM "MessageSearchKey" WHERE "id" > (SELECT "indexedUpTo" FROM "MessageSearchCursor")) "hits" ` +
              `CROSS JOIN "MessageSearchKey" k CROSS JOIN "Message" m`,
            match: `k."id" = "hits"."key" AND m."id" = k."messageId" AND ${contains(q)}`,
          },
    );
    return [...recent, ...older];
  }

  /**
   * The search's statement: messages of the conversation older than `before` passing `where`'s
   * test, not deleted, not hidden from the viewer, newest first.
   */
  private async searchRows(
    conversationId: string,
    viewerId: string,
    before: string | undefined,
    limit: number,
    where: (q: Sql) => { with?: string; from?: string; match: string },
  ): Promise<MessageRecord[]> {
    const q = this.ctx.sql();
    const { with: ctes = '', from = '"Message" m', match } = where(q);
    const rows = await this.ctx.db.$queryRawUnsafe<RawMessageRow[]>(
      `${ctes}SELECT ${messageColumns('m')} FROM ${from} WHERE ${match} AND m."conversationId" = ${q.p(conversationId)} ` +
        `AND m."deletedAt" IS NULL ` +
        (before ? `AND m."id" < ${q.p(before)} ` : '') +
        `AND ${notHidden(q, viewerId)} ORDER BY m."id" DESC LIMIT ${q.p(limit, '::integer')}`,
      ...q.params,
    );
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
    // Inbox entries go with their messages (ON DELETE CASCADE); their earlier texts, reactions
    // and hidden marks (kept without a foreign key) first, in the same transaction.
    const old = (q: Sql) =>
      `SELECT "id" FROM "Message" WHERE "siteId" = ${q.p(siteId)} AND "createdAt" < ${q.time(before)}`;
    const statements = ['MessageEdit', 'MessageReaction', 'HiddenMessage'].map((table) => {
      const q = this.ctx.sql();
      return this.ctx.db.$executeRawUnsafe(`DELETE FROM "${table}" WHERE "messageId" IN (${old(q)})`, ...q.params);
    });
    const results = await this.ctx.retryBusy(() =>
      this.ctx.db.$transaction([
        ...statements,
        this.ctx.db.message.deleteMany({ where: { siteId, createdAt: { lt: before } } }),
      ]),
    );
    return (results.at(-1) as { count: number }).count;
  }
}

/**
 * How many of a conversation's newest messages (older than the page's `before`) a search
 * of three characters or more walks before it turns to the trigram index.
 */
const SEARCH_WINDOW = 1_000;

/** Leaves out the messages `viewerId` deleted for themselves (a primary-key probe per row). */
function notHidden(q: Sql, viewerId: string): string {
  return `NOT EXISTS (SELECT 1 FROM "HiddenMessage" h WHERE h."userId" = ${q.p(viewerId)} AND h."messageId" = m."id")`;
}

/** A LIKE pattern matching `text` anywhere, its own `%`, `_` and backslash taken literally (ESCAPE '\\'). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * An FTS5 query for messages holding `text`'s trigrams (three or more characters): each a quoted
 * string (its own quotes doubled, so nothing in it is an operator or a prefix), joined by AND.
 * Every third one and the last cover the text; the index keeps no positions (`detail=none`), so
 * this finds a superset that the caller narrows with a containment test.
 */
export function ftsTrigrams(text: string): string {
  const chars = [...text];
  const starts = new Set<number>();
  for (let i = 0; i + 3 <= chars.length; i += 3) starts.add(i);
  starts.add(chars.length - 3);
  return [...starts]
    .map(
      (i) =>
        `"${chars
          .slice(i, i + 3)
          .join('')
          .replace(/"/g, '""')}"`,
    )
    .join(' AND ');
}
