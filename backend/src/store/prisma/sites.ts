import { timingSafeEqual } from 'node:crypto';
import type { SiteRecord } from '../records.js';
import type { SitesRepository } from '../repositories/sites.js';
import type { StoreContext } from './context.js';
import { toSite, type SiteRow } from './rows.js';

/** A site as stored: its settings and origins still JSON text. */
export type StoredSiteRow = Pick<SiteRow, 'id' | 'name' | 'secret' | 'origins' | 'settings'>;

/** The columns of a site, for raw queries (table alias `st`). */
export const SITE_SELECT = 'st."id", st."name", st."secret", st."origins", st."settings"';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Secrets are compared in constant time, even these two server-side copies (test/abuse.test.ts). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The sites this process has read, each as one frozen record reused for as long as its row is
 * unchanged. Every read still goes to the database (a site CLI edit is another process writing it,
 * and in a cluster any node may read a change first), but the check is a comparison of the stored
 * text, and an unchanged site costs no JSON parsing and no new objects: thousands of connections
 * share one record, and code that holds a record sees whether it changed by identity.
 */
export class SiteMemo {
  private readonly known = new Map<string, { row: StoredSiteRow; record: SiteRecord }>();

  record(row: StoredSiteRow): SiteRecord {
    const id = String(row.id);
    const kept = this.known.get(id);
    if (
      kept &&
      kept.row.name === row.name &&
      sameText(kept.row.secret, row.secret) &&
      kept.row.origins === row.origins &&
      kept.row.settings === row.settings
    ) {
      return kept.record;
    }
    const fresh = {
      id,
      name: String(row.name),
      secret: String(row.secret),
      origins: row.origins,
      settings: row.settings,
    };
    // Frozen because it is shared: a caller that wants another version builds a copy.
    const record = deepFreeze(toSite(fresh as SiteRow));
    this.known.set(id, { row: fresh, record });
    return record;
  }
}

/** Sites on Prisma. */
export class PrismaSites implements SitesRepository {
  readonly memo = new SiteMemo();

  constructor(private readonly ctx: StoreContext) {}

  async getSite(id: string): Promise<SiteRecord | null> {
    return (await this.getSites([id]))[0] ?? null;
  }

  async getSites(ids: readonly string[]): Promise<SiteRecord[]> {
    if (ids.length === 0) return [];
    const q = this.ctx.sql();
    const rows = await this.ctx.db.$queryRawUnsafe<StoredSiteRow[]>(
      `SELECT ${SITE_SELECT} FROM "Site" st WHERE st."id" IN (${ids.map((id) => q.p(id)).join(', ')})`,
      ...q.params,
    );
    return rows.map((row) => this.memo.record(row));
  }

  async listSites(): Promise<SiteRecord[]> {
    return (await this.ctx.db.site.findMany({ orderBy: { createdAt: 'asc' } })).map((row) => this.memo.record(row));
  }

  async updateSite(id: string, patch: Partial<Omit<SiteRecord, 'id'>>): Promise<SiteRecord> {
    const row = await this.ctx.db.site.update({
      where: { id },
      data: {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.secret !== undefined ? { secret: patch.secret } : {}),
        ...(patch.origins !== undefined ? { origins: JSON.stringify(patch.origins) } : {}),
        ...(patch.settings !== undefined ? { settings: JSON.stringify(patch.settings) } : {}),
      },
    });
    return this.memo.record(row);
  }

  async createSite(site: SiteRecord): Promise<void> {
    await this.ctx.db.site.create({
      data: {
        id: site.id,
        name: site.name,
        secret: site.secret,
        origins: JSON.stringify(site.origins),
        settings: JSON.stringify(site.settings),
      },
    });
  }
}
