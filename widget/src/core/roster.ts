import { signal } from '@preact/signals-core';
import type { RosterEntry, UserSummary } from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import type { Lifecycle } from './feature.js';

/** The user's buddies, requests and blocks, with their presence, kept current by the server's pushes. */
export type Roster = ReturnType<typeof createRoster>;

export function createRoster(connection: Connection, { onReady, onReset }: Lifecycle) {
  const entries = signal<RosterEntry[]>([]);
  const update = (id: string, patch: Partial<RosterEntry>) =>
    (entries.value = entries.value.map((r) => (r.user.id === id ? { ...r, ...patch } : r)));

  onReady((ready) => (entries.value = ready.roster));
  onReset(() => (entries.value = []));
  connection.on('presence:changed', ({ userId, presence }) => update(userId, { presence }));
  connection.on('user:updated', ({ user }) => update(user.id, { user }));
  connection.on('roster:changed', (change) => {
    const id = 'entry' in change ? change.entry.user.id : change.removed;
    const others = entries.value.filter((r) => r.user.id !== id);
    entries.value = 'entry' in change ? [...others, change.entry] : others;
  });

  return {
    entries,
    user: (id: string): UserSummary | null => entries.value.find((r) => r.user.id === id)?.user ?? null,
    /**
     * The buddy with this username, or a user the server finds by it (shown offline until they
     * are a buddy); null if there is none.
     */
    async find(username: string): Promise<RosterEntry | null> {
      const entry = entries.value.find((r) => r.user.username === username);
      if (entry || !connection.connected) return entry ?? null;
      const found = await connection.request('user:search', { query: username }).catch(() => null);
      const user = found?.users.find((u) => u.username === username);
      return user
        ? { user, state: 'accepted', presence: { state: 'offline', status: '', lastSeenAt: null }, group: null }
        : null;
    },
  };
}
