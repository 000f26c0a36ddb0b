/**
 * Which users of a site may be online, in id order, so the server API can page through every
 * online user of a site (`GET online`, docs/api.md). The presence registry stays the truth: the
 * directory only lists candidates, added when a connection opens and removed when the user goes
 * offline, and PresenceService checks each candidate against the registry before showing it (and
 * drops those that turn out to be offline). One node keeps it in memory; a cluster in Redis
 * (cluster/redis-online-directory.ts), so any node can answer for users connected to the others.
 */
export interface OnlineDirectory {
  add(siteId: string, userId: string): Promise<void>;
  /** Takes the user out; resolves with the site they were listed under (null: they were not). */
  remove(userId: string): Promise<string | null>;
  /** Up to `limit` user ids of the site after `after` (exclusive), in ascending order. */
  page(siteId: string, after: string | undefined, limit: number): Promise<string[]>;
}

/** One node: a sorted list of user ids per site. */
export class LocalOnlineDirectory implements OnlineDirectory {
  private readonly sites = new Map<string, Set<string>>();
  private readonly siteOf = new Map<string, string>();

  async add(siteId: string, userId: string): Promise<void> {
    let users = this.sites.get(siteId);
    if (!users) this.sites.set(siteId, (users = new Set()));
    users.add(userId);
    this.siteOf.set(userId, siteId);
  }

  async remove(userId: string): Promise<string | null> {
    const siteId = this.siteOf.get(userId);
    if (siteId === undefined) return null;
    this.siteOf.delete(userId);
    const users = this.sites.get(siteId);
    users?.delete(userId);
    if (users?.size === 0) this.sites.delete(siteId);
    return siteId;
  }

  async page(siteId: string, after: string | undefined, limit: number): Promise<string[]> {
    const users = [...(this.sites.get(siteId) ?? [])].filter((id) => after === undefined || id > after);
    // Sorted by code unit, as Redis's ZRANGEBYLEX orders the cluster's directory (user ids are ASCII).
    return users.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, limit);
  }
}
