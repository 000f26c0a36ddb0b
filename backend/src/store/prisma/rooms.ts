import type { RoomRole } from '../../protocol/index.js';
import type { RoomCounts, RoomListing, RoomMemberRecord, RoomRecord } from '../records.js';
import type { RoomsRepository } from '../repositories/rooms.js';
import type { StoreContext } from './context.js';
import { jsonDate, rawBool, rawDate, toMember, toRoom, type ListedMemberJson } from './rows.js';

/** Rooms and members on Prisma. */
export class PrismaRooms implements RoomsRepository {
  constructor(private readonly ctx: StoreContext) {}

  async createRoom(
    room: RoomRecord,
    members: { userId: string; role: RoomRole; invitedBy: string | null }[],
  ): Promise<void> {
    await this.ctx.retryBusy(() =>
      this.ctx.db.$transaction([
        this.ctx.db.room.create({ data: room }),
        this.ctx.db.roomMember.createMany({
          data: members.map((m) => ({ roomId: room.id, ...m })),
        }),
      ]),
    );
  }

  async getRoom(id: string): Promise<RoomRecord | null> {
    const row = await this.ctx.db.room.findUnique({ where: { id } });
    return row && toRoom(row);
  }

  async updateRoom(id: string, patch: Partial<Pick<RoomRecord, 'name' | 'ownerId' | 'closedAt'>>): Promise<RoomRecord> {
    return toRoom(await this.ctx.db.room.update({ where: { id }, data: patch }));
  }

  async roomMembers(roomId: string): Promise<RoomMemberRecord[]> {
    const rows = await this.ctx.db.roomMember.findMany({
      where: { roomId },
      include: { user: true },
      orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }],
    });
    return rows.map(toMember);
  }

  async roomRole(roomId: string, userId: string): Promise<RoomRole | null> {
    const row = await this.ctx.db.roomMember.findUnique({
      where: { roomId_userId: { roomId, userId } },
      select: { role: true },
    });
    return (row?.role as RoomRole | undefined) ?? null;
  }

  async setRoomMember(roomId: string, userId: string, role: RoomRole, invitedBy: string | null = null): Promise<void> {
    await this.ctx.db.roomMember.upsert({
      where: { roomId_userId: { roomId, userId } },
      create: { roomId, userId, role, invitedBy },
      update: { role },
    });
  }

  async removeRoomMember(roomId: string, userId: string): Promise<boolean> {
    const { count } = await this.ctx.db.roomMember.deleteMany({
      where: { roomId, userId },
    });
    return count > 0;
  }

  async closeRoom(roomId: string, at: Date): Promise<void> {
    await this.ctx.retryBusy(() =>
      this.ctx.db.$transaction([
        this.ctx.db.room.update({ where: { id: roomId }, data: { closedAt: at } }),
        this.ctx.db.roomMember.deleteMany({ where: { roomId } }),
      ]),
    );
  }

  async roomsOf(
    userId: string,
    page: { after?: string; limit?: number } = {},
  ): Promise<{ room: RoomRecord; role: RoomRole }[]> {
    const rows = await this.ctx.db.roomMember.findMany({
      where: { userId, room: { closedAt: null }, ...(page.after ? { roomId: { gt: page.after } } : {}) },
      include: { room: true },
      orderBy: { roomId: 'asc' },
      ...(page.limit ? { take: page.limit } : {}),
    });
    return rows.map((row) => ({
      room: toRoom(row.room),
      role: row.role as RoomRole,
    }));
  }

  async roomList(userId: string, page: { after?: string; limit: number }): Promise<RoomListing[]> {
    const q = this.ctx.sql();
    const pg = this.ctx.kind === 'postgres';
    const me = q.p(userId);
    const after = page.after === undefined ? '' : `AND me."roomId" > ${q.p(page.after)} `;
    const limit = q.p(page.limit, '::integer');
    // One row per room of the page, its members as one JSON array: the driver converts a few
    // values per room instead of a row per member (measured: a third of the time of the plain join).
    const member =
      `'id', u."id", 'username', u."username", 'displayName', u."displayName", 'avatarUrl', u."avatarUrl", ` +
      `'lastSeenAt', u."lastSeenAt", 'role', m."role", 'since', m."createdAt"`;
    const members = pg ? `json_agg(json_build_object(${member}))` : `json_group_array(json_object(${member}))`;
    const rows = await this.ctx.db.$queryRawUnsafe<
      {
        roomId: string;
        myRole: string;
        siteId: string;
        name: string;
        public: unknown;
        ownerId: string;
        createdAt: unknown;
        members: string | ListedMemberJson[];
      }[]
    >(
      `SELECT p."roomId", p."role" AS "myRole", r."siteId", r."name", r."public", r."ownerId", r."createdAt", ` +
        `(SELECT ${members} FROM "RoomMember" m JOIN "User" u ON u."id" = m."userId" WHERE m."roomId" = p."roomId") AS "members" ` +
        `FROM (SELECT me."roomId", me."role" FROM "RoomMember" me JOIN "Room" mr ON mr."id" = me."roomId" ` +
        `WHERE me."userId" = ${me} AND mr."closedAt" IS NULL ${after}ORDER BY me."roomId" LIMIT ${limit}) p ` +
        `JOIN "Room" r ON r."id" = p."roomId" ORDER BY p."roomId"`,
      ...q.params,
    );
    return rows.map((row) => {
      const listed = (typeof row.members === 'string' ? JSON.parse(row.members) : row.members) as ListedMemberJson[];
      const members = listed
        .map((m) => ({
          user: {
            id: m.id,
            username: m.username,
            displayName: m.displayName,
            avatarUrl: m.avatarUrl,
            lastSeenAt: jsonDate(m.lastSeenAt),
          },
          role: m.role as RoomRole,
          createdAt: jsonDate(m.since) ?? new Date(0),
        }))
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.user.id < b.user.id ? -1 : 1));
      return {
        room: {
          id: row.roomId,
          siteId: row.siteId,
          name: row.name,
          public: rawBool(row.public),
          ownerId: row.ownerId,
          closedAt: null,
          createdAt: rawDate(row.createdAt)!,
        },
        role: row.myRole as RoomRole,
        members,
      };
    });
  }

  async roomCounts(userIds: string[]): Promise<Map<string, RoomCounts>> {
    const out = new Map<string, RoomCounts>();
    if (userIds.length === 0) return out;
    const q = this.ctx.sql();
    const members = userIds.map((id) => q.p(id)).join(', ');
    const inviters = userIds.map((id) => q.p(id)).join(', ');
    const rows = await this.ctx.db.$queryRawUnsafe<
      { userId: string; owned: unknown; held: unknown; invited: unknown; invitesSent: unknown }[]
    >(
      `SELECT c."userId", SUM(c."owned") AS "owned", SUM(c."held") AS "held", SUM(c."invited") AS "invited", ` +
        `SUM(c."sent") AS "invitesSent" FROM (` +
        `SELECT "userId", CASE WHEN "role" = 'owner' THEN 1 ELSE 0 END AS "owned", ` +
        `CASE WHEN "role" <> 'invited' THEN 1 ELSE 0 END AS "held", ` +
        `CASE WHEN "role" = 'invited' THEN 1 ELSE 0 END AS "invited", 0 AS "sent" ` +
        `FROM "RoomMember" WHERE "userId" IN (${members}) ` +
        `UNION ALL SELECT "invitedBy", 0, 0, 0, 1 FROM "RoomMember" WHERE "invitedBy" IN (${inviters}) AND "role" = 'invited'` +
        `) c GROUP BY c."userId"`,
      ...q.params,
    );
    for (const r of rows) {
      out.set(r.userId, {
        owned: Number(r.owned),
        held: Number(r.held),
        invited: Number(r.invited),
        invitesSent: Number(r.invitesSent),
      });
    }
    return out;
  }

  async searchPublicRooms(
    siteId: string,
    query: string,
    limit: number,
  ): Promise<{ room: RoomRecord; members: number }[]> {
    // Matched as text, not as a LIKE pattern (see searchUsers).
    let named: { id: string }[] | null = null;
    if (query) {
      const q = this.ctx.sql();
      named = await this.ctx.db.$queryRawUnsafe<{ id: string }[]>(
        `SELECT "id" FROM "Room" WHERE "siteId" = ${q.p(siteId)} AND "public" = ${q.bool(true)} ` +
          `AND "closedAt" IS NULL AND ${this.ctx.position('lower("name")', `lower(${q.p(query)})`)} > 0 ` +
          `ORDER BY "createdAt" DESC LIMIT ${q.p(limit, '::integer')}`,
        ...q.params,
      );
    }
    const rows = await this.ctx.db.room.findMany({
      where: {
        siteId,
        public: true,
        closedAt: null,
        ...(named ? { id: { in: named.map((r) => r.id) } } : {}),
      },
      include: {
        _count: {
          select: { members: { where: { role: { not: 'invited' } } } },
        },
      },
      orderBy: { createdAt: 'desc' },
      take: limit,
    });
    return rows.map(({ _count, ...row }) => ({
      room: toRoom(row),
      members: _count.members,
    }));
  }

  async roomPeers(userId: string): Promise<string[]> {
    const q = this.ctx.sql();
    const rows = await this.ctx.db.$queryRawUnsafe<{ userId: string }[]>(
      roomPeersSql('o."userId"', () => q.p(userId)),
      ...q.params,
    );
    return rows.map((r) => r.userId);
  }
}

/**
 * `SELECT DISTINCT <columns> …` over the room peers of a user (see RoomsRepository.roomPeers): the
 * peer is `o."userId"`. `user()` gives the user as an SQL expression each time it is needed (four
 * times), so that positional placeholders line up on SQLite.
 */
export function roomPeersSql(columns: string, user: () => string): string {
  return (
    `SELECT DISTINCT ${columns} FROM "RoomMember" me JOIN "RoomMember" o ON o."roomId" = me."roomId" ` +
    `WHERE me."userId" = ${user()} AND me."role" <> 'invited' AND o."role" <> 'invited' AND o."userId" <> ${user()} ` +
    // A block, either way, hides presence in rooms too.
    `AND NOT EXISTS (SELECT 1 FROM "Buddy" b WHERE b."state" = 'blocked' AND (` +
    `(b."ownerId" = ${user()} AND b."buddyId" = o."userId") OR (b."ownerId" = o."userId" AND b."buddyId" = ${user()})))`
  );
}
