import { timeOrderedId } from '../ids.js';
import {
  ErrorCode,
  Limits,
  type Payload,
  type Presence,
  type ReplyData,
  type RoomInfo,
  type RoomRemoved,
  type RoomRole,
  type RoomSummary,
} from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  type RoomListMember,
  type RoomMemberRecord,
  type RoomRecord,
  type SiteRecord,
  type Store,
  type UserRecord,
} from '../store/store.js';
import { toSummary, toWireMessage } from '../store/wire.js';
import { KeyedLock } from './keyed-lock.js';
import {
  assertInvitesLeft,
  assertMayHoldOneMore,
  defaultRoomCaps,
  limitReached,
  NO_ROOMS,
  type RoomCaps,
} from './room-caps.js';
import type { Notifier } from './notifier.js';
import { offline, type PresenceService } from './presence.js';
import type { Relations } from './relations.js';
import type { RoomChange, RoomEvents } from './webhooks/webhooks.js';

const MEMBER_ROLES: readonly RoomRole[] = ['owner', 'admin', 'member'];
const MANAGERS: readonly RoomRole[] = ['owner', 'admin'];

const missing = () => new ParleyError(ErrorCode.NotFound, 'No such room.');

export { mentionedUsernames } from './mentions.js';
export { defaultRoomCaps, type RoomCaps } from './room-caps.js';

/**
 * Whose presence a viewer sees in a room: none while the viewer is only invited; otherwise every
 * member's but those only invited and those in a block with the viewer, whichever of the two
 * blocked (the same rule as the presence fan-out, Store.roomPeers).
 */
interface Viewpoint {
  invited: boolean;
  hidden: ReadonlySet<string>;
}

/**
 * Group chat. A room's messages go through the same batched writer as one-to-one messages: the
 * writer resolves the room's members inside its transaction and gives each an inbox entry, so
 * a member who was away gets them on sync, in order, once, and a removed member gets nothing
 * more. Everything here checks membership first; a room the caller is not in looks missing.
 */
export class RoomService {
  constructor(
    private readonly store: Store,
    private readonly relations: Relations,
    private readonly presence: PresenceService,
    private readonly notify: Notifier,
    private readonly logger: Logger,
    private readonly caps: RoomCaps = defaultRoomCaps,
    /** Told of every change (webhooks: room.changed). */
    private readonly events: RoomEvents | null = null,
  ) {}

  /** Serialises the count check and the write of the caps, per user (see KeyedLock). */
  private readonly lock = new KeyedLock();

  // -------------------------------------------------------------------------------------------
  // Membership

  async create(site: SiteRecord, user: UserRecord, input: Payload<'room:create'>): Promise<ReplyData['room:create']> {
    const invite = [...new Set(input.invite ?? [])].filter((id) => id !== user.id);
    for (const id of invite) await this.assertInvitable(site, user, id);
    return this.lock.run([user.id, ...invite], async () => {
      const counts = await this.store.roomCounts([user.id, ...invite]);
      const mine = counts.get(user.id) ?? NO_ROOMS;
      if (mine.owned >= this.caps.owned) {
        throw limitReached(`You own ${this.caps.owned} rooms, the most one may. Close one to make another.`);
      }
      assertMayHoldOneMore(this.caps, mine);
      assertInvitesLeft(this.caps, mine, invite, counts);
      return this.createNow(user, input, invite);
    });
  }

  private async createNow(
    user: UserRecord,
    input: Payload<'room:create'>,
    invite: string[],
  ): Promise<ReplyData['room:create']> {
    const room: RoomRecord = {
      id: timeOrderedId(),
      siteId: user.siteId,
      name: input.name.trim(),
      public: input.public ?? false,
      ownerId: user.id,
      closedAt: null,
      createdAt: new Date(),
    };
    await this.store.createRoom(room, [
      { userId: user.id, role: 'owner', invitedBy: null },
      ...invite.map((userId) => ({ userId, role: 'invited' as const, invitedBy: user.id })),
    ]);
    this.logger.info({ room: room.id, user: user.id, invited: invite.length }, 'room created');
    return { room: await this.changed(room, user.id, 'created') };
  }

  /**
   * The host site's server makes a room (server API, docs/api.md): the owner and the members are
   * in it at once, without invitations, since the host decides who belongs together. Each still
   * counts against the rooms a user may hold.
   */
  async createForHost(
    owner: UserRecord,
    input: { name: string; public: boolean },
    memberIds: string[],
  ): Promise<RoomInfo> {
    const members = [...new Set(memberIds)].filter((id) => id !== owner.id);
    if (members.length + 1 > Limits.roomMembers) {
      throw new ParleyError(ErrorCode.RoomFull, `A room holds at most ${Limits.roomMembers} members and invitations.`);
    }
    return this.lock.run([owner.id, ...members], async () => {
      const counts = await this.store.roomCounts([owner.id, ...members]);
      const mine = counts.get(owner.id) ?? NO_ROOMS;
      if (mine.owned >= this.caps.owned)
        throw limitReached(`The owner owns ${this.caps.owned} rooms, the most one may.`);
      for (const id of [owner.id, ...members]) assertMayHoldOneMore(this.caps, counts.get(id) ?? NO_ROOMS);
      const room: RoomRecord = {
        id: timeOrderedId(),
        siteId: owner.siteId,
        name: input.name.trim(),
        public: input.public,
        ownerId: owner.id,
        closedAt: null,
        createdAt: new Date(),
      };
      await this.store.createRoom(room, [
        { userId: owner.id, role: 'owner', invitedBy: null },
        ...members.map((userId) => ({ userId, role: 'member' as const, invitedBy: null })),
      ]);
      this.logger.info({ room: room.id, owner: owner.id, members: members.length }, 'room created by the host');
      await this.membershipChanged(room.id);
      return this.changed(room, owner.id, 'created');
    });
  }

  /** The host site's server puts a user in one of its site's open rooms as a member (no-op if in it). */
  async addForHost(room: RoomRecord, userId: string): Promise<void> {
    const role = await this.store.roomRole(room.id, userId);
    if (role && role !== 'invited') return;
    await this.assertRoomForOneMore(room.id);
    await this.store.setRoomMember(room.id, userId, 'member', null);
    await this.membershipChanged(room.id);
    await this.changed(room, '', 'members');
  }

  /**
   * The host site's server sets who is in a room (server API): everyone in `memberIds` is a member
   * afterwards (admins stay admins), everyone else but the owner and `keep` is removed, invitations
   * included. Those removed get `room:removed`, the rest the new member list.
   */
  async setMembersForHost(room: RoomRecord, memberIds: string[], keep: readonly string[] = []): Promise<RoomInfo> {
    const wanted = new Set(memberIds.filter((id) => id !== room.ownerId));
    const kept = new Set([room.ownerId, ...keep]);
    if (new Set([...wanted, ...kept]).size > Limits.roomMembers) {
      throw new ParleyError(ErrorCode.RoomFull, `A room holds at most ${Limits.roomMembers} members and invitations.`);
    }
    const current = await this.store.roomMembers(room.id);
    const joined = new Set(current.filter((m) => m.role !== 'invited').map((m) => m.user.id));
    const adding = [...wanted].filter((id) => !joined.has(id));
    const removing = current.map((m) => m.user.id).filter((id) => !wanted.has(id) && !kept.has(id));
    await this.lock.run(adding, async () => {
      const counts = await this.store.roomCounts(adding);
      for (const id of adding) assertMayHoldOneMore(this.caps, counts.get(id) ?? NO_ROOMS);
      for (const id of adding) await this.store.setRoomMember(room.id, id, 'member', null);
    });
    for (const id of removing) await this.store.removeRoomMember(room.id, id);
    this.logger.info({ room: room.id, added: adding.length, removed: removing.length }, 'room members set by the host');
    if (removing.length > 0) await this.gone(room, removing, 'removed');
    else {
      await this.membershipChanged(room.id);
      await this.changed(room, '', 'members');
    }
    return this.info(room, room.ownerId);
  }

  /**
   * One page of the caller's rooms and invitations, by room id. A constant number of statements
   * whatever the page holds: the rooms with their members, their activity, the caller's blocks.
   */
  async list(user: UserRecord, input: Payload<'room:list'>): Promise<ReplyData['room:list']> {
    const limit = input.limit ?? Limits.roomListPage;
    const found = await this.store.roomList(user.id, { after: input.after, limit: limit + 1 });
    const page = found.slice(0, limit);
    const users = new Map(page.flatMap(({ members }) => members.map((m) => [m.user.id, m.user] as const)));
    const [activity, hidden, presence] = await Promise.all([
      this.store.roomActivity(
        user.id,
        page.filter((r) => r.role !== 'invited').map((r) => r.room.id),
      ),
      this.store.blockedWith(user.id),
      this.presence.visibleMany([...users.values()]),
    ]);
    const rooms = page.map(({ room, role, members }): RoomSummary => {
      const a = activity.get(room.id);
      return {
        room: this.view(room, members, presence, { invited: role === 'invited', hidden }),
        lastMessage: a?.lastMessage ? toWireMessage(a.lastMessage) : null,
        unread: a?.unread ?? 0,
        mentions: a?.mentions ?? 0,
        readUpTo: a?.readUpTo ?? null,
      };
    });
    return { rooms, hasMore: found.length > limit };
  }

  async search(user: UserRecord, input: Payload<'room:search'>): Promise<ReplyData['room:search']> {
    const found = await this.store.searchPublicRooms(user.siteId, input.query?.trim() ?? '', Limits.searchResults);
    return { rooms: found.map(({ room, members }) => ({ id: room.id, name: room.name, members })) };
  }

  /** Joins a public room, or accepts an invitation to any room. */
  async join(user: UserRecord, input: Payload<'room:join'>): Promise<ReplyData['room:join']> {
    const room = await this.openRoom(user, input.roomId);
    const role = await this.store.roomRole(room.id, user.id);
    if (role === 'invited') return this.accept(user, input);
    if (role) return { room: await this.info(room, user.id) };
    if (!room.public) throw missing(); // private rooms are invisible to outsiders
    await this.lock.run([user.id], async () => {
      assertMayHoldOneMore(this.caps, (await this.store.roomCounts([user.id])).get(user.id) ?? NO_ROOMS);
      await this.assertRoomForOneMore(room.id);
      await this.store.setRoomMember(room.id, user.id, 'member');
    });
    await this.membershipChanged(room.id);
    return { room: await this.changed(room, user.id, 'members') };
  }

  async invite(site: SiteRecord, user: UserRecord, input: Payload<'room:invite'>): Promise<ReplyData['room:invite']> {
    const { room } = await this.access(user, input.roomId, MEMBER_ROLES);
    if (input.userId === user.id) throw new ParleyError(ErrorCode.BadRequest, 'You are in this room already.');
    await this.assertInvitable(site, user, input.userId);
    const written = await this.lock.run([user.id, input.userId], async () => {
      const existing = await this.store.roomRole(room.id, input.userId);
      if (existing) return false; // member or invited already: nothing to do
      const counts = await this.store.roomCounts([user.id, input.userId]);
      assertInvitesLeft(this.caps, counts.get(user.id) ?? NO_ROOMS, [input.userId], counts);
      await this.assertRoomForOneMore(room.id);
      await this.store.setRoomMember(room.id, input.userId, 'invited', user.id);
      return true;
    });
    return { room: written ? await this.changed(room, user.id, 'members') : await this.info(room, user.id) };
  }

  async accept(user: UserRecord, input: Payload<'room:accept'>): Promise<ReplyData['room:accept']> {
    const { room, role } = await this.access(user, input.roomId, ['invited', ...MEMBER_ROLES]);
    if (role !== 'invited') return { room: await this.info(room, user.id) };
    await this.lock.run([user.id], async () => {
      assertMayHoldOneMore(this.caps, (await this.store.roomCounts([user.id])).get(user.id) ?? NO_ROOMS);
      await this.store.setRoomMember(room.id, user.id, 'member');
    });
    await this.membershipChanged(room.id);
    return { room: await this.changed(room, user.id, 'members') };
  }

  async decline(user: UserRecord, input: Payload<'room:decline'>): Promise<ReplyData['room:decline']> {
    const { room } = await this.access(user, input.roomId, ['invited']);
    await this.store.removeRoomMember(room.id, user.id);
    await this.gone(room, [user.id], 'declined');
    return {};
  }

  /** Leaves a room. An owner who leaves hands the room to the longest-standing admin, else member; alone, closes it. */
  async leave(user: UserRecord, input: Payload<'room:leave'>): Promise<ReplyData['room:leave']> {
    const { room, role } = await this.access(user, input.roomId, MEMBER_ROLES);
    if (role === 'owner') {
      const others = (await this.store.roomMembers(room.id)).filter((m) => m.user.id !== user.id);
      const heir = others.find((m) => m.role === 'admin') ?? others.find((m) => m.role === 'member');
      if (!heir) return this.close(user, input);
      await this.store.setRoomMember(room.id, heir.user.id, 'owner');
      Object.assign(room, await this.store.updateRoom(room.id, { ownerId: heir.user.id }));
    }
    await this.store.removeRoomMember(room.id, user.id);
    await this.gone(room, [user.id], 'left');
    return {};
  }

  /** Removes a member, or withdraws an invitation. Admins may remove members and invitees; the owner anyone. */
  async remove(user: UserRecord, input: Payload<'room:remove'>): Promise<ReplyData['room:remove']> {
    const { room, role } = await this.access(user, input.roomId, MEMBER_ROLES);
    if (!MANAGERS.includes(role)) {
      throw new ParleyError(ErrorCode.Forbidden, 'Only the owner and admins can remove members.');
    }
    if (input.userId === user.id) throw new ParleyError(ErrorCode.BadRequest, 'Use room:leave to leave a room.');
    const target = await this.store.roomRole(room.id, input.userId);
    if (!target) throw new ParleyError(ErrorCode.NotFound, 'That user is not in this room.');
    if (role === 'admin' && MANAGERS.includes(target)) {
      throw new ParleyError(ErrorCode.Forbidden, 'Admins cannot remove the owner or other admins.');
    }
    await this.store.removeRoomMember(room.id, input.userId);
    this.logger.info({ room: room.id, user: user.id, removed: input.userId }, 'room member removed');
    await this.gone(room, [input.userId], 'removed');
    return { room: await this.info(room, user.id) };
  }

  /** The owner names admins (or takes the role back). */
  async role(user: UserRecord, input: Payload<'room:role'>): Promise<ReplyData['room:role']> {
    const { room, role } = await this.access(user, input.roomId, MEMBER_ROLES);
    if (role !== 'owner') throw new ParleyError(ErrorCode.Forbidden, 'Only the owner can name admins.');
    const target = await this.store.roomRole(room.id, input.userId);
    if (target !== 'admin' && target !== 'member') {
      throw new ParleyError(ErrorCode.NotFound, 'That user is not a member of this room.');
    }
    if (target !== input.role) await this.store.setRoomMember(room.id, input.userId, input.role);
    return { room: await this.changed(room, user.id, 'roles') };
  }

  async rename(user: UserRecord, input: Payload<'room:rename'>): Promise<ReplyData['room:rename']> {
    const { room, role } = await this.access(user, input.roomId, MEMBER_ROLES);
    if (!MANAGERS.includes(role)) throw new ParleyError(ErrorCode.Forbidden, 'Only the owner and admins can rename.');
    const renamed = await this.store.updateRoom(room.id, { name: input.name.trim() });
    return { room: await this.changed(renamed, user.id, 'renamed') };
  }

  /** Closes the room for everyone: no more messages, and nobody can read it any more. */
  async close(user: UserRecord, input: Payload<'room:close'>): Promise<ReplyData['room:close']> {
    const { room, role } = await this.access(user, input.roomId, MEMBER_ROLES);
    if (role !== 'owner') throw new ParleyError(ErrorCode.Forbidden, 'Only the owner can close the room.');
    const everyone = (await this.store.roomMembers(room.id)).map((m) => m.user.id);
    await this.store.closeRoom(room.id, new Date());
    this.logger.info({ room: room.id, user: user.id }, 'room closed');
    this.relations.changed(...everyone);
    this.notify.toUsers(everyone, 'room:removed', { roomId: room.id, reason: 'closed' });
    this.events?.roomChanged(room, 'closed', []);
    return {};
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  /** An open room of the user's site, or not_found. */
  private async openRoom(user: UserRecord, roomId: string): Promise<RoomRecord> {
    const room = await this.store.getRoom(roomId);
    if (!room || room.siteId !== user.siteId || room.closedAt) throw missing();
    return room;
  }

  /** The room and the caller's role, if it is one of `roles`; otherwise the room looks missing. */
  private async access(
    user: UserRecord,
    roomId: string,
    roles: readonly RoomRole[],
  ): Promise<{ room: RoomRecord; role: RoomRole }> {
    const room = await this.openRoom(user, roomId);
    const role = await this.store.roomRole(room.id, user.id);
    if (!role || !roles.includes(role)) throw missing();
    return { room, role };
  }

  /** Invitees are people the inviter may message: buddies, or anyone on sites that allow it, never across a block. */
  private async assertInvitable(site: SiteRecord, user: UserRecord, inviteeId: string): Promise<void> {
    const invitee = await this.store.getUser(inviteeId);
    if (!invitee || invitee.siteId !== user.siteId) throw new ParleyError(ErrorCode.NotFound, 'No such user.');
    await this.relations.assertMayMessage(site, user.id, inviteeId);
  }

  private async assertRoomForOneMore(roomId: string): Promise<void> {
    if ((await this.store.roomMembers(roomId)).length >= Limits.roomMembers) {
      throw new ParleyError(ErrorCode.RoomFull, `A room holds at most ${Limits.roomMembers} members and invitations.`);
    }
  }

  /** The room as `viewerId` sees it now. */
  private async info(room: RoomRecord, viewerId: string): Promise<RoomInfo> {
    const members = await this.store.roomMembers(room.id);
    return (await this.viewsOf(room, members))(viewerId).info;
  }

  /**
   * What each member sees of the room: the members' presence is looked up once and the blocks
   * among them read in one statement; viewers who see the same get the same object (`key`).
   */
  private async viewsOf(
    room: RoomRecord,
    members: RoomMemberRecord[],
  ): Promise<(viewerId: string) => { key: string; info: RoomInfo }> {
    const [presence, blocks] = await Promise.all([
      this.presence.visibleMany(members.map((m) => m.user)),
      this.store.blocksAmong(members.map((m) => m.user.id)),
    ]);
    const blockedWith = new Map<string, Set<string>>();
    for (const [a, b] of blocks) {
      blockedWith.set(a, (blockedWith.get(a) ?? new Set()).add(b));
      blockedWith.set(b, (blockedWith.get(b) ?? new Set()).add(a));
    }
    const roles = new Map(members.map((m) => [m.user.id, m.role]));
    const seen = new Map<string, RoomInfo>();
    return (viewerId) => {
      const role = roles.get(viewerId);
      const hidden = blockedWith.get(viewerId) ?? new Set<string>();
      const invited = role === undefined || role === 'invited';
      const key = invited ? 'invited' : [...hidden].sort().join(',');
      let info = seen.get(key);
      if (!info) {
        info = this.view(room, members, presence, { invited, hidden });
        seen.set(key, info);
      }
      return { key, info };
    };
  }

  private view(
    room: RoomRecord,
    members: readonly Pick<RoomListMember, 'user' | 'role'>[],
    presence: ReadonlyMap<string, Presence>,
    viewer: Viewpoint,
  ): RoomInfo {
    type Member = (typeof members)[number];
    const order = (m: Member) => (m.user.id === room.ownerId ? 0 : 1);
    const shows = (m: Member) => !viewer.invited && m.role !== 'invited' && !viewer.hidden.has(m.user.id);
    return {
      id: room.id,
      name: room.name,
      public: room.public,
      ownerId: room.ownerId,
      members: [...members]
        .sort((a, b) => order(a) - order(b))
        .map((m) => ({
          user: toSummary(m.user),
          role: m.role,
          presence: (shows(m) && presence.get(m.user.id)) || offline(null),
        })),
    };
  }

  /**
   * Tells everyone in the room (and invited) what it looks like now, each as they may see it (one
   * emit per distinct view); resolves with the view of `viewerId` (the caller).
   */
  private async changed(room: RoomRecord, viewerId = '', change: RoomChange = 'members'): Promise<RoomInfo> {
    const members = await this.store.roomMembers(room.id);
    this.events?.roomChanged(room, change, members);
    const viewOf = await this.viewsOf(room, members);
    const groups = new Map<string, { info: RoomInfo; userIds: string[] }>();
    for (const m of members) {
      const { key, info } = viewOf(m.user.id);
      const group = groups.get(key) ?? { info, userIds: [] };
      group.userIds.push(m.user.id);
      groups.set(key, group);
    }
    for (const { info, userIds } of groups.values()) this.notify.toUsers(userIds, 'room:changed', { room: info });
    return viewOf(viewerId).info;
  }

  /** Some users are out of the room: they are told, the rest get the new member list. */
  private async gone(room: RoomRecord, userIds: string[], reason: RoomRemoved['reason']): Promise<void> {
    this.notify.toUsers(userIds, 'room:removed', { roomId: room.id, reason });
    await this.membershipChanged(room.id, userIds);
    await this.changed(room, '', 'members');
  }

  /** Who sees whose presence follows room membership. */
  private async membershipChanged(roomId: string, alsoUsers: string[] = []): Promise<void> {
    const members = await this.store.roomMembers(roomId);
    this.relations.changed(...members.map((m) => m.user.id), ...alsoUsers);
  }
}
