import type { RoomActivity } from '../records.js';

/**
 * How far users have read rooms. (Markers are written by the hot path, InboxRepository.append,
 * and only move forward.)
 */
export interface ReadMarkersRepository {
  /** How far each member of the room has read it (members with no read marker are left out). */
  roomReadMarkers(roomId: string): Promise<{ userId: string; upTo: string }[]>;
  /**
   * The user's last message, unread and mention counts and read marker in each of these rooms, in
   * one statement (rooms with no message left get none of them).
   */
  roomActivity(userId: string, roomIds: string[]): Promise<Map<string, RoomActivity>>;
}
