import type { SessionEnded } from '../../protocol/index.js';
import type { Logger } from '../../logger.js';
import { originAllowed } from '../../services/site-origins.js';
import type { Store } from '../../store/store.js';
import type { ParleyServer, ParleySocket } from './types.js';

/**
 * Keeps open connections in step with what the handshake checked (issue 12, finding 8). Every
 * `everyMs` it walks this node's connections:
 * - a connection whose session has expired is told `session:ended` (`expired`) and closed;
 * - the sites of the open connections are read again, in one query; where one changed (the site
 *   CLI, or another node, wrote it), each connection gets the new record, so a rule such as
 *   "strangers may message" applies to its next event, and a connection whose Origin the site no
 *   longer allows (or whose site is gone) is ended with `site_changed`.
 * Each node watches its own connections, so the same holds in cluster mode. Returns a stop function.
 */
export function watchSessions(
  io: ParleyServer,
  store: Store,
  logger: Logger,
  options: { everyMs: number; now?: () => Date },
): () => void {
  const now = options.now ?? (() => new Date());
  let running: Promise<void> | null = null;

  const end = (socket: ParleySocket, reason: SessionEnded['reason']) => {
    logger.info({ user: socket.data.user.id, socket: socket.id, reason }, 'closing a connection whose session ended');
    socket.emit('session:ended', { reason });
    socket.disconnect(true);
  };

  async function check(): Promise<void> {
    const sockets = [...io.of('/').sockets.values()].filter((s) => s.data.user);
    const at = now().getTime();
    const live: ParleySocket[] = [];
    for (const socket of sockets) {
      if (socket.data.sessionExpiresAt.getTime() <= at) end(socket, 'expired');
      else live.push(socket);
    }
    const siteIds = [...new Set(live.map((s) => s.data.site.id))];
    if (siteIds.length === 0) return;
    const fresh = new Map((await store.getSites(siteIds)).map((site) => [site.id, site]));
    for (const socket of live) {
      if (!socket.connected) continue;
      const site = fresh.get(socket.data.site.id);
      if (!site) {
        end(socket, 'site_changed');
        continue;
      }
      // The store hands out one record per site for as long as its row is unchanged.
      if (site === socket.data.site) continue;
      if (socket.data.origin !== null && !originAllowed(socket.data.origin, site.origins)) {
        end(socket, 'site_changed');
        continue;
      }
      socket.data.site = site;
    }
  }

  const timer = setInterval(() => {
    if (running) return; // a slow database: skip a beat rather than pile up checks
    running = check()
      .catch((err: unknown) => logger.error({ err }, 'checking open sessions failed'))
      .finally(() => (running = null));
  }, options.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
