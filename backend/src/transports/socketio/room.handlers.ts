import type { Limiter } from '../../services/rate-limiter.js';
import type { RoomService } from '../../services/rooms.js';
import type { Routes } from './handler.js';

type RoomEvents = Extract<keyof Routes, `room:${string}`>;

/** room:*: membership and administration, under the action limit (messages, reads and typing are conversation events). */
export function roomRoutes(deps: { rooms: RoomService; limits: { actions: Limiter } }): Pick<Routes, RoomEvents> {
  const { rooms } = deps;
  const limiter = deps.limits.actions;
  return {
    'room:create': { limiter, run: ({ data }, p) => rooms.create(data.site, data.user, p) },
    'room:list': { limiter, run: ({ data }, p) => rooms.list(data.user, p) },
    'room:search': { limiter, run: ({ data }, p) => rooms.search(data.user, p) },
    'room:join': { limiter, run: ({ data }, p) => rooms.join(data.user, p) },
    'room:invite': { limiter, run: ({ data }, p) => rooms.invite(data.site, data.user, p) },
    'room:accept': { limiter, run: ({ data }, p) => rooms.accept(data.user, p) },
    'room:decline': { limiter, run: ({ data }, p) => rooms.decline(data.user, p) },
    'room:leave': { limiter, run: ({ data }, p) => rooms.leave(data.user, p) },
    'room:remove': { limiter, run: ({ data }, p) => rooms.remove(data.user, p) },
    'room:role': { limiter, run: ({ data }, p) => rooms.role(data.user, p) },
    'room:rename': { limiter, run: ({ data }, p) => rooms.rename(data.user, p) },
    'room:close': { limiter, run: ({ data }, p) => rooms.close(data.user, p) },
  };
}
