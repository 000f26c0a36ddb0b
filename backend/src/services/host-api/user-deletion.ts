import type { SessionEnded } from '../../protocol/index.js';
import type { Logger } from '../../logger.js';
import { ParleyError } from '../../errors.js';
import type { Store, UserRecord } from '../../store/store.js';
import type { RoomService } from '../rooms.js';
import type { RosterService } from '../roster.js';

/** What a deleted user is called from then on, wherever their messages are shown. */
export const DELETED_USER_NAME = 'Deleted user';

/** A deleted user's username: their id, so it is unique and names nobody. */
const deletedUsername = (userId: string) => `deleted-${userId}`;

/** Whether the host deleted this user (their username is one no sign-up can take: it holds their own id). */
export const isDeletedUser = (user: Pick<UserRecord, 'id' | 'username'>) => user.username === deletedUsername(user.id);

export interface UserDeletionDeps {
  store: Store;
  rooms: RoomService;
  roster: RosterService;
  /** Closes the user's connections on every node (Fanout.endSessions). */
  endSessions: (userId: string, reason: SessionEnded['reason'], match: { only?: string }) => Promise<void>;
  logger: Logger;
  now?: () => Date;
}

/**
 * The host deletes one of its users (server API, `DELETE users/:externalId`; docs/api.md). A soft
 * delete: the row stays, so the messages the user sent keep a sender in the others' history, but
 * nothing in it names the person any more. In this order:
 * 1. The profile is wiped and the external id released (`User.deletedAt` set): from here on no
 *    identity token and no server API call reaches this user; the same external id makes a new,
 *    empty user. The username becomes `deleted-<id>`, which frees the old one as well.
 * 2. Every session is revoked, then the user's connections on every node are told
 *    `session:ended` (`account_deleted`) and closed; an old session token is refused from then on.
 * 3. The user leaves every room (an owner hands the room on, or closes it when alone) and declines
 *    open invitations; every buddy relation, request and block of the user's own is dissolved, each
 *    with its usual live events to the others.
 * 4. Connections are closed once more: a handshake that had read its session just before step 2
 *    and joined after it is closed too.
 */
export async function deleteHostUser(deps: UserDeletionDeps, user: UserRecord): Promise<void> {
  const { store, rooms, roster } = deps;
  const at = (deps.now ?? (() => new Date()))();
  await store.wipeUser(user.id, { displayName: DELETED_USER_NAME, username: deletedUsername(user.id), at });
  await store.revokeUserSessions(user.id, at);
  await deps.endSessions(user.id, 'account_deleted', {});

  // Each step is the user's own action, with its notifications; one that a concurrent change made
  // moot (the room closed, the buddy left) is skipped rather than stopping the rest.
  const skipMoot = (err: unknown) => {
    if (!(err instanceof ParleyError)) throw err;
  };
  let after: string | undefined;
  for (;;) {
    const page = await store.roomsOf(user.id, { after, limit: 100 });
    for (const { room, role } of page) {
      const step =
        role === 'invited' ? rooms.decline(user, { roomId: room.id }) : rooms.leave(user, { roomId: room.id });
      await step.catch(skipMoot);
    }
    if (page.length < 100) break;
    after = page[page.length - 1]!.room.id;
  }
  for (const row of await store.roster(user.id)) {
    const other = row.buddy.id;
    const step =
      row.state === 'accepted'
        ? roster.remove(user, other)
        : row.state === 'requested'
          ? roster.cancel(user, other)
          : row.state === 'pending'
            ? roster.decline(user, other)
            : roster.unblock(user, other);
    await step.catch(skipMoot);
  }
  await deps.endSessions(user.id, 'account_deleted', {});
  deps.logger.info({ user: user.id, site: user.siteId }, 'user deleted by the host');
}
