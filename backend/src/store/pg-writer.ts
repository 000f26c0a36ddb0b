import pg from 'pg';
import type { Logger } from '../logger.js';
import type { Tx } from './prisma/context.js';

const TIMESTAMP_OID = 1114;

/**
 * `timestamp` columns (no time zone) hold UTC, as Prisma writes them; `pg` would read them in the
 * process's local zone. Only this connection's parsers change, not `pg`'s global ones.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_OID
      ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The PostgreSQL hot path's connection: the same multi-row statements as the Prisma path
 * (prisma/inbox.ts), sent straight through `pg`, one transaction per batch. One connection is
 * enough: a node writes one batch at a time (services/inbox-writer.ts). The pool replaces the
 * connection when it breaks.
 */
export class PgWriter {
  private readonly pool: pg.Pool;

  constructor(connectionString: string, logger: Logger) {
    this.pool = new pg.Pool({ connectionString, max: 1, types, application_name: 'parley-writer' });
    this.pool.on('error', (err) => logger.warn({ err }, 'the hot path’s PostgreSQL connection failed; it reconnects'));
  }

  /** Runs `fn` in a transaction on the writer's connection; commits, or rolls back and throws. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const tx: Tx = {
        $queryRawUnsafe: async <R>(sql: string, ...values: unknown[]) => (await client.query(sql, values)).rows as R,
        $executeRawUnsafe: async (sql: string, ...values: unknown[]) => (await client.query(sql, values)).rowCount ?? 0,
      };
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr as Error; // the connection is gone: the pool must not hand it out again
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
