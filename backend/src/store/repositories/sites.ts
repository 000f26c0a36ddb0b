import type { SiteRecord } from '../records.js';

/** The sites Parley serves: their secret, allowed origins and settings. */
export interface SitesRepository {
  getSite(id: string): Promise<SiteRecord | null>;
  /** The sites of these ids that exist, in one query. */
  getSites(ids: readonly string[]): Promise<SiteRecord[]>;
  createSite(site: SiteRecord): Promise<void>;
  listSites(): Promise<SiteRecord[]>;
  updateSite(id: string, patch: Partial<Omit<SiteRecord, 'id'>>): Promise<SiteRecord>;
}
