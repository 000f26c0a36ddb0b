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
type Cached = Set<string> | Promise<Set<string>>;

export class Relations {
  /** A Set once known, the Promise of one while it loads. */
  private readonly mutual = new Map<string, Cached>();
  private readonly audience = new Map<string, Cached>();
  /**
   * One string per user id across the cached sets. Ids come from database rows, a new string each
   * time: without this every user's buddies were their own copies (20 buddies × 56 bytes per
   * connected user). Bounded; an id dropped from it is only shared less.
   */
  private readonly ids = new Map<string, string>();
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
    const buddies = this.buddiesOf(rows);
    this.cache(this.mutual, userId, buddies);
    this.cache(this.audience, userId, this.audienceOf(buddies, roomPeers));
  }

  /** Who sees the user's presence: mutual buddies and fellow members of the user's rooms. */
  presenceAudience(userId: string): Promise<Set<string>> {
    const found = this.audience.get(userId);
    if (found) return found instanceof Set ? Promise.resolve(found) : found;
    const loading = Promise.all([this.mutualBuddies(userId), this.store.roomPeers(userId)]).then(([buddies, peers]) =>
      this.audienceOf(buddies, peers),
    );
    this.cache(this.audience, userId, loading);
    return loading;
  }

  mutualBuddies(userId: string): Promise<Set<string>> {
    const cached = this.mutual.get(userId);
    if (cached) return cached instanceof Set ? Promise.resolve(cached) : cached;
    void this.roster(userId); // caches the mutual buddies from the rows it loads
    return this.mutual.get(userId) as Promise<Set<string>>;
  }

  /**
   * The user's roster rows, fresh from the store (a load already in flight is shared), and the
   * mutual buddies cached from them on the way.
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
    if (!this.mutual.has(userId))
      this.cache(
        this.mutual,
        userId,
        rows.then((all) => this.buddiesOf(all)),
      );
    return rows;
  }

  private buddiesOf(rows: readonly RosterRow[]): Set<string> {
    const buddies = new Set<string>();
    for (const row of rows) if (row.mutual) buddies.add(this.intern(row.buddy.id));
    return buddies;
  }

  /** Most users share no room with anyone: their audience is their buddies, one Set for both. */
  private audienceOf(buddies: Set<string>, roomPeers: readonly string[]): Set<string> {
    if (roomPeers.length === 0) return buddies;
    const audience = new Set(buddies);
    for (const id of roomPeers) audience.add(this.intern(id));
    return audience;
  }

  private intern(id: string): string {
    const known = this.ids.get(id);
    if (known !== undefined) return known;
    this.ids.set(id, id);
    if (this.ids.size > this.maxCached * 4) this.ids.delete(this.ids.keys().next().value!);
    return id;
  }

  /**
   * Caches a set, or a load of one: once the load is done the set replaces it, and a failed load
   * is dropped (the next caller tries again). A forget meanwhile wins: the load is not put back.
   */
  private cache(map: Map<string, Cached>, userId: string, value: Cached): void {
    map.set(userId, value);
    if (map.size > this.maxCached) map.delete(map.keys().next().value!);
    if (value instanceof Set) return;
    value.then(
      (set) => {
        if (map.get(userId) === value) map.set(userId, set);
      },
      () => {
        if (map.get(userId) === value) map.delete(userId);
      },
    );
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
