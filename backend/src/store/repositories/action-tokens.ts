/**
 * The `jti`s of signed action tokens already used (docs/protocol.md#signed-actions), kept until
 * their token expires so that none is accepted twice. On one node; cluster mode keeps them in Redis.
 */
export interface ActionTokensRepository {
  /**
   * Notes that the token `jti` of the site was used; true when this call was the first to do so
   * (a row left from an expired token with the same `jti` does not count).
   */
  claimActionToken(siteId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Deletes the rows of tokens expired before `now`; resolves with how many. */
  sweepActionTokens(now: Date): Promise<number>;
}
