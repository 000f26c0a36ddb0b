import { signal } from '@preact/signals-core';
import type { RosterEntry, UserSummary } from '@parley/backend/protocol';
import type { Connection } from './connection.js';

/** The user's buddies, requests and blocks, with their presence, kept current by the server's pushes. */
export class Roster {
  readonly entries = signal<RosterEntry[]>([]);

  constructor(private readonly connection: Connection) {
    connection.on('presence:changed', ({ userId, presence }) => {
      this.entries.value = this.entries.value.map((r) => (r.user.id === userId ? { ...r, presence } : r));
    });
    connection.on('roster:changed', (change) => {
      const id = 'entry' in change ? change.entry.user.id : change.removed;
      const others = this.entries.value.filter((r) => r.user.id !== id);
      this.entries.value = 'entry' in change ? [...others, change.entry] : others;
    });
    connection.on('user:updated', ({ user }) => {
      this.entries.value = this.entries.value.map((r) => (r.user.id === user.id ? { ...r, user } : r));
    });
  }

  user(id: string): UserSummary | null {
    return this.entries.value.find((r) => r.user.id === id)?.user ?? null;
  }

  /**
   * The buddy with this username, or a user the server finds by it (shown offline until they are
   * a buddy); null if there is none.
   */
  readonly find = async (username: string): Promise<RosterEntry | null> => {
    const entry = this.entries.value.find((r) => r.user.username === username);
    if (entry || !this.connection.connected) return entry ?? null;
    const found = await this.connection.request('user:search', { query: username }).catch(() => null);
    const user = found?.users.find((u) => u.username === username);
    return user
      ? { user, state: 'accepted', presence: { state: 'offline', status: '', lastSeenAt: null }, group: null }
      : null;
  };
}
