// The PostgreSQL twin of seed.ts, for the cluster scenario: a database of its own on the local
// PostgreSQL (created here, dropped afterwards), the project's own PostgreSQL migrations (through
// `migrate` of @parley/backend/testing, as the postgres tests and the server do), then bulk rows
// with `pg`: users and sessions as arrays through unnest() (one statement each), buddies generated
// by PostgreSQL itself from a ring of users. As in seed.ts one argon2 hash is shared by every user
// and sessions are stored as the server stores them (SHA-256 of a random token).
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { hashPassword, migrate } from '@parley/backend/testing';
import { PASSWORD, SITE, type Peer } from './seed.ts';

/** Where the benchmark creates its database (trust auth on this machine; any database of the server). */
export const BENCH_PG_URL = process.env.PARLEY_BENCH_PG_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_PG_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A brand-new database `parley_bench_<random>`; `drop()` removes it even while nodes still hold connections. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `parley_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    name,
    url: withDatabase(BENCH_PG_URL, name),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface PgSeedResult {
  ring: Peer[];
  ms: number;
  parts: Record<string, number>;
  rows: { users: number; buddies: number; sessions: number };
}

/**
 * Migrates `url` and writes `ringUsers` users, each a mutual buddy of its `ringDegree` neighbours
 * on either side of a ring (2 × ringDegree buddies each), with one session per user.
 */
export async function seedPostgres(
  url: string,
  plan: { ringUsers: number; ringDegree: number },
): Promise<PgSeedResult> {
  const started = performance.now();
  const parts: Record<string, number> = {};
  let lap = started;
  const mark = (name: string) => {
    const t = performance.now();
    parts[name] = Math.round(t - lap);
    lap = t;
  };
  await migrate({ kind: 'postgres', url });
  const passwordHash = await hashPassword(PASSWORD);
  mark('migrate+hash');

  const now = new Date();
  // TIMESTAMP(3) without time zone, in UTC as Prisma writes it: the cast drops the `Z`.
  const created = now.toISOString();
  const expires = new Date(now.getTime() + 30 * 24 * 3600_000).toISOString();
  const width = String(plan.ringUsers).length;
  const ring: Peer[] = Array.from({ length: plan.ringUsers }, () => ({
    id: uuidv7(),
    username: '',
    token: randomBytes(32).toString('base64url'),
  }));
  ring.forEach((peer, i) => (peer.username = `bench${String(i).padStart(width, '0')}`));

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = { users: 0, buddies: 0, sessions: 0 };
  try {
    await client.query('BEGIN');
    // Rows are consistent by construction; skip the per-row foreign-key triggers of the bulk load
    // (a superuser setting, local to this transaction; without it the load only takes longer).
    await client.query('SET LOCAL session_replication_role = replica').catch(async () => {
      await client.query('ROLLBACK');
      await client.query('BEGIN');
    });
    await client.query(
      `INSERT INTO "Site" (id, name, secret, origins, settings, "createdAt") VALUES ($1, $2, $3, $4, '{}', $5::timestamp)
       ON CONFLICT (id) DO NOTHING`,
      [
        SITE,
        'Parley demo',
        randomBytes(32).toString('base64url'),
        JSON.stringify(['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*']),
        created,
      ],
    );
    const ids = ring.map((p) => p.id);
    const names = ring.map((p) => p.username);
    const users = await client.query(
      `INSERT INTO "User" (id, "siteId", username, "displayName", "passwordHash", "inboxSeq", "createdAt")
       SELECT u.id, $1, u.username, 'Bench User ' || substr(u.username, 6), $2, 0, $3::timestamp
       FROM unnest($4::text[], $5::text[]) AS u(id, username)`,
      [SITE, passwordHash, created, ids, names],
    );
    rows.users = users.rowCount ?? 0;
    mark('users');
    const sessions = await client.query(
      `INSERT INTO "Session" (id, "userId", "createdAt", "expiresAt")
       SELECT s.id, s."userId", $1::timestamp, $2::timestamp FROM unnest($3::text[], $4::text[]) AS s(id, "userId")`,
      [created, expires, ring.map((p) => createHash('sha256').update(p.token).digest('hex')), ids],
    );
    rows.sessions = sessions.rowCount ?? 0;
    mark('sessions');
    if (plan.ringUsers > 2 * plan.ringDegree) {
      await client.query('CREATE TEMP TABLE ring (i integer PRIMARY KEY, id text NOT NULL) ON COMMIT DROP');
      await client.query(
        'INSERT INTO ring (i, id) SELECT r.i - 1, r.id FROM unnest($1::text[]) WITH ORDINALITY AS r(id, i)',
        [ids],
      );
      const buddies = await client.query(
        `INSERT INTO "Buddy" ("ownerId", "buddyId", state, "groupName", "createdAt", "updatedAt")
         SELECT a.id, b.id, 'accepted', 'Bench', $1::timestamp, $1::timestamp
         FROM ring a CROSS JOIN generate_series(-$2::int, $2::int) AS d(v)
         JOIN ring b ON b.i = (a.i + d.v + $3::int) % $3::int
         WHERE d.v <> 0 ORDER BY a.i, d.v`,
        [created, plan.ringDegree, ring.length],
      );
      rows.buddies = buddies.rowCount ?? 0;
    }
    mark('buddies');
    await client.query('COMMIT');
    mark('commit');
    await client.query('ANALYZE "User", "Session", "Buddy"');
    mark('analyze');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
  return { ring, ms: performance.now() - started, parts, rows };
}
