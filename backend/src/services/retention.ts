import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { siteSettings } from './site-settings.js';

const DAY_MS = 86_400_000;

/** Deletes messages older than each site's `retentionDays`. Returns how many went, per site. */
export async function sweepRetention(store: Store, now: Date, logger: Logger): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  for (const site of await store.listSites()) {
    const days = siteSettings(site).retentionDays;
    if (!days) continue;
    const count = await store.deleteMessagesBefore(site.id, new Date(now.getTime() - days * DAY_MS));
    if (count > 0) {
      removed[site.id] = count;
      logger.info({ site: site.id, count, days }, 'deleted messages past the retention period');
    }
  }
  return removed;
}

/** Deletes sessions that have expired or were revoked: nothing can use them again. */
export async function sweepSessions(store: Store, now: Date, logger: Logger): Promise<number> {
  const count = await store.deleteEndedSessions(now);
  if (count > 0) logger.info({ count }, 'deleted ended sessions');
  return count;
}

/** Deletes the server API's idempotent answers past their 24 hours. */
export async function sweepIdempotent(store: Store, now: Date, logger: Logger): Promise<number> {
  const count = await store.sweepIdempotent(now);
  if (count > 0) logger.info({ count }, 'deleted expired idempotent answers');
  return count;
}

/** Deletes the used `jti`s of signed action tokens that have expired (one node; Redis expires its own). */
export async function sweepActionTokens(store: Store, now: Date, logger: Logger): Promise<number> {
  const count = await store.sweepActionTokens(now);
  if (count > 0) logger.debug({ count }, 'deleted expired action token ids');
  return count;
}

/** Sweeps at start and then every hour; returns a function that stops it. */
export function scheduleRetention(store: Store, logger: Logger, everyMs = 3_600_000): () => void {
  const run = () =>
    Promise.all([
      sweepRetention(store, new Date(), logger).catch((err: unknown) =>
        logger.error({ err }, 'retention sweep failed'),
      ),
      sweepSessions(store, new Date(), logger).catch((err: unknown) => logger.error({ err }, 'session sweep failed')),
      sweepIdempotent(store, new Date(), logger).catch((err: unknown) =>
        logger.error({ err }, 'idempotent answers sweep failed'),
      ),
      sweepActionTokens(store, new Date(), logger).catch((err: unknown) =>
        logger.error({ err }, 'action token sweep failed'),
      ),
    ]);
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
