import { timeOrderedId } from './ids.js';
import { randomBytes } from 'node:crypto';
import type { Logger } from './logger.js';
import { hashPassword } from './services/accounts.js';
import type { Store } from './store/store.js';
import { ParleyError } from './errors.js';
import { ErrorCode } from './protocol/index.js';

/** The demo users. Their passwords are public on purpose: the demo page shows them. */
export const DEMO_USERS = [
  { username: 'alice', displayName: 'Alice Liddell', password: 'alice-demo' },
  { username: 'bob', displayName: 'Bob Marley', password: 'bob-demo' },
  { username: 'carol', displayName: 'Carol Danvers', password: 'carol-demo' },
] as const;

export const DEMO_SITE = 'demo';

/**
 * Creates the `demo` site (localhost origins only) and its users, all mutual buddies, if missing.
 * Safe on every start; disable with PARLEY_DEMO=0 in production.
 */
export async function seedDemo(store: Store, logger: Logger): Promise<void> {
  if (!(await store.getSite(DEMO_SITE))) {
    try {
      await store.createSite({
        id: DEMO_SITE,
        name: 'Parley demo',
        secret: randomBytes(32).toString('base64url'),
        origins: ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'],
        settings: {},
      });
      logger.info('created the demo site');
    } catch (err) {
      // Several nodes starting together on a new database: another one made it first.
      if (!(await store.getSite(DEMO_SITE))) throw err;
    }
  }
  const ids: string[] = [];
  let created = false;
  for (const demo of DEMO_USERS) {
    let user = await store.findUserByUsername(DEMO_SITE, demo.username);
    if (!user) {
      try {
        await store.createUser({
          id: timeOrderedId(),
          siteId: DEMO_SITE,
          username: demo.username,
          displayName: demo.displayName,
          avatarUrl: null,
          passwordHash: await hashPassword(demo.password),
        });
        created = true;
        logger.info({ username: demo.username }, 'created demo user');
      } catch (err) {
        // Taken meanwhile by another node seeding the same database: use that one.
        if (!(err instanceof ParleyError && err.code === ErrorCode.UsernameTaken)) throw err;
      }
      user = await store.findUserByUsername(DEMO_SITE, demo.username);
    }
    ids.push(user!.id);
  }
  // Only when a user was just made, so later changes to the demo rosters are left alone.
  if (!created) return;
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) await store.setBuddies(ids[i]!, ids[j]!, 'accepted', 'Friends');
  }
}
