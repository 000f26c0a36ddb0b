import type { Logger } from '../../logger.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { RoomService } from '../../services/rooms.js';
import { handle } from './handler.js';
import type { ParleySocket } from './types.js';

/** room:*: membership and administration, under the action limit (messages, reads and typing are conversation events). */
export function registerRoomHandlers(
  socket: ParleySocket,
  deps: { rooms: RoomService; limits: { actions: Limiter }; logger: Logger },
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
}
