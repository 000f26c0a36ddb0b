import type { HostUsersRepository } from '../repositories/host-users.js';
import type { UserRecord } from '../records.js';
import type { StoreContext } from './context.js';
import { toUser } from './rows.js';

/** The server API's extra user data on Prisma. */
export class PrismaHostUsers implements HostUsersRepository {
  constructor(private readonly ctx: StoreContext) {}

  async usersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return (await this.ctx.db.user.findMany({ where: { id: { in: [...ids] } } })).map(toUser);
  }

  async userMetadata(userId: string): Promise<string | null> {
    const row = await this.ctx.db.user.findUnique({ where: { id: userId }, select: { metadata: true } });
    return row?.metadata ?? null;
  }

  async setUserMetadata(userId: string, metadata: string | null): Promise<void> {
    await this.ctx.db.user.update({ where: { id: userId }, data: { metadata } });
  }

  async wipeUser(userId: string, wiped: { displayName: string; username: string; at: Date }): Promise<void> {
    await this.ctx.db.user.update({
      where: { id: userId },
      data: {
        displayName: wiped.displayName,
        username: wiped.username,
        externalId: null,
        avatarUrl: null,
        passwordHash: null,
        email: null,
        emailConfirmedAt: null,
        emailDigests: false,
        statusText: '',
        metadata: null,
        profileFetchedAt: null,
        deletedAt: wiped.at,
      },
    });
  }
}
