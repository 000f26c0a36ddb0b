import type { Logger } from '../../logger.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { RosterService } from '../../services/roster.js';
import { handle } from './handler.js';
import type { ParleySocket } from './types.js';

/** roster:* and user:search. */
export function registerRosterHandlers(
  socket: ParleySocket,
  deps: { roster: RosterService; limits: { actions: Limiter; buddyRequests: Limiter }; logger: Logger },
): void {
  const { roster, logger } = deps;
  const limit = deps.limits.actions;
  // Buddy requests reach another person, so they have a tighter limit of their own (spam).
  const requestLimit: Limiter = {
    take: async (key) => (await limit.take(key)) && (await deps.limits.buddyRequests.take(key)),
  };
  const user = () => socket.data.user;

  handle(socket, logger, 'user:search', async (p) => ({ users: await roster.search(user(), p.query) }), limit);
  handle(
    socket,
    logger,
    'roster:request',
    async (p) => ({ entry: await roster.request(user(), p.userId, p.group ?? null) }),
    requestLimit,
  );
  handle(
    socket,
    logger,
    'roster:accept',
    async (p) => ({ entry: await roster.accept(user(), p.userId, p.group ?? null) }),
    limit,
  );
  handle(socket, logger, 'roster:decline', async (p) => ({ entry: await roster.decline(user(), p.userId) }), limit);
  handle(socket, logger, 'roster:cancel', async (p) => ({ entry: await roster.cancel(user(), p.userId) }), limit);
  handle(socket, logger, 'roster:remove', async (p) => ({ entry: await roster.remove(user(), p.userId) }), limit);
  handle(socket, logger, 'roster:block', async (p) => ({ entry: await roster.block(user(), p.userId) }), limit);
  handle(socket, logger, 'roster:unblock', async (p) => ({ entry: await roster.unblock(user(), p.userId) }), limit);
  handle(
    socket,
    logger,
    'roster:group',
    async (p) => ({ entry: await roster.group(user(), p.userId, p.group) }),
    limit,
  );
  handle(
    socket,
    logger,
    'roster:rename-group',
    async (p) => ({ renamed: await roster.renameGroup(user(), p.from, p.to) }),
    limit,
  );
}
