import type { RosterRow, SessionRecord, StoredConnection, UserRecord } from '../records.js';
import type { SessionsRepository } from '../repositories/sessions.js';
import type { StoreContext } from './context.js';
import { roomPeersSql } from './rooms.js';
import { ACCEPTED_BACK, toRosterRow, type RawRosterRow } from './roster.js';
import { rawBool, rawDate, rawUser, USER_COLUMNS, USER_SELECT, type RawUserRow } from './rows.js';
import type { SiteMemo } from './sites.js';
import type { SqliteReader } from './sqlite-reader.js';

/** The columns of the connect statement's rows, whatever their kind (see `connection`). */
type ConnectionRow = RawUserRow & {
  k: unknown;
  x1: unknown;
  x2: unknown;
  x3: unknown;
  x4: unknown;
  t1: unknown;
  t2: unknown;
  f: unknown;
  n: unknown;
};

/** Row kinds of the connect statement. */
const SESSION = 1;
const SITE = 0;
const BUDDY = 2;
const PEER = 3;

const NO_USER = USER_COLUMNS.map(() => 'NULL').join(', ');

/** Sessions on Prisma. */
export class PrismaSessions implements SessionsRepository {
  constructor(
    private readonly ctx: StoreContext,
    private readonly sites: SiteMemo,
    /** SQLite on a file: the connect statement runs there, prepared once (see SqliteReader). */
    private readonly reader: SqliteReader | null = null,
  ) {}

  /**
   * One statement, four kinds of rows (UNION ALL, told apart by "k"): the session with its user and
   * inbox head, the site, and for a live session of that site the roster rows and the room peers.
   * "f" of the session row says whether the roster and peers were read (the session is live).
   * Rows of different kinds share columns x1…x4 (text), t1, t2 (times), f (boolean), n (integer)
   * and the user columns; the first branch gives each column its type (PostgreSQL resolves the
   * types of a UNION pairwise, so a column that is NULL in the first two branches must be cast).
   */
  async connection(siteId: string, sessionId: string, at: Date): Promise<StoredConnection> {
    const q = this.ctx.sql();
    const liveSession =
      `SELECT s."userId" AS "id" FROM "Session" s JOIN "User" me ON me."id" = s."userId" ` +
      `WHERE s."id" = ${q.p(sessionId)} AND s."revokedAt" IS NULL AND s."expiresAt" > ${q.time(at)} ` +
      `AND me."siteId" = ${q.p(siteId)}`;
    const user = () => '(SELECT "id" FROM live)';
    const sql =
      `WITH live AS (${liveSession}) ` +
      `SELECT ${SESSION} AS "k", s."id" AS "x1", CAST(NULL AS TEXT) AS "x2", CAST(NULL AS TEXT) AS "x3", ` +
      `CAST(NULL AS TEXT) AS "x4", s."expiresAt" AS "t1", s."revokedAt" AS "t2", EXISTS (SELECT 1 FROM live) AS "f", ` +
      `u."inboxSeq" AS "n", ${USER_SELECT} ` +
      `FROM "Session" s JOIN "User" u ON u."id" = s."userId" WHERE s."id" = ${q.p(sessionId)} ` +
      `UNION ALL SELECT ${SITE}, st."name", st."secret", st."origins", st."settings", NULL, NULL, NULL, NULL, ${NO_USER} ` +
      `FROM "Site" st WHERE st."id" = ${q.p(siteId)} ` +
      `UNION ALL SELECT ${BUDDY}, b."state", b."groupName", NULL, NULL, NULL, NULL, ${ACCEPTED_BACK}, NULL, ${USER_SELECT} ` +
      `FROM "Buddy" b JOIN "User" u ON u."id" = b."buddyId" WHERE b."ownerId" = ${user()} ` +
      // The NULLs stay outside the DISTINCT, where PostgreSQL would make them text.
      `UNION ALL SELECT ${PEER}, p."userId", NULL, NULL, NULL, NULL, NULL, NULL, NULL, ${NO_USER} ` +
      `FROM (${roomPeersSql('o."userId"', user)}) p`;
    const rows = this.reader
      ? this.reader.all<ConnectionRow>(sql, q.params)
      : await this.ctx.db.$queryRawUnsafe<ConnectionRow[]>(sql, ...q.params);
    const found: StoredConnection = {
      site: null,
      session: null,
      user: null,
      inboxHead: 0,
      roster: null,
      roomPeers: null,
    };
    let isLive = false;
    let roster: RosterRow[] | null = null;
    let peers: string[] | null = null;
    for (const row of rows) {
      switch (Number(row.k)) {
        case SESSION:
          found.user = rawUser(row);
          found.session = {
            id: String(row.x1),
            userId: found.user.id,
            expiresAt: rawDate(row.t1)!,
            revokedAt: rawDate(row.t2),
          };
          found.inboxHead = Number(row.n ?? 0);
          isLive = rawBool(row.f);
          break;
        case SITE:
          found.site = this.sites.record({
            id: siteId,
            name: String(row.x1),
            secret: String(row.x2),
            origins: String(row.x3),
            settings: String(row.x4),
          });
          break;
        case BUDDY:
          (roster ??= []).push(toRosterRow({ ...row, state: row.x1, groupName: row.x2, back: row.f } as RawRosterRow));
          break;
        case PEER:
          (peers ??= []).push(String(row.x1));
          break;
      }
    }
    if (isLive) {
      // A live session with no buddies and no rooms has rows of neither kind.
      found.roster = roster ?? [];
      found.roomPeers = peers ?? [];
    }
    return found;
  }

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
