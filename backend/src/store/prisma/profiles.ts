import type { UserRecord } from '../records.js';
import type { FetchedProfile, ProfilesRepository } from '../repositories/profiles.js';
import type { StoreContext } from './context.js';
import { toUser } from './rows.js';

/** Profiles from the site's profile provider, on Prisma. */
export class PrismaProfiles implements ProfilesRepository {
  constructor(private readonly ctx: StoreContext) {}

  async staleProfiles(
    siteId: string,
    userIds: readonly string[],
    before: Date,
  ): Promise<{ id: string; externalId: string }[]> {
    if (userIds.length === 0) return [];
    const rows = await this.ctx.db.user.findMany({
      where: {
        siteId,
        id: { in: [...userIds] },
        externalId: { not: null },
        deletedAt: null,
        OR: [{ profileFetchedAt: null }, { profileFetchedAt: { lt: before } }],
      },
      select: { id: true, externalId: true },
    });
    return rows.map((r) => ({ id: r.id, externalId: r.externalId! }));
  }

  async saveFetchedProfiles(
    siteId: string,
    asked: readonly string[],
    found: readonly FetchedProfile[],
    at: Date,
  ): Promise<UserRecord[]> {
    if (asked.length === 0) return [];
    const db = this.ctx.db;
    // The compare-and-set that keeps a pushed profile: only rows not given a profile after `at`.
    const notNewer = { OR: [{ profileFetchedAt: null }, { profileFetchedAt: { lte: at } }] };
    const rows = await db.user.findMany({ where: { siteId, externalId: { in: [...asked] }, deletedAt: null } });
    const byExternal = new Map(rows.map((r) => [r.externalId!, r]));
    const changed: UserRecord[] = [];
    const answered = new Set<string>();
    for (const profile of found) {
      const row = byExternal.get(profile.externalId);
      if (!row || answered.has(profile.externalId)) continue;
      answered.add(profile.externalId);
      const data = { displayName: profile.displayName, avatarUrl: profile.avatarUrl, profileFetchedAt: at };
      const { count } = await db.user.updateMany({ where: { id: row.id, ...notNewer }, data });
      if (count === 1 && (row.displayName !== data.displayName || row.avatarUrl !== data.avatarUrl)) {
        changed.push(toUser({ ...row, ...data }));
      }
    }
    const unknown = asked.filter((id) => !answered.has(id) && byExternal.has(id));
    if (unknown.length > 0) {
      await db.user.updateMany({
        where: { siteId, externalId: { in: unknown }, deletedAt: null, ...notNewer },
        data: { profileFetchedAt: at },
      });
    }
    return changed;
  }
}
