import { Limits, type Theme } from '../protocol/index.js';
import { themeSchema } from '../protocol/schemas.js';
import { SIGNED_ACTIONS, type SignedAction } from '../protocol/signed-actions.js';
import type { SiteRecord } from '../store/store.js';

/** A site's settings, each with its default. Stored as JSON on the site; unknown keys are ignored. */
export interface SiteSettings {
  /** Whether visitors may create Parley accounts themselves. Default false. */
  registrationOpen: boolean;
  /** Whether users who are not buddies may message each other (blocks still apply). Default false. */
  strangersMayMessage: boolean;
  /** Messages older than this many days are deleted; null keeps them forever. Default null. */
  retentionDays: number | null;
  /** The default theme the widget starts from; the page overrides it key by key. Default {}. */
  theme: Theme;
  /** The host site's address: digest e-mails link back to it. Null: the Parley server's PUBLIC_URL. */
  url: string | null;
  /** The most bytes one uploaded file may have. Default Limits.fileBytesDefault (10 MB). */
  maxFileBytes: number;
  /** Whether the site's users are reachable from XMPP through the gateway (docs/xmpp.md). Default false. */
  xmpp: boolean;
  /**
   * Minutes after sending that a message's sender may still edit it; 0 turns editing off.
   * Default Limits.editWindowMinutesDefault (15).
   */
  editWindowMinutes: number;
  /**
   * Where Parley asks the host for the names and avatars of its user ids it has no profile for
   * (docs/api.md#profile-provider): https, or http on this machine. Null: no provider. Default null.
   */
  profileUrl: string | null;
  /**
   * Actions that need a token the site's server signed (docs/protocol.md#signed-actions), e.g.
   * `['room:join', 'buddy:add']`. Default [] (none).
   */
  signedActions: SignedAction[];
}

/** Why `url` cannot be a profile provider's address, or null if it can (https, or http on loopback). */
export function profileUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (url.length > 2048) return 'is longer than 2048 characters';
  if (parsed.username || parsed.password) return 'must not hold a user name or password';
  if (parsed.hash) return 'must not have a #fragment';
  if (parsed.protocol === 'https:') return null;
  // Plain http only where the request never leaves the machine: the answer names users.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol === 'http:' && loopback) return null;
  return 'must be https:// (or http:// on localhost)';
}

/** The known actions of `raw`, once each, in the order of SIGNED_ACTIONS; anything else is dropped. */
export function signedActionsOf(raw: unknown): SignedAction[] {
  return Array.isArray(raw) ? SIGNED_ACTIONS.filter((action) => raw.includes(action)) : [];
}

/** The longest edit window a site may set (`npm run site -- set <id> --edit-window-min N`): a week. */
export const EDIT_WINDOW_MINUTES_MAX = 7 * 24 * 60;

export function siteSettings(site: SiteRecord): SiteSettings {
  const raw = site.settings;
  const theme = themeSchema.safeParse(raw.theme ?? {});
  const days = raw.retentionDays;
  return {
    registrationOpen: raw.registrationOpen === true,
    strangersMayMessage: raw.strangersMayMessage === true,
    retentionDays: typeof days === 'number' && Number.isInteger(days) && days > 0 ? days : null,
    // Written through `npm run site`, which validates; a hand-edited bad theme falls back to none.
    theme: theme.success ? (theme.data as Theme) : {},
    url: typeof raw.url === 'string' && /^https?:\/\/\S+$/.test(raw.url) ? raw.url : null,
    maxFileBytes:
      typeof raw.maxFileBytes === 'number' && Number.isInteger(raw.maxFileBytes) && raw.maxFileBytes > 0
        ? raw.maxFileBytes
        : Limits.fileBytesDefault,
    xmpp: raw.xmpp === true,
    editWindowMinutes:
      typeof raw.editWindowMinutes === 'number' &&
      Number.isInteger(raw.editWindowMinutes) &&
      raw.editWindowMinutes >= 0 &&
      raw.editWindowMinutes <= EDIT_WINDOW_MINUTES_MAX
        ? raw.editWindowMinutes
        : Limits.editWindowMinutesDefault,
    // Set through `npm run site`, which validates; a hand-edited bad one means no provider.
    profileUrl:
      typeof raw.profileUrl === 'string' && profileUrlProblem(raw.profileUrl) === null ? raw.profileUrl : null,
    signedActions: signedActionsOf(raw.signedActions),
  };
}
