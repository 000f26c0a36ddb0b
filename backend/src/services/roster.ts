import { ErrorCode, Limits, type RosterEntry, type UserSummary } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { RelationChange, RosterRow, Store, UserRecord } from '../store/store.js';
import { toSummary } from '../store/wire.js';
import type { Notifier } from './notifier.js';
import { offline, type PresenceService } from './presence.js';
import type { Relations } from './relations.js';

/**
 * Buddy lists. Each user has their own row for each buddy (state and group); two users are
 * buddies when both rows say "accepted". Every change reaches both users on all their
 * connections as `roster:changed`, and a relation that becomes (or stops being) mutual updates
 * both users' presence view at once.
 *
 *   request:  A: requested, B: pending       (if B had asked A already: both accepted)
 *   accept:   B pending → both accepted      decline / cancel / remove: both rows deleted
 *   block:    A: blocked, B's row deleted    unblock: A's row deleted
 */
export class RosterService {
  constructor(
    private readonly store: Store,
    private readonly relations: Relations,
    private readonly presence: PresenceService,
    private readonly notify: Notifier,
  ) {}

  async view(user: UserRecord): Promise<RosterEntry[]> {
    return this.viewOf(await this.relations.roster(user.id));
  }

  /** The roster as the client sees it, from rows already read (a connect reads them with the session). */
  async viewOf(rows: readonly RosterRow[]): Promise<RosterEntry[]> {
    return (await this.entries(rows)).filter((e) => e !== null);
  }

  /**
   * Tells everyone who has `user` on their list (blocks aside), and the user's own connections,
   * the user's current name and avatar (`user:updated`).
   */
  async announceProfile(user: UserRecord): Promise<void> {
    const listed = (await this.relations.roster(user.id)).filter((r) => r.state !== 'blocked').map((r) => r.buddy.id);
    this.notify.toUsers([user.id, ...listed], 'user:updated', { user: toSummary(user) });
  }

  async search(user: UserRecord, query: string): Promise<UserSummary[]> {
    const found = await this.store.searchUsers(user.siteId, query.trim(), Limits.searchResults + 1);
    const hidden = new Set(
      (
        await Promise.all(
          found.map(async (u) => ((await this.store.relation(u.id, user.id)).ab?.state === 'blocked' ? u.id : null)),
        )
      ).filter((id): id is string => id !== null),
    );
    // People who blocked the searcher do not show up, nor does the searcher.
    return found
      .filter((u) => u.id !== user.id && !hidden.has(u.id))
      .slice(0, Limits.searchResults)
      .map(toSummary);
  }

  async request(user: UserRecord, otherId: string, group: string | null = null): Promise<RosterEntry | null> {
    const other = await this.peer(user, otherId);
    const { ab, ba } = await this.store.relation(user.id, other.id);
    if (ba?.state === 'blocked') throw new ParleyError(ErrorCode.Blocked, 'You cannot add this user.');
    if (ab?.state === 'blocked') throw new ParleyError(ErrorCode.BadRequest, 'Unblock this user first.');
    if (ab?.state === 'accepted' || ab?.state === 'requested') return this.entryFor(user, other);
    if (ab?.state === 'pending') return this.accept(user, other.id, group);
    await this.apply(user, other, [
      { ownerId: user.id, buddyId: other.id, state: 'requested', group },
      { ownerId: other.id, buddyId: user.id, state: 'pending', group: null },
    ]);
    return this.entryFor(user, other);
  }

  async accept(user: UserRecord, otherId: string, group: string | null = null): Promise<RosterEntry | null> {
    const other = await this.peer(user, otherId);
    const { ab } = await this.store.relation(user.id, other.id);
    if (ab?.state !== 'pending') throw new ParleyError(ErrorCode.BadRequest, 'There is no request from this user.');
    await this.apply(user, other, [
      { ownerId: user.id, buddyId: other.id, state: 'accepted', group },
      { ownerId: other.id, buddyId: user.id, state: 'accepted' },
    ]);
    return this.entryFor(user, other);
  }

  async decline(user: UserRecord, otherId: string): Promise<null> {
    return this.dissolve(user, otherId, 'pending', 'There is no request from this user.');
  }

  async cancel(user: UserRecord, otherId: string): Promise<null> {
    return this.dissolve(user, otherId, 'requested', 'You have not asked this user.');
  }

  async remove(user: UserRecord, otherId: string): Promise<null> {
    return this.dissolve(user, otherId, 'accepted', 'This user is not your buddy.');
  }

  async block(user: UserRecord, otherId: string): Promise<RosterEntry | null> {
    const other = await this.peer(user, otherId);
    const { ba } = await this.store.relation(user.id, other.id);
    const changes: RelationChange[] = [{ ownerId: user.id, buddyId: other.id, state: 'blocked', group: null }];
    // The blocked user loses the relation (and with it presence), but keeps their own block.
    if (ba && ba.state !== 'blocked') changes.push({ ownerId: other.id, buddyId: user.id, state: null });
    await this.apply(user, other, changes);
    return this.entryFor(user, other);
  }

  async unblock(user: UserRecord, otherId: string): Promise<null> {
    const other = await this.peer(user, otherId);
    const { ab } = await this.store.relation(user.id, other.id);
    if (ab?.state !== 'blocked') throw new ParleyError(ErrorCode.BadRequest, 'This user is not blocked.');
    await this.apply(user, other, [{ ownerId: user.id, buddyId: other.id, state: null }]);
    return null;
  }

  async group(user: UserRecord, otherId: string, group: string | null): Promise<RosterEntry | null> {
    const other = await this.peer(user, otherId);
    const { ab } = await this.store.relation(user.id, other.id);
    if (!ab || ab.state === 'blocked') throw new ParleyError(ErrorCode.NotFound, 'This user is not on your list.');
    await this.store.changeRelations([{ ownerId: user.id, buddyId: other.id, state: ab.state, group }]);
    const entry = await this.entryFor(user, other);
    if (entry) this.notify.toUsers([user.id], 'roster:changed', { entry });
    return entry;
  }

  async renameGroup(user: UserRecord, from: string, to: string): Promise<number> {
    const renamed = await this.store.renameGroup(user.id, from, to);
    // Every moved entry reaches the user's other connections.
    const moved = (await this.store.roster(user.id)).filter((row) => row.group === to);
    for (const entry of await this.entries(moved)) {
      if (entry) this.notify.toUsers([user.id], 'roster:changed', { entry });
    }
    return renamed;
  }

  private async dissolve(user: UserRecord, otherId: string, expected: RosterRow['state'], problem: string) {
    const other = await this.peer(user, otherId);
    const { ab, ba } = await this.store.relation(user.id, other.id);
    if (ab?.state !== expected) throw new ParleyError(ErrorCode.BadRequest, problem);
    const changes: RelationChange[] = [{ ownerId: user.id, buddyId: other.id, state: null }];
    if (ba && ba.state !== 'blocked') changes.push({ ownerId: other.id, buddyId: user.id, state: null });
    await this.apply(user, other, changes);
    return null;
  }

  /**
   * Writes the change, refreshes the caches, and tells both users what their rows now say. Who
   * sees whose presence (mutual buddies, fellow room members, never across a block) is compared
   * before and after: each user is shown the other, or shown offline, when that changed.
   */
  private async apply(user: UserRecord, other: UserRecord, changes: RelationChange[]): Promise<void> {
    const sawBefore = (await this.relations.presenceAudience(user.id)).has(other.id);
    await this.store.changeRelations(changes);
    this.relations.changed(user.id, other.id);
    const { ab, ba } = await this.store.relation(user.id, other.id);
    const [abEntry, baEntry] = await this.entries([ab, ba]);
    this.notify.toUsers([user.id], 'roster:changed', abEntry ? { entry: abEntry } : { removed: other.id });
    this.notify.toUsers([other.id], 'roster:changed', baEntry ? { entry: baEntry } : { removed: user.id });
    // The audience is symmetric: if other sees user, user sees other.
    const seesAfter = (await this.relations.presenceAudience(user.id)).has(other.id);
    if (seesAfter && !sawBefore) {
      await this.presence.show(user.id, other);
      await this.presence.show(other.id, user);
    } else if (!seesAfter && sawBefore) {
      // No longer buddies, or a block: each stops seeing the other (in the roster and in rooms).
      this.notify.toUsers([user.id], 'presence:changed', { userId: other.id, presence: offline(null) });
      this.notify.toUsers([other.id], 'presence:changed', { userId: user.id, presence: offline(null) });
    }
  }

  private async entryFor(user: UserRecord, other: UserRecord): Promise<RosterEntry | null> {
    const { ab } = await this.store.relation(user.id, other.id);
    return (await this.entries([ab]))[0] ?? null;
  }

  /** Roster rows as the client sees them, with the presence of mutual buddies (one lookup). */
  private async entries(rows: readonly (RosterRow | null)[]): Promise<(RosterEntry | null)[]> {
    const presence = await this.presence.visibleMany(rows.flatMap((row) => (row?.mutual ? [row.buddy] : [])));
    return rows.map((row) => {
      if (!row) return null;
      return {
        user: toSummary(row.buddy),
        state: row.state,
        presence: (row.mutual && presence.get(row.buddy.id)) || offline(null),
        group: row.group,
      };
    });
  }

  /** Another user of the same site; other sites' users look like missing ones. */
  private async peer(user: UserRecord, otherId: string): Promise<UserRecord> {
    if (otherId === user.id) throw new ParleyError(ErrorCode.BadRequest, 'That is you.');
    const other = await this.store.getUser(otherId);
    if (!other || other.siteId !== user.siteId) throw new ParleyError(ErrorCode.NotFound, 'No such user.');
    return other;
  }
}
