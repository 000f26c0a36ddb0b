import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseTarget {
  kind: DatabaseKind;
  /** For SQLite a file path (or ":memory:"), for PostgreSQL the connection string. */
  url: string;
}

/**
 * Reads DATABASE_URL: `postgres://` or `postgresql://` selects PostgreSQL, anything else is a
 * SQLite file (`file:./data/parley.db`, or a bare path). Relative SQLite paths resolve against
 * `baseDir` so the server finds the same file whatever directory it is started from.
 */
export function parseDatabaseUrl(raw: string, baseDir: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//i.test(raw)) return { kind: 'postgres', url: raw };
  const path = raw.replace(/^file:/, '');
  if (path === ':memory:') return { kind: 'sqlite', url: path };
  return { kind: 'sqlite', url: isAbsolute(path) ? path : resolve(baseDir, path) };
}

/** SQLite creates the file but not its folder; make the folder (data/ by default) if missing. */
export function ensureSqliteFolder(target: DatabaseTarget): void {
  if (target.kind === 'sqlite' && target.url !== ':memory:') mkdirSync(dirname(target.url), { recursive: true });
}
