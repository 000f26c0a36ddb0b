import type { Logger } from '../../logger.js';
import type { Conversations } from '../../services/conversations.js';
import type { Messaging } from '../../services/messaging.js';
import type { Limiter } from '../../services/rate-limiter.js';
import { handle } from './handler.js';
import type { ParleySocket } from './types.js';

/**
 * The events of every conversation, direct or room alike: message:send, message:history,
 * conversation:read, typing:set; and of the inbox: inbox:sync, conversation:list.
 */
export function registerMessageHandlers(
  socket: ParleySocket,
  deps: {
    messaging: Messaging;
    conversations: Conversations;
    limits: { message: Limiter; typing: Limiter; actions: Limiter };
    logger: Logger;
  },
): void {
  const { messaging, conversations, limits, logger } = deps;
  const data = socket.data;

  handle(socket, logger, 'message:send', (p) => conversations.send(data.site, data.user, p), limits.message);
  handle(socket, logger, 'message:history', (p) => conversations.history(data.site, data.user, p), limits.actions);
  handle(socket, logger, 'conversation:read', (p) => conversations.read(data.site, data.user, p), limits.message);
  handle(socket, logger, 'typing:set', (p) => conversations.typing(data.site, data.user, p), limits.typing);
  handle(socket, logger, 'inbox:sync', (p) => messaging.sync(data.user, p), limits.actions);
  handle(socket, logger, 'conversation:list', () => messaging.conversations(data.user), limits.actions);
}
