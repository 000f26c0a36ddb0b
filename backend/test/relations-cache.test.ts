import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.js';
import { Relations } from '../src/services/relations.js';
import { parseDatabaseUrl } from '../src/store/database-url.js';
import { migrate } from '../src/store/migrate.js';
import { PrismaStore } from '../src/store/prisma-store.js';
import type { RosterRow, UserRecord } from '../src/store/store.js';
import { addUser } from './support.js';
import { createTestDatabase, type TestDatabase } from './services.js';

/**
 * Relations.prime: a connect caches the roster rows it read with its session, unless the user's
 * relations changed (were forgotten) after the read began; then the cache loads them again. The
 * primed rows here say something the database does not, so a test sees which one was used.
 */
let database: TestDatabase;
let store: PrismaStore;
let ann: UserRecord;
let ben: UserRecord;
let cat: UserRecord;

beforeAll(async () => {
  database = await createTestDatabase();
  const target = parseDatabaseUrl(database.url, repoRoot);
  await migrate(target);
  store = await PrismaStore.open(target);
  await store.createSite({ id: 'demo', name: 'demo', secret: 'demo-secret', origins: [], settings: {} });
  ann = await addUser(store, 'ann');
  ben = await addUser(store, 'ben', { buddies: ['ann'] });
  cat = await addUser(store, 'cat');
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** What a connect would have read if Cat were Ann's mutual buddy (she is not). */
const stale = (): RosterRow[] => [
  { buddy: { ...cat, lastSeenAt: null }, state: 'accepted', group: null, mutual: true },
];

describe('Relations.prime', () => {
  it('caches the rows of a connect: presence fan-out and messages use them without a query', async () => {
    const relations = new Relations(store);
    const since = relations.mark();
    relations.prime(ann.id, stale(), [ben.id], since);
    expect(await relations.mutualBuddies(ann.id)).toEqual(new Set([cat.id]));
    expect(await relations.presenceAudience(ann.id)).toEqual(new Set([cat.id, ben.id]));
  });

  it('drops rows read before a change of that user: the next use loads the truth', async () => {
    const relations = new Relations(store);
    const since = relations.mark();
    relations.changed(ann.id); // e.g. a roster change committed while the connect was reading
    relations.prime(ann.id, stale(), [], since);
    expect(await relations.mutualBuddies(ann.id)).toEqual(new Set([ben.id]));
    expect(await relations.presenceAudience(ann.id)).toEqual(new Set([ben.id]));
  });

  it('keeps rows when only other users changed meanwhile', async () => {
    const relations = new Relations(store);
    const since = relations.mark();
    relations.forget(ben.id, cat.id);
    relations.prime(ann.id, stale(), [], since);
    expect(await relations.mutualBuddies(ann.id)).toEqual(new Set([cat.id]));
  });

  it('drops rows when too many changes passed to tell whether the user was among them', async () => {
    const relations = new Relations(store);
    const since = relations.mark();
    for (let i = 0; i < 10_001; i++) relations.forget(`someone-${i}`);
    relations.prime(ann.id, stale(), [], since);
    expect(await relations.mutualBuddies(ann.id)).toEqual(new Set([ben.id]));
    // A read that began after them is kept again.
    const later = relations.mark();
    relations.forget(ann.id);
    const after = relations.mark();
    relations.prime(ann.id, stale(), [], after);
    expect(later).toBeLessThan(after);
    expect(await relations.mutualBuddies(ann.id)).toEqual(new Set([cat.id]));
  });

  it('forgetAll drops rows of every read under way', async () => {
    const relations = new Relations(store);
    const since = relations.mark();
    relations.forgetAll(); // the cluster's invalidations may have been missed
    relations.prime(ann.id, stale(), [], since);
    expect(await relations.mutualBuddies(ann.id)).toEqual(new Set([ben.id]));
  });
});
