/**
 * The PostgreSQL and Redis that tests run against, and the throwaway databases and key prefixes
 * they make there. Which backing services `startServer()` uses is chosen by environment:
 *
 *   PARLEY_TEST_DB=postgres   a fresh PostgreSQL database per server (dropped on close)
 *   PARLEY_TEST_REDIS=1       cluster mode: Redis with a fresh key prefix per server (deleted on close)
 *
 * `npm run test:postgres` and `npm run test:cluster` set them (through scripts/with-services.mjs,
 * which skips loudly where the services are missing and fails in CI).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';

/** The server to create test databases on (any database of it; `postgres` exists everywhere). */
export const TEST_PG_URL = process.env.PARLEY_TEST_PG_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.PARLEY_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

export const usePostgres = process.env.PARLEY_TEST_DB === 'postgres';
export const useRedis = process.env.PARLEY_TEST_REDIS === '1';

/** A database for one server (or one cluster): a DATABASE_URL and a way to get rid of it. */
export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  url: string;
  drop(): Promise<void>;
}

/** `postgresql://…/postgres` with the database part replaced. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A brand-new PostgreSQL database, `parley_test_<random>`; `drop()` removes it even if in use. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    kind: 'postgres',
    url: withDatabase(TEST_PG_URL, name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** An SQLite file in a fresh temporary folder; `drop()` deletes the folder. */
export function createSqliteDatabase(dir = mkdtempSync(join(tmpdir(), 'parley-test-'))): TestDatabase {
  return {
    kind: 'sqlite',
    url: `file:${join(dir, 'parley.db')}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The database of the current test mode (PARLEY_TEST_DB). */
export function createTestDatabase(): Promise<TestDatabase> {
  return usePostgres ? createPostgresDatabase() : Promise.resolve(createSqliteDatabase());
}

/** A key prefix nobody else uses, so parallel runs and leftovers never meet. */
export function testRedisPrefix(): string {
  return `parley-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix`. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * Plain SQL against a test database, read only, for tests that inspect what the server stored.
 * Write `?` placeholders; they become `$1, $2…` on PostgreSQL.
 */
export async function openForReading(database: TestDatabase): Promise<{
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}> {
  if (database.kind === 'sqlite') {
    const db = new Database(database.url.replace(/^file:/, ''), { readonly: true });
    return {
      all: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[],
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    all: async <T>(sql: string, ...params: unknown[]) => {
      let n = 0;
      const { rows } = await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
      return rows as T[];
    },
    close: () => client.end(),
  };
}
