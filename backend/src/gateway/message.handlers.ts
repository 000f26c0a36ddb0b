import type { Logger } from '../logger.js';
import type { Messaging } from '../services/messaging.js';
import type { Limiter } from '../services/rate-limiter.js';
import { handle } from './handler.js';
import type { ParleySocket } from './types.js';

/** message:send, message:history, inbox:sync, conversation:list, receipt:send, typing:set. */
export function registerMessageHandlers(
  socket: ParleySocket,
  deps: {
    messaging: Messaging;
    limits: { message: Limiter; typing: Limiter; actions: Limiter };
    logger: Logger;
  },
): void {
  const { messaging, limits, logger } = deps;
  const data = socket.data;

  handle(socket, logger, 'message:send', (p) => messaging.send(data.site, data.user, p), limits.message);
  handle(socket, logger, 'message:history', (p) => messaging.history(data.user, p), limits.actions);
  handle(socket, logger, 'inbox:sync', (p) => messaging.sync(data.user, p), limits.actions);
  handle(socket, logger, 'conversation:list', () => messaging.conversations(data.user), limits.actions);
  handle(socket, logger, 'receipt:send', (p) => messaging.receipt(data.user, p), limits.message);
  handle(socket, logger, 'typing:set', (p) => messaging.typing(data.site, data.user, p), limits.typing);
}
