import Database from 'better-sqlite3';

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

  /** The rows of `sql` (placeholders `?`) with `params`, as objects keyed by column name. */
  all<T>(sql: string, params: readonly (string | number)[]): T[] {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement.all(...params) as T[];
  }

  close(): void {
    this.db.close();
  }
}
