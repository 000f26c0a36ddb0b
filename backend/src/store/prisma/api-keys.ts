import type { ApiKeyRecord, ApiKeysRepository, IdempotencyRecord } from '../repositories/api-keys.js';
import type { StoreContext } from './context.js';

const TOUCH_EVERY_MS = 60_000;
/**
 * A claim still pending after this long belongs to a request that will never finish (its server
 * stopped mid-request): a retry may take it over rather than wait for the whole 24 hours.
 */
const PENDING_ABANDONED_MS = 120_000;

/** Server API keys and idempotent answers on Prisma. */
export class PrismaApiKeys implements ApiKeysRepository {
  constructor(private readonly ctx: StoreContext) {}

  async createApiKey(key: Omit<ApiKeyRecord, 'revokedAt' | 'lastUsedAt'>): Promise<void> {
    await this.ctx.db.siteApiKey.create({ data: key });
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    return this.ctx.db.siteApiKey.findUnique({ where: { id } });
  }

  async listApiKeys(siteId: string): Promise<ApiKeyRecord[]> {
    return this.ctx.db.siteApiKey.findMany({ where: { siteId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  async revokeApiKey(siteId: string, id: string, at: Date): Promise<boolean> {
    const { count } = await this.ctx.db.siteApiKey.updateMany({
      where: { id, siteId, revokedAt: null },
      data: { revokedAt: at },
    });
    return count === 1;
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    // Written at most once a minute per key: a busy host would otherwise write on every request.
    await this.ctx.db.siteApiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - TOUCH_EVERY_MS) } }] },
      data: { lastUsedAt: at },
    });
  }

  async claimIdempotent(
    keyId: string,
    idempotencyKey: string,
    requestHash: string,
    now: Date,
    expiresAt: Date,
  ): Promise<IdempotencyRecord | null> {
    const where = { keyId_idempotencyKey: { keyId, idempotencyKey } };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.ctx.retryBusy(() =>
          this.ctx.db.apiIdempotencyRecord.create({
            data: { keyId, idempotencyKey, requestHash, status: 0, createdAt: now, expiresAt },
          }),
        );
        return null;
      } catch (err) {
        // Claimed before (the primary key): that claim's record answers, unless it expired or was abandoned.
        if ((err as { code?: string }).code !== 'P2002') throw err;
      }
      const found = await this.ctx.db.apiIdempotencyRecord.findUnique({ where });
      const abandoned = new Date(now.getTime() - PENDING_ABANDONED_MS);
      if (found && found.expiresAt > now && !(found.status === 0 && found.createdAt < abandoned)) {
        return { requestHash: found.requestHash, status: found.status, response: found.response };
      }
      if (found) {
        // Only that stale record: a fresh claim made meanwhile by another request stays.
        await this.ctx.db.apiIdempotencyRecord.deleteMany({
          where: {
            keyId,
            idempotencyKey,
            OR: [{ expiresAt: { lte: now } }, { status: 0, createdAt: { lt: abandoned } }],
          },
        });
      }
    }
    throw new Error(`could not claim idempotency key for API key ${keyId}`);
  }

  async finishIdempotent(keyId: string, idempotencyKey: string, status: number, response: string): Promise<void> {
    await this.ctx.db.apiIdempotencyRecord.update({
      where: { keyId_idempotencyKey: { keyId, idempotencyKey } },
      data: { status, response },
    });
  }

  async releaseIdempotent(keyId: string, idempotencyKey: string): Promise<void> {
    await this.ctx.db.apiIdempotencyRecord.deleteMany({ where: { keyId, idempotencyKey, status: 0 } });
  }

  async sweepIdempotent(now: Date): Promise<number> {
    return (await this.ctx.db.apiIdempotencyRecord.deleteMany({ where: { expiresAt: { lt: now } } })).count;
  }
}
