import { ErrorCode } from '../../protocol/index.js';
import { SIGNED_EVENTS, signedActionOf, type SignedEventName } from '../../protocol/signed-actions.js';
import { ParleyError } from '../../errors.js';
import type { ActionTokens } from '../../services/action-tokens.js';
import type { Route, Routes } from './handler.js';

/**
 * The routes, with the events that perform a signed action (SIGNED_EVENTS) checking their
 * `actionToken` first where the connection's site requires one (docs/protocol.md#signed-actions).
 * The token is taken off the payload: the services never see it.
 */
export function requireActionTokens(routes: Routes, tokens: ActionTokens): Routes {
  const wrapped: Routes = { ...routes };
  for (const event of Object.keys(SIGNED_EVENTS) as SignedEventName[]) {
    const route = routes[event] as unknown as Route<SignedEventName>;
    (wrapped as unknown as Record<SignedEventName, Route<SignedEventName>>)[event] = {
      limiter: route.limiter,
      async run(socket, payload, afterAnswer) {
        const { site, user } = socket.data;
        const { actionToken, ...rest } = payload;
        // Invitations made with the room would each need a token of their own: refused (before any
        // token is used up) rather than let room:create carry invitations the site wants signed.
        const invites = event === 'room:create' ? (rest as { invite?: string[] }).invite : undefined;
        if (invites?.length && tokens.required(site, 'room:invite')) {
          throw new ParleyError(
            ErrorCode.ActionTokenRequired,
            'This site requires a signed token for each invitation: create the room, then invite (room:invite).',
          );
        }
        await tokens.check(site, user, signedActionOf(event, payload)!, actionToken);
        return route.run(socket, rest as typeof payload, afterAnswer);
      },
    };
  }
  return wrapped;
}
