// Test data, written straight into a fresh SQLite file before the server starts: the schema comes
// from the project's own migrations, rows go in with better-sqlite3 in one transaction (tens of
// thousands of users in seconds). One argon2 hash is computed and shared by every user, so a
// sample can still sign in through the real login endpoint. Sessions are inserted as the server
// stores them (SHA-256 of a random token), so most clients can skip the password check.
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { migrate } from '../../backend/src/store/migrate.ts';
import { hashPassword } from '../../backend/src/services/accounts.ts';
import { directConversationId } from '../../backend/src/services/messaging.ts';

export const SITE = 'demo';
export const PASSWORD = 'bench-pass';
export const BODY_BYTES = 200;

export interface Peer {
  id: string;
  username: string;
  token: string;
}

export interface SeedPlan {
  /** Users in the buddy ring: user i is a mutual buddy of i±1 … i±degree. */
  ringUsers: number;
  ringDegree: number;
  /** One user per entry, with that many messages waiting. */
  drainSingles: number[];
  /** Many users, each with `each` messages waiting. */
  drainMany: { users: number; each: number };
}

export interface SeedResult {
  ring: Peer[];
  drainSender: Peer;
  drainSingles: { peer: Peer; count: number }[];
  drainMany: { peer: Peer; count: number }[];
  ms: number;
  /** Milliseconds per part of the seeding. */
  parts: Record<string, number>;
  rows: { users: number; buddies: number; sessions: number; messages: number };
}

/** Prisma's SQLite DateTime text form. */
const iso = (d: Date) => d.toISOString().replace('Z', '+00:00');

/** A body of exactly BODY_BYTES ASCII bytes beginning with `head`. */
export function padBody(head: string): string {
  return head.length >= BODY_BYTES ? head.slice(0, BODY_BYTES) : head + '.'.repeat(BODY_BYTES - head.length);
}

export async function seed(dbPath: string, plan: SeedPlan): Promise<SeedResult> {
  const started = performance.now();
  const parts: Record<string, number> = {};
  let lap = started;
  const mark = (name: string) => {
    const t = performance.now();
    parts[name] = Math.round(t - lap);
    lap = t;
  };
  await migrate({ kind: 'sqlite', url: dbPath });
  const passwordHash = await hashPassword(PASSWORD);
  mark('migrate+hash');
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -2000000');
  db.pragma('temp_store = MEMORY');
  const now = new Date();
  const created = iso(now);
  const expires = iso(new Date(now.getTime() + 30 * 24 * 3600_000));

  const insertSite = db.prepare(
    'INSERT OR IGNORE INTO "Site" (id, name, secret, origins, settings, createdAt) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertUser = db.prepare(
    'INSERT INTO "User" (id, siteId, username, displayName, avatarUrl, passwordHash, inboxSeq, createdAt) VALUES (?, ?, ?, ?, NULL, ?, 0, ?)',
  );
  const insertSession = db.prepare('INSERT INTO "Session" (id, userId, createdAt, expiresAt) VALUES (?, ?, ?, ?)');
  const insertBuddy = db.prepare(
    "INSERT INTO \"Buddy\" (ownerId, buddyId, state, groupName, createdAt, updatedAt) VALUES (?, ?, 'accepted', 'Bench', ?, ?)",
  );
  const insertMessage = db.prepare(
    'INSERT INTO "Message" (id, siteId, senderId, conversationId, recipientId, clientId, body, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertEntry = db.prepare(
    'INSERT INTO "InboxEntry" (userId, seq, kind, messageId, createdAt) VALUES (?, ?, \'message\', ?, ?)',
  );
  const setSeq = db.prepare('UPDATE "User" SET inboxSeq = ? WHERE id = ?');
  const rows = { users: 0, buddies: 0, sessions: 0, messages: 0 };

  const makeUser = (username: string, displayName: string): Peer => {
    const peer = { id: uuidv7(), username, token: randomBytes(32).toString('base64url') };
    insertUser.run(peer.id, SITE, username, displayName, passwordHash, created);
    insertSession.run(createHash('sha256').update(peer.token).digest('hex'), peer.id, created, expires);
    rows.users++;
    rows.sessions++;
    return peer;
  };
  const befriend = (a: string, b: string) => {
    insertBuddy.run(a, b, created, created);
    insertBuddy.run(b, a, created, created);
    rows.buddies += 2;
  };

  const result = db.transaction(() => {
    // The same site the server's demo seed would create (it then adds alice, bob and carol).
    insertSite.run(
      SITE,
      'Parley demo',
      randomBytes(32).toString('base64url'),
      JSON.stringify(['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*']),
      '{}',
      created,
    );
    const width = String(plan.ringUsers).length;
    const ring = Array.from({ length: plan.ringUsers }, (_, i) => {
      const n = String(i).padStart(width, '0');
      return makeUser(`bench${n}`, `Bench User ${n}`);
    });
    mark('users');
    if (plan.ringUsers > 2 * plan.ringDegree) {
      // Owner by owner, buddies in id order, generated by SQLite itself (a million rows in seconds).
      db.exec('CREATE TEMP TABLE ring (i INTEGER PRIMARY KEY, id TEXT NOT NULL)');
      const insertRing = db.prepare('INSERT INTO ring (i, id) VALUES (?, ?)');
      ring.forEach((peer, i) => insertRing.run(i, peer.id));
      const info = db
        .prepare(
          `WITH RECURSIVE d(v) AS (SELECT -? UNION ALL SELECT v + 1 FROM d WHERE v < ?)
           INSERT INTO "Buddy" (ownerId, buddyId, state, groupName, createdAt, updatedAt)
           SELECT a.id, b.id, 'accepted', 'Bench', ?, ? FROM ring a JOIN d ON d.v <> 0
           JOIN ring b ON b.i = (a.i + d.v + ?) % ? ORDER BY a.i, d.v`,
        )
        .run(plan.ringDegree, plan.ringDegree, created, created, ring.length, ring.length);
      rows.buddies += info.changes;
    }
    mark('buddies');
    const drainSender = makeUser('drainsender', 'Drain Sender');
    const drainSingles = plan.drainSingles.map((count) => ({
      peer: makeUser(`drain${count}`, `Drain ${count}`),
      count,
    }));
    const drainMany = Array.from({ length: plan.drainMany.users }, (_, i) => ({
      peer: makeUser(`drainmany${String(i).padStart(5, '0')}`, `Drain Many ${i}`),
      count: plan.drainMany.each,
    }));
    // Waiting messages from drainSender, generated by SQLite: ids sort in sending order (as the
    // server's time-ordered ids do), each message has an entry in both inboxes, and each inbox
    // counter ends at its last entry.
    db.exec(
      'CREATE TEMP TABLE waiting (id TEXT NOT NULL, username TEXT NOT NULL, conversationId TEXT NOT NULL, n INTEGER NOT NULL, senderBase INTEGER NOT NULL)',
    );
    const insertWaiting = db.prepare('INSERT INTO waiting VALUES (?, ?, ?, ?, ?)');
    let senderSeq = 0;
    for (const { peer, count } of [...drainSingles, ...drainMany]) {
      befriend(drainSender.id, peer.id);
      insertWaiting.run(peer.id, peer.username, directConversationId(drainSender.id, peer.id), count, senderSeq);
      senderSeq += count;
      setSeq.run(count, peer.id);
      rows.messages += count;
    }
    const most = Math.max(0, ...plan.drainSingles, plan.drainMany.users ? plan.drainMany.each : 0);
    const t0 = now.getTime() / 1000 - 3600;
    db.prepare(
      `CREATE TEMP TABLE gen AS WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?)
       SELECT w.id AS userId, k.n AS seq, w.senderBase + k.n AS senderSeq,
              w.id || '-' || printf('%07d', k.n) AS messageId, w.conversationId AS conversationId,
              'seed-' || w.username || '-' || k.n AS clientId,
              substr('drain ' || w.username || ' #' || k.n || ' ' || ?, 1, ?) AS body,
              strftime('%Y-%m-%dT%H:%M:%f', ? + (w.senderBase + k.n) / 1000.0, 'unixepoch') || '+00:00' AS at
       FROM waiting w JOIN k ON k.n <= w.n`,
    ).run(most, '.'.repeat(BODY_BYTES), BODY_BYTES, t0);
    db.prepare(
      `INSERT INTO "Message" (id, siteId, senderId, conversationId, recipientId, clientId, body, createdAt)
       SELECT messageId, ?, ?, conversationId, userId, clientId, body, at FROM gen ORDER BY messageId`,
    ).run(SITE, drainSender.id);
    db.exec(`INSERT INTO "InboxEntry" (userId, seq, kind, messageId, createdAt)
             SELECT userId, seq, 'message', messageId, at FROM gen ORDER BY userId, seq`);
    db.prepare(
      `INSERT INTO "InboxEntry" (userId, seq, kind, messageId, createdAt)
       SELECT ?, senderSeq, 'message', messageId, at FROM gen ORDER BY senderSeq`,
    ).run(drainSender.id);
    db.exec('DROP TABLE gen');
    mark('messages');
    setSeq.run(senderSeq, drainSender.id);
    return { ring, drainSender, drainSingles, drainMany };
  })();
  mark('commit');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  mark('checkpoint');
  return { ...result, ms: performance.now() - started, parts, rows };
}
