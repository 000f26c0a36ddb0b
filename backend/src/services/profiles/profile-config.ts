/** How Parley asks sites' profile providers (docs/api.md#profile-provider). */
export interface ProfileProviderConfig {
  /** PROFILE_TIMEOUT_MS: the longest a request may take, answer included. */
  timeoutMs: number;
  /** PROFILE_CACHE_HOURS: a profile fetched this long ago is asked for again when next needed. */
  cacheMs: number;
  /** Ids met within this window after the first go out in one request. */
  batchWindowMs: number;
  /** The most ids one request asks for; more wait for the next request. */
  batchMax: number;
  /** The largest answer read, in bytes; a longer one counts as a failure. */
  maxAnswerBytes: number;
  /** After a failed request the site's next waits this long, doubled after each failure… */
  retryBaseMs: number;
  /** …up to this long. */
  retryMaxMs: number;
  /** Ids one site may have waiting; more are dropped (they are asked for when next met). */
  maxWaiting: number;
}

export const PROFILE_PROVIDER_DEFAULTS: ProfileProviderConfig = {
  timeoutMs: 3000,
  cacheMs: 24 * 3_600_000,
  batchWindowMs: 50,
  batchMax: 100,
  maxAnswerBytes: 256 * 1024,
  retryBaseMs: 5000,
  retryMaxMs: 10 * 60_000,
  maxWaiting: 10_000,
};
