// The SQL of a new migration: Prisma's wasm schema engine diffs two schema texts, then the
// statements Prisma cannot know of are looked after (the search index: message-search-sql.ts).
// Used by `npm run db:new-migration` (backend/scripts/db-migration-sql.ts).
import { openSchemaEngine } from './migrate.js';
import type { DatabaseKind } from './database-url.js';
import { dropsMessageTable, searchDrops, SEARCH_RESTORE_SQL } from './message-search-sql.js';

/** The previous schema: a schema text, or nothing (a first migration). */
export type SchemaFrom = { text: string } | 'empty';

/**
 * The SQL taking `from` to the schema text `to` on `kind`, or '' when nothing changes. On SQLite a
 * script that redefines or drops "Message" gets the search triggers recreated and the index
 * rebuilt after it. A script that would drop the search tables or index is refused (it cannot
 * come from a schema-to-schema diff, which does not know them; this keeps it so).
 *
 * @param shadowUrl PostgreSQL: a reachable server the engine may connect to (nothing is changed there).
 */
export async function migrationSql(
  kind: DatabaseKind,
  from: SchemaFrom,
  to: string,
  shadowUrl = 'postgresql://postgres@127.0.0.1:5432/postgres',
): Promise<string> {
  const url = kind === 'sqlite' ? ':memory:' : shadowUrl;
  const { engine, schemaPath, close } = await openSchemaEngine({ kind, url });
  let sql: string;
  try {
    const result = await engine.diff({
      from:
        from === 'empty'
          ? { tag: 'empty' }
          : { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: from.text }] },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: to }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    sql = result.stdout ?? '';
  } finally {
    await close();
  }
  if (!sql.trim() || /empty migration/i.test(sql)) return '';
  const drops = searchDrops(sql);
  if (drops.length > 0) {
    throw new Error(
      `the generated migration drops the message search index (${drops.join('; ')}): write this one by hand`,
    );
  }
  if (kind === 'sqlite' && dropsMessageTable(sql)) sql += SEARCH_RESTORE_SQL;
  return sql;
}
