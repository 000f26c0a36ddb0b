import type { BuddyState, RelationChange, RosterRow } from '../records.js';

/** Buddy relations: each user's own row for each buddy, and blocks. */
export interface RosterRepository {
  /** Sets both sides of a relation at once (used by the demo seed and, later, accept). */
  setBuddies(a: string, b: string, state: BuddyState, group?: string | null): Promise<void>;
  roster(userId: string): Promise<RosterRow[]>;
  /** Both sides of the relation between a and b (null where there is no row). */
  relation(a: string, b: string): Promise<{ ab: RosterRow | null; ba: RosterRow | null }>;
  /** Applies relation changes in one transaction. */
  changeRelations(changes: RelationChange[]): Promise<void>;
  /** Moves every buddy of `ownerId` in group `from` to `to`; returns how many moved. */
  renameGroup(ownerId: string, from: string, to: string): Promise<number>;
  /** Whether both users have an accepted row for the other. */
  areMutualBuddies(a: string, b: string): Promise<boolean>;
  /** Users the user blocked or who blocked the user. */
  blockedWith(userId: string): Promise<Set<string>>;
  /** The blocks among these users, as [blocker, blocked] pairs. */
  blocksAmong(userIds: string[]): Promise<[string, string][]>;
}
