import { ErrorCode } from '../../protocol/index.js';
import { ParleyError } from '../../errors.js';
import type { NewUser, UserPatch, UserRecord } from '../records.js';
import type { UsersRepository } from '../repositories/users.js';
import type { StoreContext } from './context.js';
import { toUser } from './rows.js';

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'P2002';
}

/** Users on Prisma. */
export class PrismaUsers implements UsersRepository {
  constructor(private readonly ctx: StoreContext) {}

  async getUser(id: string): Promise<UserRecord | null> {
    const row = await this.ctx.db.user.findUnique({ where: { id } });
    return row && toUser(row);
  }

  async findUserByUsername(siteId: string, username: string): Promise<UserRecord | null> {
    const row = await this.ctx.db.user.findUnique({
      where: { siteId_username: { siteId, username } },
    });
    return row && toUser(row);
  }

  async findUserByExternalId(siteId: string, externalId: string): Promise<UserRecord | null> {
    const row = await this.ctx.db.user.findUnique({
      where: { siteId_externalId: { siteId, externalId } },
    });
    return row && toUser(row);
  }

  async createUser(user: NewUser): Promise<void> {
    try {
      await this.ctx.db.user.create({ data: user });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ParleyError(ErrorCode.UsernameTaken, 'That username is taken.');
      throw err;
    }
  }

  async updateUser(id: string, patch: UserPatch): Promise<UserRecord> {
    const { email } = patch;
    if (email === undefined || patch.emailConfirmedAt !== undefined) {
      return toUser(await this.ctx.db.user.update({ where: { id }, data: patch }));
    }
    // A confirmation belongs to one address: it survives only if the stored address is the same
    // one, decided in the statement itself (a caller's copy of the user may be stale).
    if (email !== null) {
      const { count } = await this.ctx.db.user.updateMany({ where: { id, email }, data: patch });
      if (count === 1) return toUser(await this.ctx.db.user.findUniqueOrThrow({ where: { id } }));
    }
    return toUser(await this.ctx.db.user.update({ where: { id }, data: { ...patch, emailConfirmedAt: null } }));
  }

  async setLastSeen(userId: string, at: Date): Promise<void> {
    await this.ctx.db.user.update({
      where: { id: userId },
      data: { lastSeenAt: at },
    });
  }

  async searchUsers(siteId: string, query: string, limit: number): Promise<UserRecord[]> {
    // The text is matched as text: LIKE (what Prisma's startsWith/contains become) would take `%`
    // and `_` in the query as wildcards, and SQLite's LIKE has no default escape character.
    const q = this.ctx.sql();
    const ids = await this.ctx.db.$queryRawUnsafe<{ id: string }[]>(
      // Users the host deleted are nobody to find (docs/api.md#deleting-users).
      `SELECT "id" FROM "User" WHERE "siteId" = ${q.p(siteId)} AND "deletedAt" IS NULL AND (` +
        `${this.ctx.position('"username"', q.p(query.toLowerCase()))} = 1 OR ` +
        `${this.ctx.position('lower("displayName")', `lower(${q.p(query)})`)} > 0) ` +
        `ORDER BY "username" LIMIT ${q.p(limit, '::integer')}`,
      ...q.params,
    );
    const rows = await this.ctx.db.user.findMany({
      where: { id: { in: ids.map((r) => r.id) } },
      orderBy: { username: 'asc' },
    });
    return rows.map(toUser);
  }

  async confirmEmail(userId: string, email: string, at: Date): Promise<boolean> {
    const { count } = await this.ctx.db.user.updateMany({
      where: { id: userId, email },
      data: { emailConfirmedAt: at },
    });
    return count === 1;
  }
}
