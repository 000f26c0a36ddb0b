import { batch, signal } from '@preact/signals-core';
import type {
  ChosenPresence,
  OwnPresence,
  Payload,
  SessionReady,
  UserSettings,
  UserSummary,
} from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import { IdleWatcher } from './idle.js';
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
export class Profile {
  readonly me = signal<UserSummary | null>(null);
  readonly myPresence = signal<OwnPresence>({ state: 'online', status: '', idle: false });
  /** What the user set about e-mail digests. */
  readonly settings = signal<UserSettings>({ email: null, emailConfirmed: false, emailDigests: true });
  readonly prefs = signal<Prefs>({ sound: false, notifications: false });
  /** Tells the server when every tab has gone idle and when the visitor is back (see IdleWatcher). */
  private readonly idle: IdleWatcher;
  private readonly prefsKey: string;

  constructor(
    private readonly connection: Connection,
    site: string,
    awayAfterMs = DEFAULT_AWAY_AFTER_MS,
  ) {
    this.idle = new IdleWatcher(`parley:${site}:active`, awayAfterMs, {
      active: () => this.setIdle(false),
      idle: () => this.setIdle(true),
    });
    this.prefsKey = `parley:${site}:prefs`;
    const saved = storage.get(this.prefsKey);
    if (saved) {
      try {
        this.prefs.value = { ...this.prefs.value, ...(JSON.parse(saved) as Partial<Prefs>) };
      } catch {
        storage.remove(this.prefsKey); // unreadable: start from the defaults
      }
    }
    connection.on('presence:changed', (change) => {
      if (change.userId === this.me.value?.id && change.chosen) this.myPresence.value = change.chosen;
    });
    connection.on('user:updated', ({ user }) => {
      if (user.id === this.me.value?.id) this.me.value = user;
    });
  }

  ready(ready: SessionReady): void {
    batch(() => {
      this.me.value = ready.user;
      this.myPresence.value = ready.presence;
      this.settings.value = ready.settings;
    });
    this.idle.start();
  }

  /** Stops reporting idleness (signed out, or the widget shut down). */
  stop(): void {
    this.idle.stop();
  }

  reset(): void {
    this.me.value = null;
  }

  readonly setPresence = (state: ChosenPresence, status: string): Promise<unknown> =>
    this.connection.request('presence:set', { state, status });

  /** Tells the server the visitor went idle or is back, when that is news to it. */
  private setIdle(idle: boolean): void {
    if (this.connection.status.value !== 'online' || this.myPresence.value.idle === idle) return;
    this.myPresence.value = { ...this.myPresence.value, idle }; // at once, so input does not ask twice
    this.connection
      .request('presence:idle', { idle })
      .catch((err: unknown) => console.warn('[Parley] idle state not sent', err));
  }

  /** Saves the display name, avatar, e-mail address or digest choice on the server (other tabs hear of it). */
  readonly updateProfile = async (patch: Payload<'profile:update'>): Promise<void> => {
    const { user, settings } = await this.connection.request('profile:update', patch);
    batch(() => {
      this.me.value = user;
      this.settings.value = settings;
    });
  };

  /** Asks the server to send the confirmation e-mail for the user's address again. */
  readonly resendEmailConfirmation = async (): Promise<void> => {
    const { settings } = await this.connection.request('profile:confirm-email', {});
    this.settings.value = settings;
  };

  readonly setPrefs = (patch: Partial<Prefs>): void => {
    this.prefs.value = { ...this.prefs.value, ...patch };
    storage.set(this.prefsKey, JSON.stringify(this.prefs.value));
  };
}
