import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.js';
import { parseDatabaseUrl } from '../src/store/database-url.js';
import { migrate } from '../src/store/migrate.js';
import { PrismaStore } from '../src/store/prisma-store.js';
import { addUser } from './support.js';
import { createTestDatabase, type TestDatabase } from './services.js';

/**
 * Store.connection: what a connect with a stored session needs, in one statement, on the database
 * of the test mode (SQLite, or PostgreSQL with `npm run test:postgres`). Compared with what the
 * separate repository methods say, so the one statement cannot drift from them.
 */
let database: TestDatabase;
let store: PrismaStore;
const target = () => parseDatabaseUrl(database.url, repoRoot);
const hour = 3_600_000;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrate(target());
  store = await PrismaStore.open(target());
  for (const id of ['one', 'two']) {
    await store.createSite({ id, name: id, secret: `${id}-secret`, origins: ['https://one.example'], settings: {} });
  }
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});

async function session(userId: string, expiresInMs = hour): Promise<string> {
  const id = `s-${uuidv7()}`;
  await store.createSession({ id, userId, expiresAt: new Date(Date.now() + expiresInMs) });
  return id;
}

describe('Store.connection', () => {
  it('reads site, session, user, inbox head, roster and room peers as the separate reads would', async () => {
    const ann = await addUser(store, 'ann', { site: 'one' });
    const ben = await addUser(store, 'ben', { site: 'one', buddies: ['ann'] });
    const cat = await addUser(store, 'cat', { site: 'one' });
    const dan = await addUser(store, 'dan', { site: 'one' });
    const eve = await addUser(store, 'eve', { site: 'one' });
    await store.changeRelations([
      { ownerId: ann.id, buddyId: cat.id, state: 'requested', group: 'Work' },
      { ownerId: cat.id, buddyId: ann.id, state: 'pending' },
      { ownerId: ann.id, buddyId: dan.id, state: 'blocked' },
    ]);
    // A room: Eve is a peer; Dan is a member but blocked; Cat is only invited.
    const room = { id: uuidv7(), siteId: 'one', name: 'R', public: false, ownerId: ann.id, closedAt: null };
    await store.createRoom({ ...room, createdAt: new Date() }, [
      { userId: ann.id, role: 'owner', invitedBy: null },
      { userId: eve.id, role: 'member', invitedBy: ann.id },
      { userId: dan.id, role: 'member', invitedBy: ann.id },
      { userId: cat.id, role: 'invited', invitedBy: ann.id },
    ]);
    const id = await session(ann.id);

    const found = await store.connection('one', id, new Date());
    expect(found.site).toEqual(await store.getSite('one'));
    expect(found.session).toEqual((await store.getSession(id))!.session);
    expect(found.user).toEqual(await store.getUser(ann.id));
    expect(found.inboxHead).toBe(await store.inboxHead(ann.id));
    const byBuddy = (rows: { buddy: { id: string } }[]) =>
      [...rows].sort((a, b) => a.buddy.id.localeCompare(b.buddy.id));
    expect(byBuddy(found.roster!)).toEqual(byBuddy(await store.roster(ann.id)));
    expect(found.roster!.find((r) => r.buddy.id === ben.id)).toMatchObject({ state: 'accepted', mutual: true });
    expect(found.roster!.find((r) => r.buddy.id === cat.id)).toMatchObject({ state: 'requested', group: 'Work' });
    expect(found.roomPeers).toEqual([eve.id]);
    expect(new Set(found.roomPeers)).toEqual(new Set(await store.roomPeers(ann.id)));
  });

  it('reads no roster for a session that is unknown, revoked, expired or of another site', async () => {
    const fay = await addUser(store, 'fay', { site: 'one' });
    await addUser(store, 'gus', { site: 'one', buddies: ['fay'] });
    const live = await session(fay.id);
    expect((await store.connection('one', live, new Date())).roster).toHaveLength(1);

    const unknown = await store.connection('one', 'no-such-session', new Date());
    expect(unknown).toMatchObject({ session: null, user: null, roster: null, roomPeers: null, inboxHead: 0 });
    expect(unknown.site?.id).toBe('one');

    const revoked = await session(fay.id);
    await store.revokeSession(revoked, new Date());
    const whenRevoked = await store.connection('one', revoked, new Date());
    expect(whenRevoked.session?.revokedAt).toBeInstanceOf(Date);
    expect(whenRevoked.user?.id).toBe(fay.id);
    expect(whenRevoked.roster).toBeNull();

    const expired = await session(fay.id, -1000);
    expect((await store.connection('one', expired, new Date())).roster).toBeNull();
    // Live until `at` passes its end.
    const ending = await session(fay.id, 60_000);
    expect((await store.connection('one', ending, new Date(Date.now() + 120_000))).roster).toBeNull();

    const elsewhere = await store.connection('two', live, new Date());
    expect(elsewhere.site?.id).toBe('two');
    expect(elsewhere.user?.siteId).toBe('one');
    expect(elsewhere.roster).toBeNull();

    const noSite = await store.connection('no-such-site', live, new Date());
    expect(noSite.site).toBeNull();
    expect(noSite.roster).toBeNull();
  });

  it('hands out one frozen site record while the row is unchanged, and a new one once another process changed it', async () => {
    const first = await store.getSite('two');
    expect(await store.getSite('two')).toBe(first);
    expect((await store.connection('two', 'none', new Date())).site).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first!.origins)).toBe(true);

    // Another connection to the same database (as the site CLI would be) changes the origins.
    const other = await PrismaStore.open(target());
    try {
      await other.updateSite('two', { origins: ['https://two.example'] });
    } finally {
      await other.close();
    }
    const changed = (await store.connection('two', 'none', new Date())).site;
    expect(changed).not.toBe(first);
    expect(changed?.origins).toEqual(['https://two.example']);
    expect(await store.getSite('two')).toBe(changed);
  });
});
