import type { Conversations } from '../../services/conversations.js';
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
  | 'file:urls';

/**
 * The events of every conversation, direct or room alike: message:send, message:history,
 * message:around, message:search, conversation:read, typing:set; and of the inbox: inbox:sync,
 * conversation:list.
 */
export function messageRoutes(deps: {
  messaging: Messaging;
  conversations: Conversations;
  limits: { message: Limiter; typing: Limiter; actions: Limiter; search: Limiter };
}): Pick<Routes, MessageEvents> {
  const { messaging, conversations, limits } = deps;
  // A search takes from the action bucket like any request, and from a bucket of its own (it reads more).
  const search: Limiter = {
    take: async (key) => (await limits.actions.take(key)) && (await limits.search.take(key)),
  };
  return {
    'message:send': { limiter: limits.message, run: ({ data }, p) => conversations.send(data.site, data.user, p) },
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
  };
}
