import type { SiteRecord } from '../records.js';
import type { SitesRepository } from '../repositories/sites.js';
import type { StoreContext } from './context.js';
import { toSite } from './rows.js';

/** Sites on Prisma. */
export class PrismaSites implements SitesRepository {
  constructor(private readonly ctx: StoreContext) {}

  async getSite(id: string): Promise<SiteRecord | null> {
    const row = await this.ctx.db.site.findUnique({ where: { id } });
    return row && toSite(row);
  }

  async getSites(ids: readonly string[]): Promise<SiteRecord[]> {
    return (await this.ctx.db.site.findMany({ where: { id: { in: [...ids] } } })).map(toSite);
  }

  async listSites(): Promise<SiteRecord[]> {
    return (await this.ctx.db.site.findMany({ orderBy: { createdAt: 'asc' } })).map(toSite);
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
    return toSite(row);
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
