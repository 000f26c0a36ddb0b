/**
 * Signed actions: a site may require that some requests carry a short-lived token its own server
 * signed (docs/protocol.md#signed-actions). This module names those actions and, for each event
 * that performs one, what its token must name as `act` and `res`. Plain values with type-only
 * imports, so the widget loads it at run time (to ask the page for a token) without zod.
 */
import type { ClientEventName, Payload } from './schemas.js';

/** The actions a site may require a signed token for (`signedActions` in its settings). */
export const SIGNED_ACTIONS = ['room:create', 'room:join', 'room:invite', 'buddy:add', 'call:start'] as const;
export type SignedAction = (typeof SIGNED_ACTIONS)[number];

/** The most seconds an action token may live (its `exp` at most this far ahead). */
export const ACTION_TOKEN_MAX_AGE_S = 60;
/** Characters of an action token's `jti` (the token itself: Limits.actionToken). */
export const ACTION_JTI_MAX = 128;

/** What one request asks to do: the action, and the resource its token must name as `res`. */
export interface ActionRequest {
  action: SignedAction;
  resource: string;
}

type Resource<E extends ClientEventName> = (payload: Payload<E>) => string;

/**
 * The events that perform a signed action, each with its action and its resource:
 * - `room:create`: the new room's name, as sent;
 * - `room:join`: the room's id;
 * - `room:invite`: `<roomId>/<userId>` (the room, and the invited user's Parley id);
 * - `buddy:add` (`roster:request`): the other user's Parley id;
 * - `call:start` (`call:invite`, calls and direct file transfers): the callee's Parley id.
 */
export const SIGNED_EVENTS: {
  'room:create': { action: 'room:create'; resource: Resource<'room:create'> };
  'room:join': { action: 'room:join'; resource: Resource<'room:join'> };
  'room:invite': { action: 'room:invite'; resource: Resource<'room:invite'> };
  'roster:request': { action: 'buddy:add'; resource: Resource<'roster:request'> };
  'call:invite': { action: 'call:start'; resource: Resource<'call:invite'> };
} = {
  'room:create': { action: 'room:create', resource: (p) => p.name },
  'room:join': { action: 'room:join', resource: (p) => p.roomId },
  'room:invite': { action: 'room:invite', resource: (p) => `${p.roomId}/${p.userId}` },
  'roster:request': { action: 'buddy:add', resource: (p) => p.userId },
  'call:invite': { action: 'call:start', resource: (p) => p.to },
};

export type SignedEventName = keyof typeof SIGNED_EVENTS;

/** The action (and its resource) `event` with `payload` performs, or null when it performs none. */
export function signedActionOf(event: string, payload: unknown): ActionRequest | null {
  if (!Object.hasOwn(SIGNED_EVENTS, event)) return null;
  const entry = SIGNED_EVENTS[event as SignedEventName] as {
    action: SignedAction;
    resource: (p: unknown) => string;
  };
  return { action: entry.action, resource: entry.resource(payload) };
}
