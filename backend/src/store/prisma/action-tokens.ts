import type { ActionTokensRepository } from '../repositories/action-tokens.js';
import type { StoreContext } from './context.js';

/** Used action tokens on Prisma: a row per `jti`, its primary key (site, jti) refusing a second. */
export class PrismaActionTokens implements ActionTokensRepository {
  constructor(private readonly ctx: StoreContext) {}

  async claimActionToken(siteId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.ctx.retryBusy(() => this.ctx.db.usedActionToken.create({ data: { siteId, jti, expiresAt } }));
        return true;
      } catch (err) {
        if ((err as { code?: string }).code !== 'P2002') throw err;
      }
      // Taken: by a live token (a replay), or by an expired one the sweep has not reached yet,
      // whose row goes so that the new token may claim its `jti`.
      const { count } = await this.ctx.db.usedActionToken.deleteMany({
        where: { siteId, jti, expiresAt: { lte: now } },
      });
      if (count === 0) return false;
    }
    return false;
  }

  async sweepActionTokens(now: Date): Promise<number> {
    return (await this.ctx.db.usedActionToken.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }
}
