import type { SessionRecord, UserRecord } from '../records.js';
import type { SessionsRepository } from '../repositories/sessions.js';
import type { StoreContext } from './context.js';
import { rawDate, rawUser, USER_SELECT, type RawUserRow } from './rows.js';

/** Sessions on Prisma. */
export class PrismaSessions implements SessionsRepository {
  constructor(private readonly ctx: StoreContext) {}

  async createSession(session: Omit<SessionRecord, 'revokedAt'>): Promise<void> {
    await this.ctx.db.session.create({ data: session });
  }

  /** One statement, as every connect and every authenticated request asks for it. */
  async getSession(id: string): Promise<{ session: SessionRecord; user: UserRecord } | null> {
    const q = this.ctx.sql();
    const [row] = await this.ctx.db.$queryRawUnsafe<
      (RawUserRow & { sessionId: unknown; expiresAt: unknown; revokedAt: unknown })[]
    >(
      `SELECT s."id" AS "sessionId", s."expiresAt", s."revokedAt", ${USER_SELECT} ` +
        `FROM "Session" s JOIN "User" u ON u."id" = s."userId" WHERE s."id" = ${q.p(id)}`,
      ...q.params,
    );
    if (!row) return null;
    const user = rawUser(row);
    return {
      session: {
        id: String(row.sessionId),
        userId: user.id,
        expiresAt: rawDate(row.expiresAt)!,
        revokedAt: rawDate(row.revokedAt),
      },
      user,
    };
  }

  async revokeSession(id: string, at: Date): Promise<void> {
    await this.ctx.db.session.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: at },
    });
  }

  async revokeUserSessions(userId: string, at: Date, exceptId?: string): Promise<void> {
    await this.ctx.db.session.updateMany({
      where: {
        userId,
        revokedAt: null,
        ...(exceptId ? { id: { not: exceptId } } : {}),
      },
      data: { revokedAt: at },
    });
  }

  async sessionCount(userId: string, at = new Date()): Promise<number> {
    return this.ctx.db.session.count({ where: { userId, revokedAt: null, expiresAt: { gt: at } } });
  }

  async deleteEndedSessions(before: Date): Promise<number> {
    const { count } = await this.ctx.db.session.deleteMany({
      where: { OR: [{ expiresAt: { lt: before } }, { revokedAt: { lt: before } }] },
    });
    return count;
  }
}
