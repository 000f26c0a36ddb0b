import type { ConversationRow, MessageRecord } from '../records.js';
import type { MessagesRepository } from '../repositories/messages.js';
import type { Sql, StoreContext } from './context.js';
import { toMessage } from './rows.js';

/** Stored messages on Prisma. */
export class PrismaMessages implements MessagesRepository {
  constructor(private readonly ctx: StoreContext) {}

  async getMessage(id: string): Promise<MessageRecord | null> {
    const row = await this.ctx.db.message.findUnique({ where: { id } });
    return row && toMessage(row);
  }

  async history(conversationId: string, before: string | undefined, limit: number): Promise<MessageRecord[]> {
    const rows = await this.ctx.db.message.findMany({
      where: { conversationId, ...(before ? { id: { lt: before } } : {}) },
      orderBy: { id: 'desc' },
      take: limit,
    });
    return rows.map(toMessage);
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
