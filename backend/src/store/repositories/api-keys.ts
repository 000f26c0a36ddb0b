/** A server API key of a site, as stored: never the key itself, only its SHA-256. */
export interface ApiKeyRecord {
  id: string;
  siteId: string;
  name: string;
  /** SHA-256 (hex) of the whole key. */
  hash: string;
  /** The key's first characters, to tell keys apart in lists. */
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A stored answer to a server API write made with an `Idempotency-Key`. */
export interface IdempotencyRecord {
  requestHash: string;
  /** 0 while the first request is still being handled. */
  status: number;
  response: string;
}

/**
 * The server API's keys (docs/api.md) and the answers kept for its idempotent writes. Answers are
 * kept in the database, so a retry after a restart, or on another node, gets the same answer.
 */
export interface ApiKeysRepository {
  createApiKey(key: Omit<ApiKeyRecord, 'revokedAt' | 'lastUsedAt'>): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** A site's keys, oldest first, revoked ones too. */
  listApiKeys(siteId: string): Promise<ApiKeyRecord[]>;
  /** Revokes a key of the site; false when it has no such key, or it was revoked already. */
  revokeApiKey(siteId: string, id: string, at: Date): Promise<boolean>;
  /** Notes that the key was used (at most once a minute is written). */
  touchApiKey(id: string, at: Date): Promise<void>;
  /**
   * Claims `idempotencyKey` for a request: returns null when this call claimed it (the caller
   * handles the request, then calls finishIdempotent or releaseIdempotent), or the record of
   * the request that claimed it first. An expired record is replaced, and so is a claim still
   * pending after two minutes (its request will never finish: the server stopped meanwhile).
   */
  claimIdempotent(
    keyId: string,
    idempotencyKey: string,
    requestHash: string,
    now: Date,
    expiresAt: Date,
  ): Promise<IdempotencyRecord | null>;
  finishIdempotent(keyId: string, idempotencyKey: string, status: number, response: string): Promise<void>;
  /** Forgets a claim whose request failed before it changed anything, so it may be retried. */
  releaseIdempotent(keyId: string, idempotencyKey: string): Promise<void>;
  /** Deletes the records expired before `now`; resolves with how many. */
  sweepIdempotent(now: Date): Promise<number>;
}
