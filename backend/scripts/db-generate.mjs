// Generates the Prisma clients for SQLite and PostgreSQL from prisma/schema.prisma, offline.
//
// Runs on `npm install` (postinstall) and `npm run db:generate`. The Prisma CLI tries to download
// its schema-engine binary first, which fails without network access; `generate` does not use that
// binary, and the CLI only checks that PRISMA_SCHEMA_ENGINE_BINARY names an existing file, so we
// point it at node itself. Migrations run through @prisma/schema-engine-wasm instead (see
// backend/src/store/migrate.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sqliteSchema = join(root, 'prisma', 'schema.prisma');
const postgresSchema = join(root, 'prisma', 'postgres', 'schema.prisma');

const source = readFileSync(sqliteSchema, 'utf8');
const postgres = source
  .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
  .replace('"../backend/src/store/generated/sqlite"', '"../../backend/src/store/generated/postgres"')
  .replace(
    /^\/\/ Parley's data model\..*?\n(?=\n)/s,
    '// GENERATED from prisma/schema.prisma by `npm run db:generate`. Do not edit by hand.\n',
  );
if (postgres === source || !postgres.includes('provider = "postgresql"')) {
  throw new Error('db-generate: could not derive the PostgreSQL schema from prisma/schema.prisma');
}
mkdirSync(dirname(postgresSchema), { recursive: true });
writeFileSync(postgresSchema, postgres);

const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
for (const schema of [sqliteSchema, postgresSchema]) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
}
