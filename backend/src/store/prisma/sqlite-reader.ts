import Database from 'better-sqlite3';
import type { Db } from '../prisma-client.js';

/**
 * SQLite only: a connection of the store's own beside Prisma's, for the reads every connect makes,
 * with each statement prepared once. Through Prisma a statement is prepared again on every call
 * (the connect statement's preparation cost as much as running it) and its rows pass through the
 * client's interpreter. WAL mode lets this connection read beside Prisma's writer and see every
 * committed write; it never writes (`query_only`).
 */
export class SqliteReader {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(private readonly db: Database.Database) {}

  /** Null for an in-memory database, which a second connection cannot see. */
  static open(file: string): SqliteReader | null {
    if (file === ':memory:') return null;
    const db = new Database(file, { fileMustExist: true, timeout: 10_000 });
    db.pragma('query_only = ON');
    return new SqliteReader(db);
  }

  /**
   * The rows of `sql` (placeholders `?`, a text of the store's own: statements are kept by their
   * text) with `params`, each an array of its columns' values in order (cheaper than objects).
   */
  rows(sql: string, params: readonly (string | number)[]): unknown[][] {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql).raw(true);
      this.statements.set(sql, statement);
    }
    return statement.all(...params) as unknown[][];
  }

  close(): void {
    this.db.close();
  }
}

/**
 * The rows of a raw read as arrays of their columns: on the reader when there is one (SQLite on a
 * file), else through Prisma (PostgreSQL, or SQLite in memory). `sql` uses the placeholders of the
 * store's SQL builder for the database at hand.
 */
export async function readRows(
  reader: SqliteReader | null,
  db: Db,
  sql: string,
  params: readonly (string | number)[],
): Promise<unknown[][]> {
  if (reader) return reader.rows(sql, params);
  return (await db.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params)).map((r) => Object.values(r));
}
