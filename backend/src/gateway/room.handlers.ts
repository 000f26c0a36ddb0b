import type { Logger } from '../logger.js';
import type { Limiter } from '../services/rate-limiter.js';
import type { RoomService } from '../services/rooms.js';
import { handle } from './handler.js';
import type { ParleySocket } from './types.js';

/** room:*: membership and administration under the action limit, messages and reads under the message limit, typing under the typing limit. */
export function registerRoomHandlers(
  socket: ParleySocket,
  deps: { rooms: RoomService; limits: { message: Limiter; actions: Limiter; typing: Limiter }; logger: Logger },
): void {
  const { rooms, logger, limits } = deps;
  const data = socket.data;
  const act = limits.actions;

  handle(socket, logger, 'room:create', (p) => rooms.create(data.site, data.user, p), act);
  handle(socket, logger, 'room:list', (p) => rooms.list(data.user, p), act);
  handle(socket, logger, 'room:search', (p) => rooms.search(data.user, p), act);
  handle(socket, logger, 'room:join', (p) => rooms.join(data.user, p), act);
  handle(socket, logger, 'room:invite', (p) => rooms.invite(data.site, data.user, p), act);
  handle(socket, logger, 'room:accept', (p) => rooms.accept(data.user, p), act);
  handle(socket, logger, 'room:decline', (p) => rooms.decline(data.user, p), act);
  handle(socket, logger, 'room:leave', (p) => rooms.leave(data.user, p), act);
  handle(socket, logger, 'room:remove', (p) => rooms.remove(data.user, p), act);
  handle(socket, logger, 'room:role', (p) => rooms.role(data.user, p), act);
  handle(socket, logger, 'room:rename', (p) => rooms.rename(data.user, p), act);
  handle(socket, logger, 'room:close', (p) => rooms.close(data.user, p), act);
  handle(socket, logger, 'room:history', (p) => rooms.history(data.user, p), act);
  handle(socket, logger, 'room:send', (p) => rooms.send(data.user, p), limits.message);
  handle(socket, logger, 'room:read', (p) => rooms.read(data.user, p), limits.message);
  handle(socket, logger, 'room:typing', (p) => rooms.typing(data.user, p), limits.typing);
}
