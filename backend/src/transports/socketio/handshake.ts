import type { ExtendedError } from 'socket.io';
import { ErrorCode, PROTOCOL_VERSION, type ErrorBody } from '../../protocol/index.js';
import { containsNul, handshakeSchema } from '../../protocol/schemas.js';
import { ParleyError, toErrorBody } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ConnectionAuth } from '../../services/connection-auth.js';
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
 * Socket.IO middleware: the handshake's own checks (a well-formed `auth` of the current protocol
 * version, the node not shutting down), then the core's admission (ConnectionAuth: site, origin,
 * session or identity token, connection cap). A refused client gets `connect_error` with
 * `err.data = { code, message }`.
 */
export function authenticateHandshake(
  auth: ConnectionAuth,
  logger: Logger,
  guard: {
    lifecycle: Lifecycle;
    /** TRUST_PROXY: reverse proxies whose X-Forwarded-For names the client. */
    trustProxyHops: number;
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
      const { v, site, ...credential } = parsed.data;
      if (v !== PROTOCOL_VERSION) {
        throw new ParleyError(
          ErrorCode.ProtocolVersion,
          `This server speaks protocol ${PROTOCOL_VERSION}, the client ${v}. Reload the page.`,
        );
      }
      // An identity token opens a session, handed over in session:ready, so reconnects do not need
      // a fresh token from the host.
      Object.assign(
        socket.data,
        await auth.admit({
          siteId: site,
          credential,
          origin: socket.handshake.headers.origin,
          address: clientAddress(socket.handshake, guard.trustProxyHops),
        }),
      );
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
