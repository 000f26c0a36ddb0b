import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '../../protocol/index.js';
import { ParleyError } from '../../errors.js';
import type { ApiKeyRecord, Store } from '../../store/store.js';

/** `pk_<16 hex: the key's id>_<43 base64url: 32 random bytes>`. */
const KEY = /^pk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const unauthorized = () =>
  new ParleyError(ErrorCode.Unauthorized, 'Send a valid, unrevoked API key of this site as a Bearer token.');

/**
 * The site's server API keys (docs/api.md): made and revoked by the site CLI, checked on every
 * server API request. The key is shown once, when it is made; the store keeps its SHA-256 only,
 * and a presented key is compared with it in constant time.
 */
export class ApiKeys {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Makes a key; the returned `key` is the only time anyone sees it. */
  async create(siteId: string, name: string): Promise<{ key: string; record: ApiKeyRecord }> {
    const id = randomBytes(8).toString('hex');
    const key = `pk_${id}_${randomBytes(32).toString('base64url')}`;
    const record = { id, siteId, name, hash: apiKeyHash(key), prefix: key.slice(0, 24), createdAt: this.now() };
    await this.store.createApiKey(record);
    return { key, record: { ...record, revokedAt: null, lastUsedAt: null } };
  }

  /** Replaces a key with a new one of the same name: the old one is refused from now on. */
  async rotate(siteId: string, keyId: string): Promise<{ key: string; record: ApiKeyRecord } | null> {
    const old = await this.store.getApiKey(keyId);
    if (!old || old.siteId !== siteId || old.revokedAt) return null;
    const made = await this.create(siteId, old.name);
    await this.store.revokeApiKey(siteId, keyId, this.now());
    return made;
  }

  revoke(siteId: string, keyId: string): Promise<boolean> {
    return this.store.revokeApiKey(siteId, keyId, this.now());
  }

  list(siteId: string): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys(siteId);
  }

  /**
   * The key a request presents, checked for `siteId`: `unauthorized` (401) when it is missing,
   * malformed, unknown, wrong or revoked; `forbidden` (403) when it is a good key of another site.
   */
  async authenticate(siteId: string, presented: string | undefined): Promise<ApiKeyRecord> {
    const match = presented === undefined ? null : KEY.exec(presented);
    if (!match || presented === undefined) throw unauthorized();
    const record = await this.store.getApiKey(match[1]!);
    const hash = Buffer.from(apiKeyHash(presented), 'hex');
    // Compared in constant time; an unknown id compares against a hash of nothing, all the same.
    const stored = Buffer.from(record?.hash ?? '0'.repeat(64), 'hex');
    if (!record || stored.length !== hash.length || !timingSafeEqual(stored, hash) || record.revokedAt) {
      throw unauthorized();
    }
    if (record.siteId !== siteId) throw new ParleyError(ErrorCode.Forbidden, 'This API key is for another site.');
    // Written at most once a minute, not on every request (the stored time says when it was).
    const at = this.now();
    if (!record.lastUsedAt || at.getTime() - record.lastUsedAt.getTime() > 60_000) {
      await this.store.touchApiKey(record.id, at);
    }
    return record;
  }
}
