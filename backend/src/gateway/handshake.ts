import type { ExtendedError } from 'socket.io';
import { ErrorCode, PROTOCOL_VERSION, type ErrorBody } from '../protocol/index.js';
import { containsNul, handshakeSchema } from '../protocol/schemas.js';
import { ParleyError, toErrorBody } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Accounts } from '../services/accounts.js';
import { originAllowed } from '../services/site-origins.js';
import type { Store } from '../store/store.js';
import type { Lifecycle, ParleySocket } from './types.js';

function refusal(body: ErrorBody): ExtendedError {
  const err = new Error(body.message) as ExtendedError;
  err.data = body;
  return err;
}

/**
 * Socket.IO middleware: a connection is accepted only with the current protocol version, a known
 * site, an Origin that site allows (browsers always send one), and a live session of that site or
 * a valid identity token signed by the site, while the node is not shutting down (`unavailable`)
 * and the user holds fewer than the allowed number of connections (`rate_limited`).
 * A refused client gets `connect_error` with `err.data = { code, message }`.
 */
export function authenticateHandshake(
  store: Store,
  accounts: Accounts,
  logger: Logger,
  guard: {
    lifecycle: Lifecycle;
    tooManyConnections: (userId: string) => Promise<boolean>;
    /** Told the code of each refusal (for metrics). */
    refused?: (code: string) => void;
  },
) {
  return async (socket: ParleySocket, next: (err?: ExtendedError) => void) => {
    try {
      if (guard.lifecycle.closing) {
        throw new ParleyError(ErrorCode.Unavailable, 'The server is restarting. Connect again in a moment.');
      }
      const parsed = handshakeSchema.safeParse(containsNul(socket.handshake.auth) ? null : socket.handshake.auth);
      if (!parsed.success) throw new ParleyError(ErrorCode.BadRequest, 'The connection request is malformed.');
      const auth = parsed.data;
      if (auth.v !== PROTOCOL_VERSION) {
        throw new ParleyError(
          ErrorCode.ProtocolVersion,
          `This server speaks protocol ${PROTOCOL_VERSION}, the client ${auth.v}. Reload the page.`,
        );
      }
      const site = await store.getSite(auth.site);
      if (!site) throw new ParleyError(ErrorCode.NotFound, 'Unknown site.');
      const origin = socket.handshake.headers.origin;
      if (origin !== undefined && !originAllowed(origin, site.origins)) {
        throw new ParleyError(ErrorCode.OriginNotAllowed, `Origin ${origin} is not allowed for this site.`);
      }
      if ('identity' in auth) {
        // Silent sign-in with the host site's signed token: the connection opens a session and
        // hands it over in session:ready, so reconnects do not need a fresh token from the host.
        const opened = await accounts.loginWithIdentity(site, auth.identity);
        const { user, sessionId } = await accounts.authenticate(site.id, opened.token);
        socket.data.user = user;
        socket.data.sessionId = sessionId;
        socket.data.openedSession = { token: opened.token, expiresAt: opened.expiresAt };
      } else {
        const { user, sessionId } = await accounts.authenticate(site.id, auth.token);
        socket.data.user = user;
        socket.data.sessionId = sessionId;
        socket.data.openedSession = null;
      }
      if (await guard.tooManyConnections(socket.data.user.id)) {
        throw new ParleyError(ErrorCode.RateLimited, 'Too many open connections for this user. Close some tabs.');
      }
      socket.data.site = site;
      next();
    } catch (err) {
      const body = toErrorBody(err);
      guard.refused?.(body.code);
      if (body.code === ErrorCode.Internal) logger.error({ err, socket: socket.id }, 'handshake failed');
      else logger.info({ code: body.code, socket: socket.id }, 'connection refused');
      next(refusal(body));
    }
  };
}
