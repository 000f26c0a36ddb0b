/**
 * Extra people and history for the e2e tests, written through the store into the running
 * server's SQLite file (WAL mode lets both write). Demo users alice, bob and carol exist already.
 */
import { v7 as uuidv7 } from 'uuid';
import { directConversationId, hashPassword, withStore } from '@parley/backend/testing';

/** Users with password `<name>-pass`; none are anyone's buddy unless said below. */
export const E2E_USERS = [
  'dave',
  'erin',
  'finn',
  'gwen',
  'hank',
  'iris',
  'jade',
  'kyle',
  'jack',
  'kate',
  'liam',
  'mona',
  'nico',
  'olga',
  'pete',
  'quin',
  'rosa',
  'sami',
] as const;
export const HISTORY_SIZE = 200;

export async function seed(databaseFile: string): Promise<void> {
  await withStore({ kind: 'sqlite', url: databaseFile }, async (store) => {
    const ids: Record<string, string> = {};
    for (const name of E2E_USERS) {
      ids[name] = uuidv7();
      await store.createUser({
        id: ids[name],
        siteId: 'demo',
        username: name,
        displayName: name[0]!.toUpperCase() + name.slice(1),
        avatarUrl: null,
        passwordHash: await hashPassword(`${name}-pass`),
      });
    }
    // finn and gwen are buddies with a long history, for scrolling back.
    await store.setBuddies(ids.finn!, ids.gwen!, 'accepted');
    // hank and iris are buddies, for the offline outbox and the XSS corpus.
    await store.setBuddies(ids.hank!, ids.iris!, 'accepted');
    // jade and kyle are buddies, for the embedding tests (hostile page, strict CSP).
    await store.setBuddies(ids.jade!, ids.kyle!, 'accepted');
    // mona and nico are buddies, for going away when idle.
    await store.setBuddies(ids.mona!, ids.nico!, 'accepted');
    // olga and pete are buddies, for desktop notifications and the phone layout.
    await store.setBuddies(ids.olga!, ids.pete!, 'accepted');
    // quin has two buddies, rosa and sami, to group, remove and block.
    await store.setBuddies(ids.quin!, ids.rosa!, 'accepted');
    await store.setBuddies(ids.quin!, ids.sami!, 'accepted');
    // A site with a default theme, for the theming tests, and one that allows no local origin.
    await store.createSite({
      id: 'themed',
      name: 'Themed',
      secret: 'themed-secret-'.repeat(3),
      origins: ['http://127.0.0.1:*', 'http://localhost:*'],
      settings: { theme: { primaryColor: 'rgb(0, 128, 0)', radius: 4, mode: 'auto', title: 'Site title' } },
    });
    await store.createSite({
      id: 'strict',
      name: 'Strict',
      secret: 'strict-secret-'.repeat(3),
      origins: ['https://shop.example'],
      settings: {},
    });
    // jack invites his buddies kate and liam to a room.
    await store.setBuddies(ids.jack!, ids.kate!, 'accepted');
    await store.setBuddies(ids.jack!, ids.liam!, 'accepted');
    const start = Date.now() - HISTORY_SIZE * 60_000;
    const items = [];
    for (let i = 1; i <= HISTORY_SIZE; i++) {
      const fromFinn = i % 2 === 1;
      items.push({
        type: 'message' as const,
        message: {
          id: uuidv7({ msecs: start + i * 60_000 }),
          siteId: 'demo',
          senderId: fromFinn ? ids.finn! : ids.gwen!,
          recipientId: fromFinn ? ids.gwen! : ids.finn!,
          conversationId: directConversationId(ids.finn!, ids.gwen!),
          clientId: `seed-${i}`,
          body: `history ${i}`,
          createdAt: new Date(start + i * 60_000),
        },
      });
    }
    await store.append(items);
  });
}
