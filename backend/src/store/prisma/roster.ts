import type { BuddyState, RelationChange, RosterRow } from '../records.js';
import type { RosterRepository } from '../repositories/roster.js';
import type { StoreContext } from './context.js';
import { rawBool, rawDate, toUser } from './rows.js';

/**
 * Whether the buddy's own row (of the relation `b`, whose buddy is `u`) says "accepted" too, as an
 * SQL expression: the `mutual` of a roster row.
 */
export const ACCEPTED_BACK =
  `EXISTS (SELECT 1 FROM "Buddy" r WHERE r."ownerId" = b."buddyId" AND r."buddyId" = b."ownerId" ` +
  `AND r."state" = 'accepted')`;

/** The buddy columns of a roster row (from `u`), in the order `toRosterRow` reads them. */
export const BUDDY_COLUMNS = ['id', 'username', 'displayName', 'avatarUrl', 'lastSeenAt'] as const;
export const BUDDY_SELECT = BUDDY_COLUMNS.map((c) => `u."${c}"`).join(', ');

/** A roster row from raw values: state, group, `back` (see ACCEPTED_BACK) and the buddy's BUDDY_COLUMNS. */
export function toRosterRow(
  state: unknown,
  group: unknown,
  back: unknown,
  buddy: readonly [unknown, unknown, unknown, unknown, unknown],
): RosterRow {
  const accepted = state === 'accepted';
  return {
    buddy: {
      id: String(buddy[0]),
      username: String(buddy[1]),
      displayName: String(buddy[2]),
      avatarUrl: (buddy[3] as string | null) ?? null,
      lastSeenAt: rawDate(buddy[4]),
    },
    state: String(state) as BuddyState,
    group: (group as string | null) ?? null,
    mutual: accepted && rawBool(back),
  };
}

/** Buddy relations on Prisma. */
export class PrismaRoster implements RosterRepository {
  constructor(private readonly ctx: StoreContext) {}

  async setBuddies(a: string, b: string, state: BuddyState, group: string | null = null): Promise<void> {
    await this.changeRelations([
      { ownerId: a, buddyId: b, state, group },
      { ownerId: b, buddyId: a, state, group },
    ]);
  }

  /** One statement: the user's relations with what the roster shows of each buddy, and whether the other side accepted too. */
  async roster(userId: string): Promise<RosterRow[]> {
    const q = this.ctx.sql();
    const rows = await this.ctx.db.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT b."state", b."groupName", ${ACCEPTED_BACK} AS "back", ${BUDDY_SELECT} ` +
        `FROM "Buddy" b JOIN "User" u ON u."id" = b."buddyId" WHERE b."ownerId" = ${q.p(userId)}`,
      ...q.params,
    );
    return rows.map((row) =>
      toRosterRow(row.state, row.groupName, row.back, [
        row.id,
        row.username,
        row.displayName,
        row.avatarUrl,
        row.lastSeenAt,
      ]),
    );
  }

  async relation(a: string, b: string): Promise<{ ab: RosterRow | null; ba: RosterRow | null }> {
    const rows = await this.ctx.db.buddy.findMany({
      where: {
        OR: [
          { ownerId: a, buddyId: b },
          { ownerId: b, buddyId: a },
        ],
      },
      include: { buddy: true },
    });
    const ab = rows.find((r) => r.ownerId === a);
    const ba = rows.find((r) => r.ownerId === b);
    const mutual = ab?.state === 'accepted' && ba?.state === 'accepted';
    const view = (row: typeof ab): RosterRow | null =>
      row
        ? {
            buddy: toUser(row.buddy),
            state: row.state as BuddyState,
            group: row.groupName,
            mutual,
          }
        : null;
    return { ab: view(ab), ba: view(ba) };
  }

  async changeRelations(changes: RelationChange[]): Promise<void> {
    await this.ctx.retryBusy(() =>
      this.ctx.db.$transaction(
        changes.map(({ ownerId, buddyId, state, group }) =>
          state === null
            ? this.ctx.db.buddy.deleteMany({ where: { ownerId, buddyId } })
            : this.ctx.db.buddy.upsert({
                where: { ownerId_buddyId: { ownerId, buddyId } },
                create: { ownerId, buddyId, state, groupName: group ?? null },
                update: {
                  state,
                  ...(group !== undefined ? { groupName: group } : {}),
                },
              }),
        ),
      ),
    );
  }

  async renameGroup(ownerId: string, from: string, to: string): Promise<number> {
    const { count } = await this.ctx.db.buddy.updateMany({
      where: { ownerId, groupName: from },
      data: { groupName: to },
    });
    return count;
  }

  async areMutualBuddies(a: string, b: string): Promise<boolean> {
    const count = await this.ctx.db.buddy.count({
      where: {
        state: 'accepted',
        OR: [
          { ownerId: a, buddyId: b },
          { ownerId: b, buddyId: a },
        ],
      },
    });
    return count === 2;
  }

  async blockedWith(userId: string): Promise<Set<string>> {
    const q = this.ctx.sql();
    const rows = await this.ctx.db.$queryRawUnsafe<{ id: string }[]>(
      `SELECT "buddyId" AS "id" FROM "Buddy" WHERE "ownerId" = ${q.p(userId)} AND "state" = 'blocked' ` +
        `UNION SELECT "ownerId" FROM "Buddy" WHERE "buddyId" = ${q.p(userId)} AND "state" = 'blocked'`,
      ...q.params,
    );
    return new Set(rows.map((r) => r.id));
  }

  async blocksAmong(userIds: string[]): Promise<[string, string][]> {
    if (userIds.length < 2) return [];
    const q = this.ctx.sql();
    const owners = userIds.map((id) => q.p(id)).join(', ');
    const buddies = userIds.map((id) => q.p(id)).join(', ');
    const rows = await this.ctx.db.$queryRawUnsafe<{ ownerId: string; buddyId: string }[]>(
      `SELECT "ownerId", "buddyId" FROM "Buddy" WHERE "state" = 'blocked' ` +
        `AND "ownerId" IN (${owners}) AND "buddyId" IN (${buddies})`,
      ...q.params,
    );
    return rows.map((r) => [r.ownerId, r.buddyId]);
  }
}
