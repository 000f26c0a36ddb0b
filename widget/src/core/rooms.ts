import { batch, signal, type ReadonlySignal } from '@preact/signals-core';
import type { PublicRoom, RoomInfo, RoomRole, RoomSummary, UserSummary } from '@parley/backend/protocol';
import { roomKey } from './conversations.js';
import type { Feature } from './feature.js';

export type RoomAction =
  'room:invite' | 'room:remove' | 'room:role' | 'room:rename' | 'room:decline' | 'room:leave' | 'room:close';

export interface Rooms {
  /** Rooms the user is in or invited to, by room id. */
  rooms: ReadonlySignal<ReadonlyMap<string, RoomInfo>>;
  /** The user's place in a room: a role, or `invited`. */
  roleIn(room: RoomInfo): RoomRole | null;
  /** A member of a room, as the room shows them. */
  member(roomId: string, userId: string): UserSummary | null;
  createRoom(name: string, isPublic: boolean, invite?: string[]): Promise<RoomInfo>;
  searchRooms(query: string): Promise<PublicRoom[]>;
  /** Joins a public room or accepts an invitation. */
  joinRoom(roomId: string): Promise<void>;
  /** One room action whose answer is the room as it is now (or nothing, when the user is out of it). */
  roomAction(
    action: RoomAction,
    payload: { roomId: string; userId?: string; name?: string; role?: 'admin' | 'member' },
  ): Promise<void>;
}

/**
 * Rooms and invitations: the paged list at sign-in, membership pushed by the server
 * (`room:changed`, `room:removed`), read markers of the other members (`room:seen`), and the
 * room actions. `loadHistory` fetches what was said in a room the user has just joined.
 */
export const rooms =
  (loadHistory: (key: string) => void): Feature<Rooms> =>
  ({ on, request, me, conversations, screen, onSynced, onReset }) => {
    const all = signal<ReadonlyMap<string, RoomInfo>>(new Map());
    /** Maps every known room (and sets `put`, if given). */
    const patch = (map: (room: RoomInfo) => RoomInfo, put?: RoomInfo) => {
      const next = new Map([...all.value].map(([id, room]) => [id, map(room)]));
      if (put) next.set(put.id, put);
      all.value = next;
    };
    const roleIn = (room: RoomInfo) => room.members.find((m) => m.user.id === me.value?.id)?.role ?? null;

    /** The user's rooms with unread and mention counts, page by page (the server caps how many one holds). */
    const load = async () => {
      try {
        const list: RoomSummary[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await request('room:list', after === undefined ? {} : { after });
          list.push(...page.rooms);
          if (!page.hasMore || page.rooms.length === 0) break;
          after = page.rooms.at(-1)!.room.id;
        }
        all.value = new Map(list.map((r) => [r.room.id, r.room]));
        for (const summary of list) {
          const visible = screen.isVisible(roomKey(summary.room.id));
          conversations.dispatch({ type: 'room-summary', summary, visible });
        }
      } catch (err) {
        console.warn('[Parley] could not load rooms', err);
      }
    };

    onSynced(() => void load());
    onReset(() => (all.value = new Map()));
    on('presence:changed', ({ userId, presence }) => {
      if (userId === me.value?.id) return;
      patch((room) =>
        room.members.some((m) => m.user.id === userId)
          ? { ...room, members: room.members.map((m) => (m.user.id === userId ? { ...m, presence } : m)) }
          : room,
      );
    });
    on('room:seen', ({ roomId, userId, upTo }) => {
      if (userId !== me.value?.id) conversations.dispatch({ type: 'seen', key: roomKey(roomId), userId, upTo });
    });
    on('room:changed', ({ room }) => {
      const known = all.value.has(room.id);
      patch((r) => r, room);
      // Just joined (or accepted on another tab): fetch what was said.
      const key = roomKey(room.id);
      if (roleIn(room) !== 'invited' && (!known || screen.openChats().includes(key))) loadHistory(key);
    });
    on('room:removed', ({ roomId }) => {
      const next = new Map(all.value);
      next.delete(roomId);
      batch(() => {
        all.value = next;
        conversations.dispatch({ type: 'remove', key: roomKey(roomId) });
      });
    });

    return {
      rooms: all,
      roleIn,
      member: (roomId, userId) => all.value.get(roomId)?.members.find((m) => m.user.id === userId)?.user ?? null,
      async createRoom(name, isPublic, invite = []) {
        const { room } = await request('room:create', { name, public: isPublic, invite });
        patch((r) => r, room);
        return room;
      },
      searchRooms: (query) => request('room:search', query.trim() ? { query: query.trim() } : {}).then((r) => r.rooms),
      async joinRoom(roomId) {
        const { room } = await request('room:join', { roomId });
        patch((r) => r, room);
      },
      async roomAction(action, payload) {
        const data = (await request(action, payload as never)) as { room?: RoomInfo };
        if (data.room) patch((r) => r, data.room);
      },
    };
  };
