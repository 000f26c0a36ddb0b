// `npm run db:migrate`: applies pending migrations to DATABASE_URL (the server also does this on
// every start). Safe to run repeatedly.
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/store/migrate.js';

const config = loadConfig(process.env);
const applied = await migrate(config.database);
console.log(
  applied.length
    ? `applied ${applied.length} migration(s) to ${config.database.kind}: ${applied.join(', ')}`
    : `${config.database.kind} database is up to date`,
);
// On PostgreSQL the schema engine leaves one pooled connection of @prisma/adapter-pg open after
// its adapters are disposed; pg's idle timeout would keep the process alive 10 s more. Done is done.
process.exit(0);
