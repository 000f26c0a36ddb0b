import { ErrorCode, PROTOCOL_VERSION, type Result, type SessionEnded } from '../../protocol/index.js';
import type { Logger } from '../../logger.js';
import { Metrics } from '../../metrics.js';
import type { Accounts } from '../../services/accounts.js';
import { toSettings, toSummary } from '../../store/wire.js';
import type { Conversations } from '../../services/conversations.js';
import type { Messaging } from '../../services/messaging.js';
import type { Notifier } from '../../services/notifier.js';
import type { Transport } from '../../services/fanout.js';
import type { PresenceService } from '../../services/presence.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { RoomService } from '../../services/rooms.js';
import type { RosterService } from '../../services/roster.js';
import type { Store } from '../../store/store.js';
import type { ConnectionAuth } from '../../services/connection-auth.js';
import { authenticateHandshake } from './handshake.js';
import { refuseUnknownEvents } from './handler.js';
import { registerMessageHandlers } from './message.handlers.js';
import type { EmailConfirmation } from '../../services/email-confirmation.js';
import { registerProfileHandlers } from './profile.handlers.js';
import { registerRoomHandlers } from './room.handlers.js';
import { registerRosterHandlers } from './roster.handlers.js';
import { userRoom, type Lifecycle, type ParleyServer, type ParleySocket } from './types.js';

export interface GatewayDeps {
  store: Store;
  accounts: Accounts;
  /** Admits connections (site, origin, session or identity token, connection cap). */
  admission: ConnectionAuth;
  /** Sends and checks the confirmation mails of e-mail addresses. */
  confirmations: EmailConfirmation;
  messaging: Messaging;
  conversations: Conversations;
  roster: RosterService;
  rooms: RoomService;
  presence: PresenceService;
  notify: Notifier;
  limits: {
    message: Limiter;
    typing: Limiter;
    actions: Limiter;
    buddyRequests: Limiter;
  };
  /** TRUST_PROXY: proxies whose X-Forwarded-For names the client, as for HTTP. */
  trustProxyHops: number;
  logger: Logger;
  lifecycle: Lifecycle;
  metrics: Metrics;
}

/** Wires the Socket.IO server: handshake authentication, then one handler module per event group. */
export function attachGateway(io: ParleyServer, deps: GatewayDeps): void {
  const { store, presence, roster, logger, lifecycle, metrics } = deps;
  io.use(
    authenticateHandshake(deps.admission, logger, {
      lifecycle,
      trustProxyHops: deps.trustProxyHops,
      refused: (code) => metrics.handshakeRefusals.inc({ code }),
    }),
  );

  io.on('connection', (socket: ParleySocket) => {
    const { user } = socket.data;
    const log = logger.child({ user: user.id, socket: socket.id });
    metrics.connections.inc();
    socket.use((packet, next) => {
      const [event] = packet;
      const ack = packet.at(-1);
      if (typeof ack !== 'function') return next();
      const label = Metrics.eventLabel(event);
      if (label === 'unknown') {
        // Already answered by refuseUnknownEvents (Socket.IO runs onAny listeners before this
        // middleware), so it must not be counted as in flight: nothing would ever answer it here.
        metrics.events.observe({ event: label, outcome: ErrorCode.BadRequest }, 0);
        return next();
      }
      if (lifecycle.closing) {
        // Shutting down: answer at once; the client resends after reconnecting to another node.
        const refusal: Result<never> = {
          ok: false,
          error: { code: ErrorCode.Unavailable, message: 'The server is restarting. Send again after reconnecting.' },
        };
        (ack as (r: Result<never>) => void)(refusal);
        log.debug({ event }, 'event refused: shutting down');
        return;
      }
      // Count the event as in flight until it is answered, so shutdown can wait for its answer,
      // and time it for /metrics.
      lifecycle.inFlight++;
      let answered = false;
      const timer = metrics.events.startTimer({ event: label });
      packet[packet.length - 1] = (...reply: unknown[]) => {
        if (!answered) {
          lifecycle.inFlight--;
          const result = reply[0] as Result<unknown> | undefined;
          timer({ outcome: result?.ok === false ? result.error.code : 'ok' });
        }
        answered = true;
        (ack as (...a: unknown[]) => void)(...reply);
      };
      next();
    });
    // Handlers first, synchronously, so nothing the client sends right after connecting is missed.
    refuseUnknownEvents(socket);
    registerMessageHandlers(socket, { ...deps, logger: log });
    registerRosterHandlers(socket, { ...deps, logger: log });
    registerProfileHandlers(socket, { ...deps, logger: log });
    registerRoomHandlers(socket, { ...deps, logger: log });

    void socket.join(userRoom(user.id));
    // Counted before anything else can happen to the socket, so the disconnect below always
    // follows its connect (in cluster mode both are Redis scripts on one connection, in order).
    const chosen = presence.connect(user);
    socket.on('disconnect', (reason) => {
      log.debug({ reason }, 'disconnected');
      metrics.connections.dec();
      presence.disconnect(user.id);
    });

    Promise.all([chosen, roster.view(user), store.inboxHead(user.id)])
      .then(([chosen, entries, inboxHead]) => {
        socket.emit('session:ready', {
          protocol: PROTOCOL_VERSION,
          user: toSummary(user),
          presence: chosen,
          session: socket.data.openedSession,
          roster: entries,
          inboxHead,
          settings: toSettings(user),
          serverTime: new Date().toISOString(),
        });
      })
      .catch((err: unknown) => {
        log.error({ err }, 'could not load the session; closing the connection');
        socket.disconnect(true);
      });
  });
}

/**
 * Socket.IO as one transport of the core's fan-out: an event for some users goes to their user
 * rooms (on every node, through the adapter in cluster mode); ended sessions close their sockets.
 */
export function socketIoTransport(io: ParleyServer): Transport {
  return {
    deliver(userIds, { event, data }) {
      (io.to(userIds.map(userRoom)).emit as (e: string, d: unknown) => void)(event, data);
    },
    endSessions: (userId, reason, match) => endSessions(io, userId, reason, match),
  };
}

/**
 * Closes the connections of a user's ended sessions (all of them, or only `sessionId`), on every
 * node, after telling them why.
 */
export async function endSessions(
  io: ParleyServer,
  userId: string,
  reason: SessionEnded['reason'],
  match: { only?: string; except?: string },
): Promise<void> {
  const sockets = await io.in(userRoom(userId)).fetchSockets();
  for (const socket of sockets) {
    const id = socket.data.sessionId;
    if ((match.only && id !== match.only) || (match.except && id === match.except)) continue;
    socket.emit('session:ended', { reason });
    socket.disconnect(true);
  }
}
