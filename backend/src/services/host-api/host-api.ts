import { randomUUID } from 'node:crypto';
import { ErrorCode, type ChatMessage, type Presence, type RoomInfo, type UserSummary } from '../../protocol/index.js';
import type {
  AdminDirectMessage,
  AdminHistoryQuery,
  AdminRoomCreate,
  AdminRoomMessage,
  AdminUserPut,
} from '../../protocol/admin-api.js';
import type { Logger } from '../../logger.js';
import { ParleyError } from '../../errors.js';
import {
  roomConversationId,
  type RoomRecord,
  type SiteRecord,
  type Store,
  type UserRecord,
} from '../../store/store.js';
import { toSummary, toWireMessage } from '../../store/wire.js';
import { RESERVED_SUBJECT_PREFIX, type Accounts } from '../accounts.js';
import type { Conversations } from '../conversations.js';
import type { PresenceService } from '../presence.js';
import type { RoomService } from '../rooms.js';
import type { RosterService } from '../roster.js';
import type { ProfileProvider } from '../profiles/profile-provider.js';
import { siteSettings } from '../site-settings.js';
import { deleteHostUser, isDeletedUser, type UserDeletionDeps } from './user-deletion.js';

/** The site's own user, who sends system notices (docs/api.md, "System notices"). */
export const SYSTEM_SUBJECT = `${RESERVED_SUBJECT_PREFIX}system`;

/** A user as the server API shows them: Parley's summary, the host's own id and, for one user, metadata. */
export type HostUser = UserSummary & { externalId: string; metadata?: Record<string, unknown> | null };
/** A message as the server API shows it: the protocol's message, and the sender's host id. */
export type HostMessage = ChatMessage & { senderExternalId: string | null };

const noUser = (externalId: string) => new ParleyError(ErrorCode.NotFound, `No user with external id "${externalId}".`);
const noRoom = () => new ParleyError(ErrorCode.NotFound, 'No such room on this site.');

function hostUser(user: UserRecord): HostUser {
  return { ...toSummary(user), externalId: user.externalId ?? '' };
}

/** Stored metadata is JSON text the API wrote from a checked object. */
const parseMetadata = (text: string | null): Record<string, unknown> | null =>
  text === null ? null : (JSON.parse(text) as Record<string, unknown>);

/**
 * What the host site's server does through the server API (docs/api.md), on the same services as
 * the widget's socket: users are made as identity sign-ins make them, rooms by RoomService,
 * messages by Conversations.send through the inbox writer, buddies by the roster's requests. The
 * host acts for its users; every user and room named must be of the key's site.
 */
export class HostApi {
  constructor(
    private readonly deps: {
      store: Store;
      accounts: Accounts;
      rooms: RoomService;
      conversations: Conversations;
      roster: RosterService;
      presence: PresenceService;
      /** The sites' profile providers: ids named here that Parley has no profile for are asked for. */
      profiles?: ProfileProvider;
      endSessions: UserDeletionDeps['endSessions'];
      logger: Logger;
    },
  ) {}

  /** Creates or updates the host's user `externalId`; `created` says which. */
  async upsertUser(
    site: SiteRecord,
    externalId: string,
    input: AdminUserPut,
  ): Promise<{ user: HostUser; created: boolean }> {
    this.assertNotReserved(externalId);
    const existed = await this.deps.store.findUserByExternalId(site.id, externalId);
    const user = await this.deps.accounts.upsertHostUser(site, externalId, {
      name: input.name.trim(),
      avatar: input.avatarUrl ?? null,
      email: input.email ?? null,
      verified: input.emailVerified === true,
    });
    if (input.metadata !== undefined) {
      await this.deps.store.setUserMetadata(user.id, input.metadata === null ? null : JSON.stringify(input.metadata));
    }
    return { user: await this.withMetadata(user), created: !existed };
  }

  async getUser(site: SiteRecord, externalId: string): Promise<HostUser> {
    return this.withMetadata(await this.user(site, externalId));
  }

  /**
   * Deletes the user (see deleteHostUser). `deleted` false: there was no such user, which is
   * also what deleting again finds, since a deleted user's external id is released.
   */
  async deleteUser(site: SiteRecord, externalId: string): Promise<{ deleted: boolean }> {
    this.assertNotReserved(externalId);
    const user = await this.deps.store.findUserByExternalId(site.id, externalId);
    if (!user) return { deleted: false };
    await deleteHostUser(this.deps, user);
    return { deleted: true };
  }

  private async withMetadata(user: UserRecord): Promise<HostUser> {
    return { ...hostUser(user), metadata: parseMetadata(await this.deps.store.userMetadata(user.id)) };
  }

  async createRoom(site: SiteRecord, input: AdminRoomCreate): Promise<RoomInfo> {
    const owner = await this.user(site, input.owner);
    const members = await Promise.all((input.members ?? []).map((m) => this.member(site, m)));
    this.deps.profiles?.meet(site, [owner.id, ...members.map((m) => m.id)]);
    return this.deps.rooms.createForHost(
      owner,
      { name: input.name, public: input.public ?? false },
      members.map((m) => m.id),
    );
  }

  /** Sets a room's members (see RoomService.setMembersForHost); the site's system user stays. */
  async setRoomMembers(site: SiteRecord, roomId: string, externalIds: string[]): Promise<RoomInfo> {
    const room = await this.room(site, roomId);
    const members = await Promise.all([...new Set(externalIds)].map((m) => this.member(site, m)));
    this.deps.profiles?.meet(
      site,
      members.map((m) => m.id),
    );
    const system = await this.deps.store.findUserByExternalId(site.id, SYSTEM_SUBJECT);
    return this.deps.rooms.setMembersForHost(
      room,
      members.map((m) => m.id),
      system ? [system.id] : [],
    );
  }

  /**
   * Sends `text` into a room of the site, from a member or as a system notice. `clientId` makes a
   * retry a duplicate rather than a second message (the Idempotency-Key, when the host sent one).
   */
  async postToRoom(
    site: SiteRecord,
    roomId: string,
    input: AdminRoomMessage,
    clientId: string | undefined,
  ): Promise<{ message: HostMessage; duplicate: boolean }> {
    const room = await this.room(site, roomId);
    let sender: UserRecord;
    if (input.system) {
      sender = await this.systemUser(site);
      await this.deps.rooms.addForHost(room, sender.id);
    } else {
      sender = await this.user(site, input.from!);
    }
    const sent = await this.deps.conversations.send(site, sender, {
      in: { kind: 'room', id: room.id },
      clientId: clientId ?? randomUUID(),
      content: { kind: 'text', text: input.text },
    });
    return { message: { ...sent.message, senderExternalId: sender.externalId }, duplicate: sent.duplicate };
  }

  /**
   * A direct message from the user `of` to the user `to`, under the same rules as in the widget:
   * they must be buddies (or the site lets strangers message), and neither may have blocked the
   * other. With `system: true`, a notice from the site's system user to `of` instead, which needs
   * no relation: the site speaks to its own user.
   */
  async sendDirect(
    site: SiteRecord,
    of: string,
    input: AdminDirectMessage,
    clientId: string | undefined,
  ): Promise<{ message: HostMessage; duplicate: boolean }> {
    const user = await this.user(site, of);
    const [sender, recipient] = input.system
      ? [await this.systemUser(site), user]
      : [user, await this.user(site, input.to!)];
    const sent = await this.deps.conversations.send(
      site,
      sender,
      {
        in: { kind: 'direct', id: recipient.id },
        clientId: clientId ?? randomUUID(),
        content: { kind: 'text', text: input.text },
      },
      { fromSite: input.system === true },
    );
    return { message: { ...sent.message, senderExternalId: sender.externalId }, duplicate: sent.duplicate };
  }

  /** A page of the direct chat of two users, newest first, as `of` sees it (Conversations.history). */
  async directHistory(
    site: SiteRecord,
    of: string,
    withUser: string,
    page: AdminHistoryQuery,
  ): Promise<{ messages: HostMessage[]; hasMore: boolean }> {
    const user = await this.user(site, of);
    // The chat with the site's system user (its direct notices) may be read too.
    const system = withUser === SYSTEM_SUBJECT ? await this.deps.store.findUserByExternalId(site.id, withUser) : null;
    const other = system ?? (await this.user(site, withUser));
    const found = await this.deps.conversations.history(site, user, {
      in: { kind: 'direct', id: other.id },
      ...(page.before !== undefined ? { before: page.before } : {}),
      ...(page.after !== undefined ? { after: page.after } : {}),
      ...(page.limit !== undefined ? { limit: page.limit } : {}),
    });
    const external = new Map([
      [user.id, user.externalId],
      [other.id, other.externalId],
    ]);
    return {
      messages: found.messages.map((m) => ({ ...m, senderExternalId: external.get(m.senderId) ?? null })),
      hasMore: found.hasMore,
    };
  }

  /** A page of a room's history, newest first, as the room's members see it. */
  async roomHistory(
    site: SiteRecord,
    roomId: string,
    page: AdminHistoryQuery,
  ): Promise<{ messages: HostMessage[]; hasMore: boolean }> {
    const room = await this.room(site, roomId);
    const limit = page.limit ?? 50;
    const which = page.after !== undefined ? { after: page.after } : { before: page.before };
    // Viewer '': nobody's "deleted for me" applies; a message deleted for everyone is a tombstone.
    const rows = await this.deps.store.history(roomConversationId(room.id), '', which, limit + 1);
    const hasMore = rows.length > limit;
    const kept = hasMore ? (which.after ? rows.slice(1) : rows.slice(0, limit)) : rows;
    const senders = new Map<string, string | null>();
    for (const id of new Set(kept.map((m) => m.senderId))) {
      senders.set(id, (await this.deps.store.getUser(id))?.externalId ?? null);
    }
    return {
      messages: kept.map((m) => ({ ...toWireMessage(m), senderExternalId: senders.get(m.senderId) ?? null })),
      hasMore,
    };
  }

  /**
   * Makes each named user a mutual buddy of `externalId` (a request and its acceptance, as two
   * users would). Adds only; a pair where either blocked the other stays as it is.
   */
  async importBuddies(
    site: SiteRecord,
    externalId: string,
    buddies: string[],
  ): Promise<{ results: { externalId: string; state: 'buddies' | 'blocked' | 'not_found' }[] }> {
    const user = await this.user(site, externalId);
    const results: { externalId: string; state: 'buddies' | 'blocked' | 'not_found' }[] = [];
    const met = [user.id];
    for (const other of [...new Set(buddies)]) {
      const buddy =
        other === externalId || other.startsWith(RESERVED_SUBJECT_PREFIX)
          ? null
          : await this.member(site, other).catch((err: unknown) => {
              if (err instanceof ParleyError && err.code === ErrorCode.NotFound) return null;
              throw err;
            });
      if (!buddy) {
        results.push({ externalId: other, state: 'not_found' });
        continue;
      }
      try {
        await this.deps.roster.request(user, buddy.id);
        await this.deps.roster.request(buddy, user.id); // answers the pending request: accepted
        results.push({ externalId: other, state: 'buddies' });
        met.push(buddy.id);
      } catch (err) {
        if (err instanceof ParleyError && (err.code === ErrorCode.Blocked || err.code === ErrorCode.BadRequest)) {
          results.push({ externalId: other, state: 'blocked' });
        } else throw err;
      }
    }
    this.deps.profiles?.meet(site, met);
    return { results };
  }

  /** Which of the named users are online, as their buddies would see it (invisible users are offline). */
  async online(site: SiteRecord, externalIds: string[]): Promise<{ users: (HostUser & { presence: Presence })[] }> {
    const users: UserRecord[] = [];
    for (const id of [...new Set(externalIds)]) {
      const user = await this.deps.store.findUserByExternalId(site.id, id);
      if (user) users.push(user);
    }
    const presence = await this.deps.presence.visibleMany(users);
    return {
      users: users
        .map((u) => ({ ...hostUser(u), presence: presence.get(u.id)! }))
        .filter((u) => u.presence && u.presence.state !== 'offline'),
    };
  }

  /** A page of every online user of the site, by user id (PresenceService.onlinePage). */
  async onlinePage(
    site: SiteRecord,
    page: { cursor?: string; limit?: number },
  ): Promise<{ users: (HostUser & { presence: Presence })[]; nextCursor: string | null }> {
    const found = await this.deps.presence.onlinePage(site.id, page.cursor, page.limit ?? 50);
    const records = new Map((await this.deps.store.usersByIds(found.users.map((u) => u.id))).map((u) => [u.id, u]));
    const users: (HostUser & { presence: Presence })[] = [];
    for (const { id, presence } of found.users) {
      const user = records.get(id);
      // The site's system user never connects; a deleted user's connections are closing.
      if (!user || user.siteId !== site.id || user.externalId?.startsWith(RESERVED_SUBJECT_PREFIX)) continue;
      if (isDeletedUser(user)) continue;
      users.push({ ...hostUser(user), presence });
    }
    return { users, nextCursor: found.next };
  }

  private assertNotReserved(externalId: string) {
    if (externalId.startsWith(RESERVED_SUBJECT_PREFIX)) {
      throw new ParleyError(ErrorCode.BadRequest, `externalId: must not start with ${RESERVED_SUBJECT_PREFIX}`);
    }
  }

  private async user(site: SiteRecord, externalId: string): Promise<UserRecord> {
    this.assertNotReserved(externalId);
    const user = await this.deps.store.findUserByExternalId(site.id, externalId);
    if (!user) throw noUser(externalId);
    return user;
  }

  /**
   * A user named as a room member or buddy. With a profile provider, an id Parley has not seen
   * becomes a user at once (named after the id until the provider answers), so the host can name
   * users that never signed in; without one it is `not_found`.
   */
  private async member(site: SiteRecord, externalId: string): Promise<UserRecord> {
    this.assertNotReserved(externalId);
    const found = await this.deps.store.findUserByExternalId(site.id, externalId);
    if (found) return found;
    if (!this.deps.profiles || siteSettings(site).profileUrl === null) throw noUser(externalId);
    return this.deps.accounts.upsertHostUser(site, externalId, {
      name: null,
      avatar: null,
      email: null,
      verified: false,
    });
  }

  private async room(site: SiteRecord, roomId: string): Promise<RoomRecord> {
    const room = await this.deps.store.getRoom(roomId);
    if (!room || room.siteId !== site.id || room.closedAt) throw noRoom();
    return room;
  }

  /** The site's system user, named after the site, made on first use. */
  private systemUser(site: SiteRecord): Promise<UserRecord> {
    return this.deps.accounts.upsertHostUser(site, SYSTEM_SUBJECT, {
      name: site.name.slice(0, 64) || 'System',
      avatar: null,
      email: null,
      verified: false,
    });
  }
}
