// Applies the SQL migrations under prisma/ with Prisma's own schema engine, compiled to
// WebAssembly (@prisma/schema-engine-wasm), so no engine binary has to be downloaded. The engine
// records what it applied in `_prisma_migrations`, exactly as `prisma migrate deploy` does, so a
// user with the Prisma CLI can keep using it on the same database.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as engineGlue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { createAdapterFactory, createPrismaClient } from './prisma-client.js';
import type { DatabaseTarget } from './database-url.js';
import { repoRoot } from '../paths.js';

let engineReady: Promise<void> | undefined;

/** Instantiates the wasm module once per process (Node 20 cannot import .wasm as a module). */
function loadEngineModule(): Promise<void> {
  engineReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const glueFile = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dirname(glueFile), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': engineGlue as unknown as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as { __wbindgen_start: () => void };
    engineGlue.__wbg_set_wasm(exports);
    exports.__wbindgen_start();
  })();
  return engineReady;
}

/** Where the schema and migrations of each provider live (the layout `prisma migrate` expects). */
export function schemaPaths(kind: DatabaseTarget['kind']): { schema: string; migrations: string } {
  const dir = kind === 'sqlite' ? join(repoRoot, 'prisma') : join(repoRoot, 'prisma', 'postgres');
  return { schema: join(dir, 'schema.prisma'), migrations: join(dir, 'migrations') };
}

export async function openSchemaEngine(
  target: DatabaseTarget,
  log: (message: string) => void = () => {},
): Promise<{ engine: SchemaEngine; schemaText: string; schemaPath: string; close: () => Promise<void> }> {
  await loadEngineModule();
  const { schema } = schemaPaths(target.kind);
  const schemaText = await readFile(schema, 'utf8');
  const inner = createAdapterFactory(target) as SqlMigrationAwareDriverAdapterFactory;
  // The engine does not close the connections it opens, and on PostgreSQL one of them holds the
  // migration advisory lock: keep hold of them and dispose of them ourselves.
  const opened: { dispose(): Promise<void> }[] = [];
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => {
      const adapter = await inner.connect();
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const adapter = await inner.connectToShadowDb();
      opened.push(adapter);
      return adapter;
    },
  };
  const engine = await engineGlue.SchemaEngine.new(
    { datamodels: [[schema, schemaText]] },
    (message: string) => log(message),
    bindMigrationAwareSqlAdapterFactory(tracking),
  );
  const close = async () => {
    engine.free();
    await Promise.all(opened.splice(0).map((adapter) => adapter.dispose()));
  };
  return { engine, schemaText, schemaPath: schema, close };
}

/** Names of the migrations `_prisma_migrations` records as applied; null if it cannot tell. */
async function appliedMigrations(target: DatabaseTarget): Promise<Set<string> | null> {
  if (target.kind === 'sqlite' && (target.url === ':memory:' || !existsSync(target.url))) return null;
  const db = createPrismaClient(target);
  try {
    const rows = await db.$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT "migration_name" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL',
    );
    return new Set(rows.map((r) => r.migration_name));
  } catch {
    return null; // no table yet (a new database): the engine will create it
  } finally {
    await db.$disconnect();
  }
}

/** Reads a migrations folder into the engine's MigrationList shape. */
export async function loadMigrations(dir: string) {
  const names = (await readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(join(dir, name, 'migration.sql'), 'utf8').then(
          (ok) => ({ tag: 'ok' as const, value: ok }),
          (err: Error) => ({ tag: 'error' as const, value: err.message }),
        ),
      },
    })),
  );
  const lockfile = await readFile(join(dir, 'migration_lock.toml'), 'utf8').catch(() => null);
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/**
 * Brings the database up to the newest migration (of prisma/'s folder for its kind, or of
 * `migrationsDir`). Idempotent: already applied migrations are skipped. Returns the names of the
 * migrations it applied.
 */
export async function migrate(
  target: DatabaseTarget,
  migrationsDir = schemaPaths(target.kind).migrations,
): Promise<string[]> {
  const migrationsList = await loadMigrations(migrationsDir);
  // Fast path: when every migration is recorded as applied, do not start the engine at all. It
  // costs time, and on SQLite it wants a lock that a running server (or a CLI beside it) holds.
  const applied = await appliedMigrations(target);
  if (applied && migrationsList.migrationDirectories.every((d) => applied.has(d.path))) return [];
  const { engine, close } = await openSchemaEngine(target);
  try {
    const out = await engine.applyMigrations({
      migrationsList,
      filters: { externalTables: [], externalEnums: [] },
    });
    return out.appliedMigrationNames;
  } finally {
    await close();
  }
}
