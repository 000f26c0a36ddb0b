import type { UserRecord } from '../records.js';

/** A name and avatar the site's profile provider gave for one of its user ids. */
export interface FetchedProfile {
  externalId: string;
  displayName: string;
  avatarUrl: string | null;
}

/**
 * Host users' profiles as the site's profile provider gives them (services/profiles/): which are
 * due for a fetch, and writing what the provider answered.
 */
export interface ProfilesRepository {
  /**
   * Of the users named, those of the site that have a host id, are not deleted, and whose profile
   * was last given before `before` (or never).
   */
  staleProfiles(
    siteId: string,
    userIds: readonly string[],
    before: Date,
  ): Promise<{ id: string; externalId: string }[]>;
  /**
   * Writes the provider's answer of time `at` for the host ids `asked`: name and avatar of those in
   * `found`, and `profileFetchedAt = at` alone for the others (the provider does not know them, so
   * they are not asked again before the cache expires). A user whose profile was given after `at`
   * (pushed by the host meanwhile: PROFILE_SET_BY_HOST) is left alone. Returns the users whose
   * name or avatar changed, as they now are.
   */
  saveFetchedProfiles(
    siteId: string,
    asked: readonly string[],
    found: readonly FetchedProfile[],
    at: Date,
  ): Promise<UserRecord[]>;
}
