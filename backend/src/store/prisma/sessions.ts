import type { RosterRow, SessionRecord, StoredConnection, UserRecord } from '../records.js';
import type { SessionsRepository } from '../repositories/sessions.js';
import type { StoreContext } from './context.js';
import { roomPeersSql } from './rooms.js';
import { ACCEPTED_BACK, BUDDY_COLUMNS, toRosterRow } from './roster.js';
import { rawBool, rawDate, rawUser, USER_COLUMNS, USER_SELECT, type RawUserRow } from './rows.js';
import type { SiteMemo } from './sites.js';
import { readRows, type SqliteReader } from './sqlite-reader.js';

/**
 * Row kinds of the connect statement, and its columns (the same for every kind): k, x1…x4 (text),
 * t1, t2 (times), f (boolean), n (integer), then the user columns (USER_COLUMNS).
 */
const SESSION = 1;
const SITE = 0;
const BUDDY = 2;
const PEER = 3;
const K = 0;
const X1 = 1;
const X2 = 2;
const X3 = 3;
const X4 = 4;
const T1 = 5;
const T2 = 6;
const F = 7;
const N = 8;
const USER = 9;

const NO_USER = USER_COLUMNS.map(() => 'NULL').join(', ');
/** A buddy's columns where the user columns go, the others NULL (a roster shows only BUDDY_COLUMNS). */
const BUDDY_AS_USER = USER_COLUMNS.map((c) =>
  (BUDDY_COLUMNS as readonly string[]).includes(c) ? `u."${c}"` : 'NULL',
).join(', ');
const BUDDY_AT = BUDDY_COLUMNS.map((c) => USER + USER_COLUMNS.indexOf(c));

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
      `UNION ALL SELECT ${BUDDY}, b."state", b."groupName", NULL, NULL, NULL, NULL, ${ACCEPTED_BACK}, NULL, ${BUDDY_AS_USER} ` +
      `FROM "Buddy" b JOIN "User" u ON u."id" = b."buddyId" WHERE b."ownerId" = ${user()} ` +
      // The NULLs stay outside the DISTINCT, where PostgreSQL would make them text.
      `UNION ALL SELECT ${PEER}, p."userId", NULL, NULL, NULL, NULL, NULL, NULL, NULL, ${NO_USER} ` +
      `FROM (${roomPeersSql('o."userId"', user)}) p`;
    const rows = await readRows(this.reader, this.ctx.db, sql, q.params);
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
      switch (Number(row[K])) {
        case SESSION: {
          const user = rawUser(Object.fromEntries(USER_COLUMNS.map((c, i) => [c, row[USER + i]])) as RawUserRow);
          found.user = user;
          found.session = {
            id: String(row[X1]),
            userId: user.id,
            expiresAt: rawDate(row[T1])!,
            revokedAt: rawDate(row[T2]),
          };
          found.inboxHead = Number(row[N] ?? 0);
          isLive = rawBool(row[F]);
          break;
        }
        case SITE:
          found.site = this.sites.record({
            id: siteId,
            name: String(row[X1]),
            secret: String(row[X2]),
            origins: String(row[X3]),
            settings: String(row[X4]),
          });
          break;
        case BUDDY:
          (roster ??= []).push(
            toRosterRow(row[X1], row[X2], row[F], [
              row[BUDDY_AT[0]!],
              row[BUDDY_AT[1]!],
              row[BUDDY_AT[2]!],
              row[BUDDY_AT[3]!],
              row[BUDDY_AT[4]!],
            ]),
          );
          break;
        case PEER:
          (peers ??= []).push(String(row[X1]));
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
