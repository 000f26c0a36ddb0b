import type { RoomRole } from '../../protocol/index.js';
import type { RoomCounts, RoomListing, RoomMemberRecord, RoomRecord } from '../records.js';

/** Rooms and their members and invitations. */
export interface RoomsRepository {
  createRoom(room: RoomRecord, members: { userId: string; role: RoomRole; invitedBy: string | null }[]): Promise<void>;
  /** The room, closed or not; null if there is none. */
  getRoom(id: string): Promise<RoomRecord | null>;
  updateRoom(id: string, patch: Partial<Pick<RoomRecord, 'name' | 'ownerId' | 'closedAt'>>): Promise<RoomRecord>;
  /** Members and invitees, oldest first. */
  roomMembers(roomId: string): Promise<RoomMemberRecord[]>;
  /** The user's role in the room, or null when they are neither member nor invited. */
  roomRole(roomId: string, userId: string): Promise<RoomRole | null>;
  /** Adds or changes a member (or invitation). */
  setRoomMember(roomId: string, userId: string, role: RoomRole, invitedBy?: string | null): Promise<void>;
  /** Removes the user from the room; false when they were not in it. */
  removeRoomMember(roomId: string, userId: string): Promise<boolean>;
  /** Closes a room: sets closedAt and removes every member and invitation. */
  closeRoom(roomId: string, at: Date): Promise<void>;
  /** The open rooms the user is in or invited to, with their role, by room id (after `after`, at most `limit`). */
  roomsOf(userId: string, page?: { after?: string; limit?: number }): Promise<{ room: RoomRecord; role: RoomRole }[]>;
  /**
   * One page of `roomsOf` with every room's members and invitees, in one statement (room:list
   * must not cost a query per room).
   */
  roomList(userId: string, page: { after?: string; limit: number }): Promise<RoomListing[]>;
  /** Each user's counts (users with no room at all are left out), in one statement. */
  roomCounts(userIds: string[]): Promise<Map<string, RoomCounts>>;
  /** Open public rooms of a site whose name contains `query`, with their member counts. */
  searchPublicRooms(siteId: string, query: string, limit: number): Promise<{ room: RoomRecord; members: number }[]>;
  /**
   * Users who share at least one room with the user (both as members, not invitees), but none
   * in a block with the user, whichever of the two blocked: they see each other's presence.
   */
  roomPeers(userId: string): Promise<string[]>;
}
