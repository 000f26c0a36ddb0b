import type { DigestCandidate, MessageRecord } from '../records.js';
import type { DigestsRepository } from '../repositories/digests.js';
import type { Sql, StoreContext } from './context.js';
import { messageColumns, toMessage, toUser, type RawMessageRow } from './rows.js';

/** Digest candidates and claims on Prisma. */
export class PrismaDigests implements DigestsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Waiting messages are found through the user's inbox (room messages and one-to-one alike), so
   * a removed member's old room messages still count only until read, and never new ones. Only
   * message entries count (not changes, receipts or hidden marks), and never a deleted message.
   */
  private waitingSql(q: Sql, cutoff: Date): string {
    return (
      `FROM "User" u JOIN "InboxEntry" e ON e."userId" = u."id" AND e."kind" = 'message' ` +
      `JOIN "Message" m ON m."id" = e."messageId" AND m."deletedAt" IS NULL ` +
      `LEFT JOIN "ReadMarker" r ON r."userId" = u."id" AND r."conversationId" = m."conversationId" ` +
      `WHERE m."senderId" <> u."id" AND e."createdAt" <= ${q.time(cutoff)} ` +
      `AND (u."digestUpTo" IS NULL OR e."createdAt" > u."digestUpTo") ` +
      `AND (r."readUpTo" IS NULL OR m."id" > r."readUpTo")`
    );
  }

  async digestCandidates(cutoff: Date, since: Date, limit: number): Promise<DigestCandidate[]> {
    const q = this.ctx.sql();
    const waiting = this.waitingSql(q, cutoff);
    const rows = await this.ctx.db.$queryRawUnsafe<{ id: string; waiting: number | bigint | string }[]>(
      `SELECT u."id", COUNT(*) AS "waiting" ${waiting} AND u."email" IS NOT NULL AND u."emailConfirmedAt" IS NOT NULL ` +
        `AND u."emailDigests" = ${q.bool(true)} ` +
        `AND (u."digestUpTo" IS NULL OR u."digestUpTo" < ${q.time(since)}) ` +
        `GROUP BY u."id" ORDER BY u."id" LIMIT ${q.p(limit, '::integer')}`,
      ...q.params,
    );
    if (rows.length === 0) return [];
    const users = await this.ctx.db.user.findMany({
      where: { id: { in: rows.map((r) => r.id) } },
    });
    const byId = new Map(users.map((u) => [u.id, toUser(u)]));
    return rows.flatMap((r) => {
      const user = byId.get(r.id);
      return user ? [{ user, waiting: Number(r.waiting) }] : [];
    });
  }

  async waitingMessages(userId: string, cutoff: Date, limit: number): Promise<MessageRecord[]> {
    const q = this.ctx.sql();
    const waiting = this.waitingSql(q, cutoff);
    const columns = messageColumns('m');
    const rows = await this.ctx.db.$queryRawUnsafe<RawMessageRow[]>(
      `SELECT ${columns} ${waiting} AND u."id" = ${q.p(userId)} ORDER BY m."id" DESC LIMIT ${q.p(limit, '::integer')}`,
      ...q.params,
    );
    return rows.map(toMessage);
  }

  async claimDigest(userId: string, previous: Date | null, upTo: Date | null): Promise<boolean> {
    const { count } = await this.ctx.db.user.updateMany({
      where: { id: userId, digestUpTo: previous },
      data: { digestUpTo: upTo },
    });
    return count === 1;
  }
}
