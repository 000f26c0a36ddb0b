import type { Db } from '../prisma-client.js';

/** What every Prisma repository shares: the client, the provider, and its SQL dialect. */
export class StoreContext {
  constructor(
    readonly db: Db,
    readonly kind: 'sqlite' | 'postgres',
  ) {}

  /** Placeholders in the provider's style ($1 on PostgreSQL, ? on SQLite) and their values. */
  sql(): Sql {
    const pg = this.kind === 'postgres';
    const params: (string | number)[] = [];
    const p = (value: string | number, pgCast = '') => {
      params.push(value);
      return pg ? `$${params.length}${pgCast}` : '?';
    };
    // Prisma keeps SQLite DateTimes as ISO text with an explicit offset; match it exactly.
    const time = (d: Date) => (pg ? p(d.toISOString(), '::timestamp') : p(d.toISOString().replace('Z', '+00:00')));
    // SQLite keeps booleans as 0/1.
    const bool = (b: boolean) => (pg ? (b ? 'TRUE' : 'FALSE') : b ? '1' : '0');
    return { params, p, time, bool };
  }

  /**
   * Runs a transaction, again if SQLite answered SQLITE_BUSY. On SQLite the hot path is written by
   * another connection (the writer thread); a transaction here that read before it wrote finds,
   * when that connection committed in between, that its snapshot is stale, and SQLite fails it at
   * once instead of waiting. Nothing of it was committed, so running it again is safe.
   */
  async retryBusy<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (this.kind !== 'sqlite' || attempt >= attempts || !isSqliteBusy(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, attempt * 5));
      }
    }
  }

  /** Where `needle` first occurs in `haystack`, from 1; 0 when it does not (SQL expressions). */
  position(haystack: string, needle: string): string {
    return this.kind === 'postgres' ? `strpos(${haystack}, ${needle})` : `instr(${haystack}, ${needle})`;
  }
}

/** One raw statement's parameters, and how to write a value of each kind into it. */
export interface Sql {
  params: (string | number)[];
  /** A placeholder for `value`; `pgCast` (e.g. `::integer`) is added on PostgreSQL. */
  p(value: string | number, pgCast?: string): string;
  /** A placeholder for a time, in the form the provider stores it. */
  time(d: Date): string;
  /** A boolean literal. */
  bool(b: boolean): string;
}

/**
 * What the raw hot path needs of a transaction: Prisma's transaction client has it, and so does
 * the `pg` connection of the PostgreSQL writer (pg-writer.ts).
 */
export interface Tx {
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
}

/** Runs `fn` in one transaction and commits it; throws (and commits nothing) when `fn` does. */
export type TransactionRunner = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** Rows per multi-row statement: 100 rows of 8 values stay far below every driver's limit. */
export const ROWS_PER_STATEMENT = 100;

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Prisma's SQLite adapter reports SQLITE_BUSY as a driver error of kind SocketTimeout. */
export function isSqliteBusy(err: unknown): boolean {
  const e = err as {
    code?: string;
    message?: string;
    meta?: { driverAdapterError?: { cause?: { kind?: string } } };
  } | null;
  return (
    e?.meta?.driverAdapterError?.cause?.kind === 'SocketTimeout' ||
    e?.code === 'P1008' ||
    /SQLITE_BUSY|database is locked/.test(String(e?.message ?? ''))
  );
}
