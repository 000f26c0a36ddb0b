import type { ExtendedError } from 'socket.io';
import { ErrorCode, PROTOCOL_VERSION, type ErrorBody } from '../protocol/index.js';
import { containsNul, handshakeSchema } from '../protocol/schemas.js';
import { ParleyError, toErrorBody } from '../errors.js';
import type { Logger } from '../logger.js';
import { sessionIdOf, type Accounts } from '../services/accounts.js';
import { assertDemoReachable } from '../services/demo-access.js';
import { originAllowed } from '../services/site-origins.js';
import type { Store } from '../store/store.js';
import type { Lifecycle, ParleySocket } from './types.js';

/**
 * The client's address as the HTTP routes see it (Fastify's trustProxy with `hop < hops`): the TCP
 * peer, or with `hops` trusted proxies in front, the X-Forwarded-For entry that many steps back.
 */
export function clientAddress(handshake: Pick<ParleySocket['handshake'], 'headers' | 'address'>, hops: number): string {
  const forwarded = handshake.headers['x-forwarded-for'];
  const chain = [
    handshake.address,
    ...(typeof forwarded === 'string'
      ? forwarded
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean)
          .reverse()
      : []),
  ];
  return chain[Math.min(hops, chain.length - 1)]!;
}

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
    /** Takes one identity sign-in from the client's address (LOGIN_RATE_ADDRESS); false when over. */
    signInAllowed: (address: string) => Promise<boolean>;
    /** TRUST_PROXY: reverse proxies whose X-Forwarded-For names the client. */
    trustProxyHops: number;
    /** PARLEY_DEMO=1: the demo site answers any address (else loopback only). */
    demoOpen: boolean;
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
      const address = clientAddress(socket.handshake, guard.trustProxyHops);
      assertDemoReachable(site.id, address, guard.demoOpen);
      const origin = socket.handshake.headers.origin;
      if (origin !== undefined && !originAllowed(origin, site.origins)) {
        throw new ParleyError(ErrorCode.OriginNotAllowed, `Origin ${origin} is not allowed for this site.`);
      }
      const capped = async (userId: string) => {
        if (await guard.tooManyConnections(userId)) {
          throw new ParleyError(ErrorCode.RateLimited, 'Too many open connections for this user. Close some tabs.');
        }
      };
      if ('identity' in auth) {
        // Silent sign-in with the host site's signed token: counted against the address like the
        // HTTP sign-in route, and the connection cap is checked before a session is opened, so a
        // refused handshake leaves nothing behind. The session is handed over in session:ready, so
        // reconnects do not need a fresh token from the host.
        if (!(await guard.signInAllowed(address))) {
          throw new ParleyError(ErrorCode.RateLimited, 'Too many sign-in attempts. Wait a minute and try again.');
        }
        const user = await accounts.identify(site, auth.identity);
        await capped(user.id);
        const opened = await accounts.openSession(user);
        socket.data.user = user;
        socket.data.sessionId = sessionIdOf(opened.token);
        socket.data.sessionExpiresAt = new Date(opened.expiresAt);
        socket.data.openedSession = { token: opened.token, expiresAt: opened.expiresAt };
      } else {
        const { user, session } = await accounts.authenticate(site.id, auth.token);
        await capped(user.id);
        socket.data.user = user;
        socket.data.sessionId = session.id;
        socket.data.sessionExpiresAt = session.expiresAt;
        socket.data.openedSession = null;
      }
      socket.data.origin = origin ?? null;
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
