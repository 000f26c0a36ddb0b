import { PROTOCOL_VERSION, type SessionEnded } from '../../protocol/index.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { Accounts } from '../../services/accounts.js';
import { toSettings, toSummary } from '../../store/wire.js';
import type { Conversations } from '../../services/conversations.js';
import type { Messaging } from '../../services/messaging.js';
import type { MessageChanges } from '../../services/message-changes.js';
import type { Notifier } from '../../services/notifier.js';
import type { Transport } from '../../services/fanout.js';
import type { PresenceService } from '../../services/presence.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { RoomService } from '../../services/rooms.js';
import type { RosterService } from '../../services/roster.js';
import type { ProfileProvider } from '../../services/profiles/profile-provider.js';
import type { Store } from '../../store/store.js';
import type { ConnectionAuth } from '../../services/connection-auth.js';
import type { ActionTokens } from '../../services/action-tokens.js';
import { siteSettings } from '../../services/site-settings.js';
import { requireActionTokens } from './signed-routes.js';
import { authenticateHandshake } from './handshake.js';
import { createEventListener } from './handler.js';
import { messageRoutes } from './message.handlers.js';
import { callRoutes } from './call.handlers.js';
import type { Calls } from '../../services/calls/calls.js';
import type { EmailConfirmation } from '../../services/email-confirmation.js';
import { profileRoutes } from './profile.handlers.js';
import { roomRoutes } from './room.handlers.js';
import { rosterRoutes } from './roster.handlers.js';
import { userRoom, type Lifecycle, type ParleyServer, type ParleySocket } from './types.js';
import { coalesceWrites } from './write-coalescing.js';

export interface GatewayDeps {
  store: Store;
  accounts: Accounts;
  /** Admits connections (site, origin, session or identity token, connection cap). */
  admission: ConnectionAuth;
  /** Sends and checks the confirmation mails of e-mail addresses. */
  confirmations: EmailConfirmation;
  messaging: Messaging;
  conversations: Conversations;
  messageChanges: MessageChanges;
  roster: RosterService;
  rooms: RoomService;
  presence: PresenceService;
  notify: Notifier;
  calls: Calls;
  /** Fetches, in the background, the profiles of host users a connection meets (its user and roster). */
  profiles: ProfileProvider;
  /** Checks the signed tokens of the actions a site lists (docs/protocol.md#signed-actions). */
  actionTokens: ActionTokens;
  limits: {
    /** Calls and transfers started. */
    calls: Limiter;
    /** Call signalling (an offer, an answer and a burst of ICE candidates per call). */
    signals: Limiter;
    message: Limiter;
    typing: Limiter;
    actions: Limiter;
    buddyRequests: Limiter;
    /** message:search (SEARCH_RATE). */
    search: Limiter;
  };
  /** TRUST_PROXY: proxies whose X-Forwarded-For names the client, as for HTTP. */
  trustProxyHops: number;
  logger: Logger;
  lifecycle: Lifecycle;
  metrics: Metrics;
}

/**
 * Wires the Socket.IO server: handshake authentication, then one listener for every event of every
 * socket, routed to one handler module per event group. Nothing is built per connection but what
 * the connection is: its data (user, site, session) and its place in the presence registry.
 */
export function attachGateway(io: ParleyServer, deps: GatewayDeps): void {
  const { store, presence, roster, calls, logger, lifecycle, metrics } = deps;
  io.use(
    authenticateHandshake(deps.admission, logger, {
      lifecycle,
      trustProxyHops: deps.trustProxyHops,
      refused: (code) => metrics.handshakeRefusals.inc({ code }),
    }),
  );
  coalesceWrites(io.engine);
  const onEvent = createEventListener(
    requireActionTokens(
      {
        ...messageRoutes(deps),
        ...rosterRoutes(deps),
        ...profileRoutes(deps),
        ...roomRoutes(deps),
        ...callRoutes(deps),
      },
      deps.actionTokens,
    ),
    { logger, lifecycle, metrics },
  );
  // Socket.IO calls a socket's listeners with the socket as `this`: one function serves them all.
  function onDisconnect(this: ParleySocket, reason: string): void {
    logger.debug({ user: this.data.user.id, socket: this.id, reason }, 'disconnected');
    metrics.connections.dec();
    presence.disconnect(this.data.user.id);
    const user = this.data.user.id;
    const socket = this.id;
    calls.disconnected(socket).catch((err: unknown) => {
      logger.error({ err, user, socket }, 'could not end the calls of a closed connection');
    });
  }

  io.on('connection', (socket: ParleySocket) => {
    const { user, preloaded } = socket.data;
    // Read by the handshake for session:ready only; not worth keeping for the connection's life.
    socket.data.preloaded = null;
    metrics.connections.inc();
    // The listener first, synchronously, so nothing the client sends right after connecting is missed.
    socket.onAny(onEvent as (...args: unknown[]) => void);
    void socket.join(userRoom(user.id));
    // Counted before anything else can happen to the socket, so the disconnect below always
    // follows its connect (in cluster mode both are Redis scripts on one connection, in order).
    const chosen = presence.connect(user);
    socket.on('disconnect', onDisconnect);

    // A connect with a stored session read roster and inbox head in its one statement.
    Promise.all([
      chosen,
      preloaded ? roster.viewOf(preloaded.roster) : roster.view(user),
      preloaded ? preloaded.inboxHead : store.inboxHead(user.id),
    ])
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
          signedActions: siteSettings(socket.data.site).signedActions,
        });
        // After session:ready, never before it: the provider's answer arrives as user:updated.
        deps.profiles.meet(socket.data.site, [user.id, ...entries.map((e) => e.user.id)]);
      })
      .catch((err: unknown) => {
        logger.error({ err, user: user.id, socket: socket.id }, 'could not load the session; closing the connection');
        socket.disconnect(true);
      });
  });
}

/**
 * Socket.IO as one transport of the core's fan-out: an event for some users goes to their user
 * rooms (on every node, through the adapter in cluster mode); ended sessions close their sockets.
 *
 * `local`: this node is the only one (the in-memory adapter), so its rooms are everyone's. An
 * event then goes out only when one of the users has a connection here besides `except`; the
 * adapter would otherwise encode it and look for sockets anyway. That is the common case of a
 * message: the sender's own entry, whose one connection has its answer already, and a recipient
 * who is offline. In cluster mode the other nodes' connections are not known here.
 */
export function socketIoTransport(io: ParleyServer, { local }: { local: boolean }): Transport {
  const rooms = io.of('/').adapter.rooms;
  const anyoneBut = (userIds: readonly string[], except: string | null): boolean =>
    userIds.some((id) => {
      const sockets = rooms.get(userRoom(id));
      // Sockets of the user here, not counting the excluded one.
      return sockets !== undefined && sockets.size - (except !== null && sockets.has(except) ? 1 : 0) > 0;
    });
  return {
    deliver(userIds, { event, data }, except) {
      if (local && !anyoneBut(userIds, except)) return;
      const to = io.to(userIds.map(userRoom));
      ((except ? to.except(except) : to).emit as (e: string, d: unknown) => void)(event, data);
    },
    deliverTo(socketIds, { event, data }) {
      // A socket id is also a room of that one socket: the adapter finds it on whichever node.
      (io.to([...socketIds]).emit as (e: string, d: unknown) => void)(event, data);
    },
    async connectionsOf(userId) {
      return (await io.in(userRoom(userId)).fetchSockets()).map((s) => s.id);
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
