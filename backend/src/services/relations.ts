import { ErrorCode } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { RosterRow, SiteRecord, Store } from '../store/store.js';
import { siteSettings } from './site-settings.js';

/**
 * Who may see whose presence and message whom. Each user's mutual buddies are cached, so the
 * message hot path and presence fan-out do not query the roster every time; every roster change
 * calls `changed` for both users, every room membership change for the members. In cluster mode `changed` also reaches the other nodes (see
 * cluster/relations-sync.ts), whose caches would otherwise go stale.
 */
export class Relations {
  private readonly mutual = new Map<string, Promise<Set<string>>>();
  private readonly audience = new Map<string, Promise<Set<string>>>();
  /** Roster loads in flight, shared by the callers that ask meanwhile (a connect asks twice). */
  private readonly loading = new Map<string, Promise<RosterRow[]>>();
  private listener: ((userIds: string[]) => void) | undefined;
  /**
   * Counts every `forget`, so that rows read before one are not cached after it (see `prime`):
   * `forgotten` holds the count at the last forget of recently forgotten users, and `floor` the
   * count below which nothing is known any more (older entries were dropped to bound the map).
   */
  private forgets = 0;
  private floor = 0;
  private readonly forgotten = new Map<string, number>();

  constructor(
    private readonly store: Store,
    /** Users cached at most; the oldest entries go first (they are cheap to load again). */
    private readonly maxCached = 50_000,
  ) {}

  /** Where the cache stands now: pass it to `prime` with rows read after this call. */
  mark(): number {
    return this.forgets;
  }

  /**
   * Caches what a connect read in its one statement (the user's roster rows and room peers), so
   * the presence fan-out of that connect and the user's first messages need no query. `since` is
   * `mark()` taken before the rows were read: if the user's relations were forgotten since (a
   * roster or room change, on this node or another), the rows may predate it and are not kept.
   */
  prime(userId: string, rows: readonly RosterRow[], roomPeers: readonly string[], since: number): void {
    if (since < this.floor || (this.forgotten.get(userId) ?? -1) > since) return;
    if (this.mutual.has(userId) && this.audience.has(userId)) return;
    const buddies = new Set<string>();
    for (const row of rows) if (row.mutual) buddies.add(row.buddy.id);
    // Most users are in no room with anyone: their audience is their buddies, one Set for both.
    const audience = roomPeers.length === 0 ? buddies : new Set([...buddies, ...roomPeers]);
    this.cache(this.mutual, userId, Promise.resolve(buddies));
    this.cache(this.audience, userId, Promise.resolve(audience));
  }

  /** Who sees the user's presence: mutual buddies and fellow members of the user's rooms. */
  presenceAudience(userId: string): Promise<Set<string>> {
    let found = this.audience.get(userId);
    if (!found) {
      found = Promise.all([this.mutualBuddies(userId), this.store.roomPeers(userId)]).then(
        ([buddies, peers]) => new Set([...buddies, ...peers]),
      );
      found.catch(() => this.audience.delete(userId));
      this.cache(this.audience, userId, found);
    }
    return found;
  }

  private cache(map: Map<string, Promise<Set<string>>>, userId: string, value: Promise<Set<string>>): void {
    map.set(userId, value);
    if (map.size > this.maxCached) map.delete(map.keys().next().value!);
  }

  mutualBuddies(userId: string): Promise<Set<string>> {
    const cached = this.mutual.get(userId);
    if (cached) return cached;
    void this.roster(userId); // caches the mutual buddies from the rows it loads
    return this.mutual.get(userId)!;
  }

  /**
   * The user's roster rows, fresh from the store (a load already in flight is shared), and the
   * mutual buddies cached from them on the way: the roster a connecting client is sent and the
   * presence fan-out of its connect cost one query, not two.
   */
  roster(userId: string): Promise<RosterRow[]> {
    let rows = this.loading.get(userId);
    if (!rows) {
      rows = this.store.roster(userId);
      this.loading.set(userId, rows);
      const done = () => {
        if (this.loading.get(userId) === rows) this.loading.delete(userId);
      };
      rows.then(done, done);
    }
    if (!this.mutual.has(userId)) this.cacheMutual(userId, rows);
    return rows;
  }

  private cacheMutual(userId: string, rows: Promise<RosterRow[]>): void {
    const found = rows.then((all) => new Set(all.filter((r) => r.mutual).map((r) => r.buddy.id)));
    found.catch(() => {
      if (this.mutual.get(userId) === found) this.mutual.delete(userId);
    });
    this.cache(this.mutual, userId, found);
  }

  /**
   * Throws unless `from` may message `to`: mutual buddies always may (a block ends the relation);
   * other users of the same site only where the site allows strangers to talk, and never across a
   * block; users of other sites and unknown ids never (`not_found`).
   */
  async assertMayMessage(site: SiteRecord, from: string, to: string): Promise<void> {
    if ((await this.mutualBuddies(from)).has(to)) return;
    // Buddies are of one site by construction; anyone else must be shown to be. Without this, a
    // site that lets strangers talk would let its users write to any user of any other site.
    const recipient = await this.store.getUser(to);
    if (!recipient || recipient.siteId !== site.id) throw new ParleyError(ErrorCode.NotFound, 'No such user.');
    if (!siteSettings(site).strangersMayMessage) {
      throw new ParleyError(ErrorCode.Forbidden, 'You can only message your buddies.');
    }
    const { ab, ba } = await this.store.relation(from, to);
    if (ab?.state === 'blocked' || ba?.state === 'blocked') {
      throw new ParleyError(ErrorCode.Blocked, 'You cannot message this user.');
    }
  }

  /**
   * Rosters or room memberships of these users changed (already committed): drop what is cached
   * about them here and, in cluster mode, on every other node.
   */
  changed(...userIds: string[]): void {
    this.forget(...userIds);
    this.listener?.(userIds);
  }

  /** Drops cached entries on this node only (a user went offline, another node said so…). */
  forget(...userIds: string[]): void {
    this.forgets++;
    for (const id of userIds) {
      this.mutual.delete(id);
      this.audience.delete(id);
      this.loading.delete(id); // a load started before the change may miss it
      this.forgotten.delete(id); // re-inserted last: the map stays in order of forgetting
      this.forgotten.set(id, this.forgets);
    }
    while (this.forgotten.size > Relations.FORGOTTEN_KEPT) {
      const [id, at] = this.forgotten.entries().next().value!;
      this.floor = at;
      this.forgotten.delete(id);
    }
  }

  forgetAll(): void {
    this.forgets++;
    this.floor = this.forgets;
    this.forgotten.clear();
    this.mutual.clear();
    this.audience.clear();
    this.loading.clear();
  }

  /** Recent forgets remembered for `prime` (older ones count as "maybe": nothing is primed). */
  private static readonly FORGOTTEN_KEPT = 10_000;

  /** Called with the users of every `changed` on this node (cluster mode passes them on). */
  onChanged(listener: (userIds: string[]) => void): void {
    this.listener = listener;
  }
}
