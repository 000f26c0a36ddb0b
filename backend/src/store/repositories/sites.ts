import type { SiteRecord } from '../records.js';

/**
 * The sites Parley serves: their secret, allowed origins and settings. Every read looks at the
 * stored row (another process, the site CLI, may have changed it), but a site whose row is
 * unchanged comes back as the same frozen record: callers share it, never change it, and may tell a
 * changed site by identity.
 */
export interface SitesRepository {
  getSite(id: string): Promise<SiteRecord | null>;
  /** The sites of these ids that exist, in one query. */
  getSites(ids: readonly string[]): Promise<SiteRecord[]>;
  createSite(site: SiteRecord): Promise<void>;
  listSites(): Promise<SiteRecord[]>;
  updateSite(id: string, patch: Partial<Omit<SiteRecord, 'id'>>): Promise<SiteRecord>;
}
