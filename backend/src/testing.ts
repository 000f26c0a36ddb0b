/**
 * `@parley/backend/testing`: what the e2e tests and the benchmark may use of the backend besides
 * the wire. They prepare a database before a server starts (or beside a running one, SQLite in WAL
 * mode lets both write), read a site's secret to sign identity tokens, and start the real server in
 * its own process. Nothing in src/ imports this module; bench/ and e2e/ import nothing else from
 * the backend but the protocol.
 *
 * @example
 * const db = databaseOf(join(dir, 'parley.db'));
 * await migrate(db);
 * await withStore(db, (store) => seedDemoSite(store));
 * const server = await spawnServer(dir);
 */
import { seedDemo } from './demo-seed.js';
import { createLogger } from './logger.js';
import { parseDatabaseUrl, type DatabaseTarget } from './store/database-url.js';
import { PrismaStore } from './store/prisma-store.js';
import type { Store } from './store/store.js';

export { hashPassword } from './services/accounts.js';
export { directConversationId } from './services/messaging.js';
export { migrate, schemaPaths } from './store/migrate.js';
export { SearchIndexer } from './store/search-indexer.js';
export { SEARCH_KEY_INSERT_SQL } from './store/message-search-sql.js';
export type { DatabaseTarget } from './store/database-url.js';
export { roomConversationId, type MessageRecord, type Store, type WriteItem } from './store/store.js';
export {
  createUpload,
  login,
  patchUpload,
  spawnServer,
  tempDir,
  TestClient,
  uploadFile,
  type ServerProcess,
} from '../test/support.js';
export { runCrashScenario } from '../test/crash-scenario.js';
export { startS3, type TestS3 } from '../test/s3.js';

/** The database a DATABASE_URL names (`postgres://…`, `file:…` or a SQLite path, relative to the working directory). */
export function databaseOf(databaseUrl: string): DatabaseTarget {
  return parseDatabaseUrl(databaseUrl, process.cwd());
}

/** Opens the store of a database (already migrated), runs `use` with it and closes it. */
export async function withStore<T>(database: DatabaseTarget | string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await PrismaStore.open(typeof database === 'string' ? databaseOf(database) : database);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** The secret a site signs its identity tokens with. */
export function siteSecret(database: DatabaseTarget | string, siteId: string): Promise<string> {
  return withStore(database, async (store) => {
    const site = await store.getSite(siteId);
    if (!site) throw new Error(`no site "${siteId}" in this database`);
    return site.secret;
  });
}

/** The demo site and its users (alice, bob, carol), as the server seeds them on start. */
export function seedDemoSite(store: Store): Promise<void> {
  return seedDemo(store, createLogger('silent'));
}

/**
 * A PNG of one colour, `width`×`height`: compresses to almost nothing whatever its size (so
 * 10000×5000 makes a small "image bomb" of 50 megapixels).
 */
export async function solidPng(width: number, height: number): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** A real TURN relay (coturn) for the call tests: see testing-turn.ts. */
export { ensureCoturn, startCoturn, turnAllocate, type Coturn, type TurnAllocation } from './testing-turn.js';
/** A real XMPP server (Prosody) for the gateway tests: see testing-xmpp.ts. */
export { ensureProsody, startProsody, type Prosody } from './testing-xmpp.js';
/** The TURN credentials Parley derives from TURN_SECRET (coturn use-auth-secret). */
export { turnCredential } from './services/calls/ice.js';
