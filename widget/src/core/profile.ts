import { batch, signal } from '@preact/signals-core';
import type { ChosenPresence, OwnPresence, Payload, UserSettings, UserSummary } from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import type { Lifecycle } from './feature.js';
import { createIdleWatcher } from './idle.js';
import { storage } from './storage.js';

export interface Prefs {
  sound: boolean;
  notifications: boolean;
}

const DEFAULT_AWAY_AFTER_MS = 5 * 60_000;

/**
 * The user themselves: who they are, the presence they chose (and whether they are idle, which
 * this tab reports), their e-mail settings on the server, and this browser's sound and
 * notification preferences.
 */
export type Profile = ReturnType<typeof createProfile>;

export function createProfile(
  connection: Connection,
  { onReady, onReset, onStop }: Lifecycle,
  site: string,
  awayAfterMs = DEFAULT_AWAY_AFTER_MS,
) {
  const me = signal<UserSummary | null>(null);
  const myPresence = signal<OwnPresence>({ state: 'online', status: '', idle: false });
  /** What the user set about e-mail digests. */
  const settings = signal<UserSettings>({ email: null, emailConfirmed: false, emailDigests: true });
  const prefs = signal<Prefs>({ sound: false, notifications: false });
  const prefsKey = `parley:${site}:prefs`;

  /** Tells the server the visitor went idle or is back, when that is news to it. */
  const setIdle = (idle: boolean) => {
    if (connection.status.value !== 'online' || myPresence.value.idle === idle) return;
    myPresence.value = { ...myPresence.value, idle }; // at once, so input does not ask twice
    connection
      .request('presence:idle', { idle })
      .catch((err: unknown) => console.warn('[Parley] idle state not sent', err));
  };
  /** Tells the server when every tab has gone idle and when the visitor is back (see idle.ts). */
  const watcher = createIdleWatcher(`parley:${site}:active`, awayAfterMs, {
    active: () => setIdle(false),
    idle: () => setIdle(true),
  });

  const saved = storage.get(prefsKey);
  if (saved) {
    try {
      prefs.value = { ...prefs.value, ...(JSON.parse(saved) as Partial<Prefs>) };
    } catch {
      storage.remove(prefsKey); // unreadable: start from the defaults
    }
  }
  connection.on('presence:changed', (change) => {
    if (change.userId === me.value?.id && change.chosen) myPresence.value = change.chosen;
  });
  connection.on('user:updated', ({ user }) => {
    if (user.id === me.value?.id) me.value = user;
  });
  onReady((ready) => {
    me.value = ready.user;
    myPresence.value = ready.presence;
    settings.value = ready.settings;
    watcher.start();
  });
  onReset(() => (me.value = null));
  onStop(() => watcher.stop());

  return {
    me,
    myPresence,
    settings,
    prefs,
    setPresence: (state: ChosenPresence, status: string): Promise<unknown> =>
      connection.request('presence:set', { state, status }),
    /** Saves the display name, avatar, e-mail address or digest choice on the server (other tabs hear of it). */
    async updateProfile(patch: Payload<'profile:update'>): Promise<void> {
      const data = await connection.request('profile:update', patch);
      batch(() => {
        me.value = data.user;
        settings.value = data.settings;
      });
    },
    /** Asks the server to send the confirmation e-mail for the user's address again. */
    async resendEmailConfirmation(): Promise<void> {
      settings.value = (await connection.request('profile:confirm-email', {})).settings;
    },
    setPrefs(patch: Partial<Prefs>): void {
      prefs.value = { ...prefs.value, ...patch };
      storage.set(prefsKey, JSON.stringify(prefs.value));
    },
  };
}
