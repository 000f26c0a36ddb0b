import type { Conversations } from '../../services/conversations.js';
import type { MessageChanges } from '../../services/message-changes.js';
import type { Messaging } from '../../services/messaging.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { Routes } from './handler.js';

type MessageEvents =
  | 'message:send'
  | 'message:history'
  | 'message:around'
  | 'message:search'
  | 'conversation:read'
  | 'typing:set'
  | 'inbox:sync'
  | 'conversation:list'
  | 'file:urls'
  | 'message:edit'
  | 'message:delete'
  | 'message:react'
  | 'message:edits';

/**
 * The events of every conversation, direct or room alike: message:send, message:history,
 * message:around, message:search, conversation:read, typing:set; changes to a message:
 * message:edit, message:delete, message:react, message:edits; and of the inbox: inbox:sync,
 * conversation:list.
 *
 * Edits, deletions and reactions count against the message limit (each writes an entry into every
 * member's inbox, as a message does); reading earlier texts against the action limit.
 */
export function messageRoutes(deps: {
  messaging: Messaging;
  conversations: Conversations;
  messageChanges: MessageChanges;
  limits: { message: Limiter; typing: Limiter; actions: Limiter; search: Limiter };
}): Pick<Routes, MessageEvents> {
  const { messaging, conversations, messageChanges, limits } = deps;
  // A search takes from the action bucket like any request, and from a bucket of its own (it reads more).
  const search: Limiter = {
    take: async (key) => (await limits.actions.take(key)) && (await limits.search.take(key)),
  };
  return {
    'message:send': {
      limiter: limits.message,
      run: ({ id, data }, p, afterAnswer) =>
        conversations.send(data.site, data.user, p, { connection: id, deliver: afterAnswer }),
    },
    'message:history': {
      limiter: limits.actions,
      run: ({ data }, p) => conversations.history(data.site, data.user, p),
    },
    'message:around': {
      limiter: limits.actions,
      run: ({ data }, p) => conversations.around(data.site, data.user, p),
    },
    'message:search': { limiter: search, run: ({ data }, p) => conversations.search(data.site, data.user, p) },
    'conversation:read': { limiter: limits.message, run: ({ data }, p) => conversations.read(data.site, data.user, p) },
    'typing:set': { limiter: limits.typing, run: ({ data }, p) => conversations.typing(data.site, data.user, p) },
    'inbox:sync': { limiter: limits.actions, run: ({ data }, p) => messaging.sync(data.user, p) },
    'conversation:list': { limiter: limits.actions, run: ({ data }) => messaging.conversations(data.user) },
    'file:urls': { limiter: limits.actions, run: ({ data }, p) => conversations.urls(data.site, data.user, p) },
    'message:edit': { limiter: limits.message, run: ({ data }, p) => messageChanges.edit(data.site, data.user, p) },
    'message:delete': { limiter: limits.message, run: ({ data }, p) => messageChanges.delete(data.site, data.user, p) },
    'message:react': { limiter: limits.message, run: ({ data }, p) => messageChanges.react(data.site, data.user, p) },
    'message:edits': { limiter: limits.actions, run: ({ data }, p) => messageChanges.edits(data.site, data.user, p) },
  };
}
