import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient } from './generated/sqlite/client.js';
import { PrismaClient as PostgresClient } from './generated/postgres/client.js';
import { ensureSqliteFolder, type DatabaseTarget } from './database-url.js';

/**
 * Both generated clients come from one model definition and have the same query API; the store
 * is written against the SQLite client's types and uses whichever the target needs.
 */
export type Db = SqliteClient;

export function createAdapterFactory(target: DatabaseTarget) {
  ensureSqliteFolder(target);
  return target.kind === 'sqlite'
    ? new PrismaBetterSqlite3({ url: target.url, timeout: 10_000 })
    : new PrismaPg({ connectionString: target.url });
}

export function createPrismaClient(target: DatabaseTarget): Db {
  if (target.kind === 'sqlite') {
    return new SqliteClient({ adapter: createAdapterFactory(target) as PrismaBetterSqlite3 });
  }
  return new PostgresClient({ adapter: createAdapterFactory(target) as PrismaPg }) as unknown as Db;
}
