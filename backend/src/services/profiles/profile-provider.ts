import type { Logger } from '../../logger.js';
import type { SiteRecord, Store, UserRecord } from '../../store/store.js';
import { RESERVED_SUBJECT_PREFIX } from '../accounts.js';
import { siteSettings } from '../site-settings.js';
import type { ProfileProviderConfig } from './profile-config.js';
import { ProviderFailure, requestProfiles } from './provider-request.js';

/** Users whose profile changed reach those who list them (RosterService.announceProfile). */
export interface ProfileAnnouncer {
  announceProfile(user: UserRecord): Promise<void>;
}

/** One site's waiting ids and its one request at a time. */
interface SiteQueue {
  /** Host ids to ask for in the next request. */
  waiting: Set<string>;
  /** Host ids of the request on its way (not queued again meanwhile). */
  inFlight: Set<string>;
  /** The batching window or, after a failure, the wait before the next try. */
  timer: NodeJS.Timeout | null;
  running: boolean;
  /** Failed requests in a row; the wait doubles with each. */
  failures: number;
  /** No request before this time (ms since the epoch). */
  retryAt: number;
}

/** Ids read per staleness query, well under SQLite's and PostgreSQL's parameter limits. */
const LOOKUP_CHUNK = 500;

/**
 * Fetches host users' names and avatars from their site's profile provider (the site setting
 * `profileUrl`, docs/api.md#profile-provider), so a host need not push profiles. Parley calls
 * `meet` wherever it comes across users (a connection's own user and roster, buddies and room
 * members the server API names, a buddy request); those with a host id whose profile is missing
 * or older than the cache time are asked for in the background.
 *
 * Per site, one request at a time: ids met while one is on its way wait and go together in the
 * next, and ids met within a short window go together in the first (coalescing). A failure (no
 * answer in time, an error status, an answer too large, not JSON, the wrong shape) is logged and
 * the same ids are asked for again after a wait that doubles up to a cap; nothing waits for the
 * provider, so sign-in and rosters never do. What the provider answers is written
 * (Store.saveFetchedProfiles, which leaves profiles the host pushed alone) and changed profiles
 * reach connected clients as `user:updated`, like a profile edited in the widget.
 *
 * In cluster mode each node keeps its own queues; two nodes may ask for the same id once each.
 */
export class ProfileProvider {
  private readonly queues = new Map<string, SiteQueue>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly deps: {
      store: Store;
      announcer: ProfileAnnouncer;
      config: ProfileProviderConfig;
      logger: Logger;
      now?: () => Date;
    },
  ) {}

  /**
   * Parley came across these users of `site`: those due a fetch are queued. Returns at once and
   * never throws; does nothing for a site without a provider.
   */
  meet(site: SiteRecord, userIds: Iterable<string>): void {
    // Called on every connect: a site without a provider costs one property read.
    if (typeof site.settings.profileUrl !== 'string' || this.stopping.signal.aborted) return;
    if (siteSettings(site).profileUrl === null) return;
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return;
    this.enqueue(site.id, ids).catch((err: unknown) => {
      this.deps.logger.error({ err, site: site.id, users: ids.length }, 'could not look up which profiles to fetch');
    });
  }

  /** Stops: no more requests; one on its way is aborted. */
  close(): void {
    this.stopping.abort();
    for (const queue of this.queues.values()) {
      if (queue.timer) clearTimeout(queue.timer);
      queue.timer = null;
    }
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private queue(siteId: string): SiteQueue {
    let queue = this.queues.get(siteId);
    if (!queue) {
      queue = { waiting: new Set(), inFlight: new Set(), timer: null, running: false, failures: 0, retryAt: 0 };
      this.queues.set(siteId, queue);
    }
    return queue;
  }

  private async enqueue(siteId: string, userIds: string[]): Promise<void> {
    const { cacheMs, maxWaiting } = this.deps.config;
    const before = new Date(this.now().getTime() - cacheMs);
    const queue = this.queue(siteId);
    let dropped = 0;
    for (let i = 0; i < userIds.length; i += LOOKUP_CHUNK) {
      const due = await this.deps.store.staleProfiles(siteId, userIds.slice(i, i + LOOKUP_CHUNK), before);
      for (const { externalId } of due) {
        // Parley's own users (the site's system user) are not the host's to describe.
        if (externalId.startsWith(RESERVED_SUBJECT_PREFIX)) continue;
        if (queue.inFlight.has(externalId) || queue.waiting.has(externalId)) continue;
        if (queue.waiting.size >= maxWaiting) dropped++;
        else queue.waiting.add(externalId);
      }
    }
    if (dropped > 0) {
      this.deps.logger.warn({ site: siteId, dropped }, 'too many profiles waiting for the provider; some dropped');
    }
    this.schedule(siteId);
  }

  /** Starts the site's next request after the batching window (or the retry wait), unless one is due or on its way. */
  private schedule(siteId: string): void {
    const queue = this.queue(siteId);
    if (queue.running || queue.timer || queue.waiting.size === 0 || this.stopping.signal.aborted) return;
    const delay = Math.max(this.deps.config.batchWindowMs, queue.retryAt - Date.now());
    queue.timer = setTimeout(() => {
      queue.timer = null;
      void this.flush(siteId);
    }, delay);
    queue.timer.unref();
  }

  private async flush(siteId: string): Promise<void> {
    const queue = this.queue(siteId);
    const { config, store, logger } = this.deps;
    const batch = [...queue.waiting].slice(0, config.batchMax);
    if (batch.length === 0) return;
    for (const id of batch) {
      queue.waiting.delete(id);
      queue.inFlight.add(id);
    }
    queue.running = true;
    let provider: string | undefined;
    try {
      const site = await store.getSite(siteId);
      const url = site ? siteSettings(site).profileUrl : null;
      if (!site || !url) {
        // The provider was removed meanwhile: nothing to ask.
        queue.waiting.clear();
        return;
      }
      provider = new URL(url).origin;
      const asked = this.now();
      const started = performance.now();
      const answer = await requestProfiles({
        url,
        site: site.id,
        secret: site.secret,
        ids: batch,
        timeoutMs: config.timeoutMs,
        maxAnswerBytes: config.maxAnswerBytes,
        now: asked,
        signal: this.stopping.signal,
      });
      queue.failures = 0;
      queue.retryAt = 0;
      const changed = await store.saveFetchedProfiles(siteId, batch, answer.profiles, asked);
      logger.debug(
        {
          site: siteId,
          provider,
          asked: batch.length,
          found: answer.profiles.length,
          rejected: answer.rejected,
          changed: changed.length,
          ms: Math.round(performance.now() - started),
        },
        'profiles fetched',
      );
      if (answer.rejected > 0) {
        logger.warn({ site: siteId, provider, rejected: answer.rejected }, 'profile provider sent unusable entries');
      }
      for (const user of changed) {
        await this.deps.announcer.announceProfile(user).catch((err: unknown) => {
          logger.error({ err, site: siteId, user: user.id }, 'could not announce a fetched profile');
        });
      }
    } catch (err) {
      if (this.stopping.signal.aborted) return;
      queue.failures++;
      const wait = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** (queue.failures - 1));
      queue.retryAt = Date.now() + wait;
      // The same ids go again after the wait (and any met meanwhile with them).
      for (const id of batch) if (queue.waiting.size < config.maxWaiting) queue.waiting.add(id);
      const context = { site: siteId, provider, ids: batch.length, failures: queue.failures, retryInMs: wait };
      if (err instanceof ProviderFailure) {
        logger.warn({ ...context, ...err.detail, reason: err.message }, 'profile provider failed; will ask again');
      } else {
        logger.error({ ...context, err }, 'could not fetch or save profiles; will ask again');
      }
    } finally {
      for (const id of batch) queue.inFlight.delete(id);
      queue.running = false;
      this.schedule(siteId);
    }
  }
}
