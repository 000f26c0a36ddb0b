import { roomConversationId, type RoomActivity } from '../records.js';
import type { ReadMarkersRepository } from '../repositories/read-markers.js';
import type { StoreContext } from './context.js';
import { messageColumns, toMessage, type RawMessageRow } from './rows.js';

/** Read markers on Prisma (the hot path writes them: inbox.ts). */
export class PrismaReadMarkers implements ReadMarkersRepository {
  constructor(private readonly ctx: StoreContext) {}

  async roomReadMarkers(roomId: string): Promise<{ userId: string; upTo: string }[]> {
    const q = this.ctx.sql();
    const rows = await this.ctx.db.$queryRawUnsafe<{ userId: string; readUpTo: string }[]>(
      `SELECT r."userId", r."readUpTo" FROM "ReadMarker" r ` +
        `JOIN "RoomMember" m ON m."userId" = r."userId" AND m."roomId" = ${q.p(roomId)} AND m."role" <> 'invited' ` +
        `WHERE r."conversationId" = ${q.p(roomConversationId(roomId))} AND r."readUpTo" IS NOT NULL`,
      ...q.params,
    );
    return rows.map((r) => ({ userId: r.userId, upTo: r.readUpTo }));
  }

  async roomActivity(userId: string, roomIds: string[]): Promise<Map<string, RoomActivity>> {
    const out = new Map<string, RoomActivity>();
    if (roomIds.length === 0) return out;
    const q = this.ctx.sql();
    const me = q.p(userId);
    const mention = q.p(`%"${userId}"%`);
    const me2 = q.p(userId);
    const list = roomIds.map((id) => q.p(roomConversationId(id))).join(', ');
    const me3 = q.p(userId);
    const columns = messageColumns('l');
    // Counts per room, then the newest message and the read marker joined to them: one statement.
    const rows = await this.ctx.db.$queryRawUnsafe<
      (RawMessageRow & {
        unread: number | bigint | string | null;
        mentionCount: number | bigint | string | null;
        readUpTo: string | null;
      })[]
    >(
      `SELECT ${columns}, a."unread", a."mentionCount", rm."readUpTo" FROM (` +
        `SELECT m."conversationId", MAX(m."id") AS "lastId", ` +
        `SUM(CASE WHEN m."senderId" <> ${me} AND (r."readUpTo" IS NULL OR m."id" > r."readUpTo") THEN 1 ELSE 0 END) AS "unread", ` +
        `SUM(CASE WHEN m."mentions" LIKE ${mention} AND (r."readUpTo" IS NULL OR m."id" > r."readUpTo") THEN 1 ELSE 0 END) AS "mentionCount" ` +
        `FROM "Message" m LEFT JOIN "ReadMarker" r ON r."userId" = ${me2} AND r."conversationId" = m."conversationId" ` +
        `WHERE m."conversationId" IN (${list}) GROUP BY m."conversationId") a ` +
        `JOIN "Message" l ON l."id" = a."lastId" ` +
        `LEFT JOIN "ReadMarker" rm ON rm."userId" = ${me3} AND rm."conversationId" = a."conversationId"`,
      ...q.params,
    );
    for (const row of rows) {
      const lastMessage = toMessage(row);
      out.set(lastMessage.roomId!, {
        lastMessage,
        unread: Number(row.unread ?? 0),
        mentions: Number(row.mentionCount ?? 0),
        readUpTo: row.readUpTo,
      });
    }
    return out;
  }
}
