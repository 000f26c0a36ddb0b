import type { Calls } from '../../services/calls/calls.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { Routes } from './handler.js';

type CallEvents = 'call:invite' | 'call:answer' | 'call:signal' | 'call:hangup' | 'call:ice';

/**
 * Calls and direct transfers: invite, answer, signal, hang up, fresh ICE servers. A call is bound
 * to connections, so each route passes the socket's id along with its user.
 */
export function callRoutes(deps: {
  calls: Calls;
  limits: { calls: Limiter; signals: Limiter; actions: Limiter };
}): Pick<Routes, CallEvents> {
  const { calls, limits } = deps;
  return {
    'call:invite': { limiter: limits.calls, run: (socket, p) => calls.invite(socket.data.user, socket.id, p) },
    'call:answer': { limiter: limits.actions, run: (socket, p) => calls.answer(socket.data.user, socket.id, p) },
    'call:signal': { limiter: limits.signals, run: (socket, p) => calls.signal(socket.data.user, socket.id, p) },
    'call:hangup': { limiter: limits.actions, run: (socket, p) => calls.hangup(socket.data.user, socket.id, p) },
    'call:ice': { limiter: limits.actions, run: async (socket) => calls.ice(socket.data.user) },
  };
}
