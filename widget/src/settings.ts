/**
 * What a site can say to Parley: the settings (`Parley('init', …)`, `window.ParleySettings`,
 * `data-*` attributes on the script tag) and the commands of the host API, `window.Parley`.
 * The host API (loader.ts) carries them out.
 */
import type { HostEvents, SignAction } from './core/client.js';
import type { TokenStorage } from './core/storage.js';
import type { Theme } from './theme.js';

export type { Theme } from './theme.js';
export type { HostEvents, SignAction } from './core/client.js';

/** What `Parley('init', settings)`, `window.ParleySettings` or `data-*` attributes may say. */
export interface ParleySettings {
  /** The site id the Parley operator gave you. Required. */
  site: string;
  /** Parley server origin; defaults to where parley.js was loaded from (the npm package: the page's origin). */
  server?: string;
  /** Interface language ("en", "zh-CN", "ar": mirrored, right to left); defaults to the browser's. */
  locale?: string;
  /** Theme overrides; see {@link Theme}. */
  theme?: Theme;
  /** A host identity token: signs the visitor in without a Parley password. */
  identityToken?: string;
  /** Hide the default launcher; the page opens Parley from its own button (`Parley('open')`). */
  hideLauncher?: boolean;
  /**
   * Minutes without input in any of the visitor's tabs after which buddies see them as away (when
   * they chose online). Default 5; 0 never.
   */
  awayAfterMinutes?: number;
  /**
   * Where the visitor's Parley session token is kept: `local` (default: localStorage, survives the
   * browser closing), `session` (sessionStorage: until the tab closes) or `memory` (this page only:
   * no script on the page can read it from storage; a reload needs a new sign-in, which hosts with
   * identity tokens do silently). See docs/SECURITY.md.
   */
  tokenStorage?: TokenStorage;
  /**
   * `off`: incoming calls show their banner without the ring sound (`data-ring="off"` on the script
   * tag). Read by the call chunk when a call rings, not by parley.js.
   */
  ring?: 'on' | 'off';
  /**
   * For sites that require signed actions (`npm run site -- set <id> --signed-actions …`): called
   * before each such action with `{ action, resource }` (e.g. `{ action: 'room:join', resource:
   * roomId }`); resolve with a token your server signed for the signed-in user, or reject to refuse
   * (the widget says so). Only in `Parley('init', …)` or `window.ParleySettings`; see docs/widget.md.
   *
   * ```js
   * signAction: (request) =>
   *   fetch('/chat/sign', { method: 'POST', body: JSON.stringify(request) }).then((r) => r.text()),
   * ```
   */
  signAction?: SignAction;
}

/**
 * The host API. Every command is `Parley(name, ...args)`:
 *
 * ```js
 * Parley('init', { site: 'shop' });
 * Parley('login', { token: signedTokenFromYourServer });
 * Parley('openChat', 'ann', { draft: 'About my order…' });
 * Parley('on', 'unread', ({ count }) => updateBadge(count));
 * ```
 */
export interface ParleyCommands {
  init(settings: ParleySettings): void;
  open(): void;
  close(): void;
  toggle(): void;
  login(credentials: { username: string; password: string } | { token: string }): void;
  logout(): void;
  openChat(username: string, options?: { draft?: string }): void;
  setTheme(theme: Theme): void;
  setLocale(locale: string): void;
  on<E extends keyof HostEvents>(event: E, handler: (data: HostEvents[E]) => void): void;
  shutdown(): void;
}

export type CommandName = keyof ParleyCommands;
/**
 * `Parley(name, ...args)`: one of {@link ParleyCommands} with its arguments. `on` has a signature of
 * its own: `Parameters<>` of a generic method would give every handler the union of all events.
 */
export interface ParleyCommand {
  <E extends keyof HostEvents>(command: 'on', event: E, handler: (data: HostEvents[E]) => void): void;
  <C extends Exclude<CommandName, 'on'>>(command: C, ...args: Parameters<ParleyCommands[C]>): void;
}
/** `window.Parley`: the commands, and what the stub and parley.js mark on it. */
export type ParleyApi = ParleyCommand & {
  q?: unknown[][];
  loaded?: boolean;
};

declare global {
  interface Window {
    Parley?: ParleyApi;
    ParleySettings?: Partial<ParleySettings>;
  }
}

export const warn = (message: string) => console.warn(`[Parley] ${message}`);

/** Settings from the script tag: data-site, data-server, data-locale, data-theme (JSON), data-token, data-hide-launcher, data-away-after-minutes, data-token-storage. */
export function fromScriptTag(script: HTMLScriptElement | null): Partial<ParleySettings> {
  if (!script) return {};
  const d = script.dataset;
  const out: Partial<ParleySettings> = {};
  if (d.site) out.site = d.site;
  if (d.server) out.server = d.server;
  if (d.locale) out.locale = d.locale;
  if (d.token) out.identityToken = d.token;
  if (d.hideLauncher !== undefined) out.hideLauncher = d.hideLauncher !== 'false';
  if (d.awayAfterMinutes !== undefined) out.awayAfterMinutes = Number(d.awayAfterMinutes);
  if (d.tokenStorage !== undefined) out.tokenStorage = d.tokenStorage as TokenStorage;
  if (d.theme) {
    try {
      out.theme = JSON.parse(d.theme) as Theme;
    } catch {
      warn('data-theme is not valid JSON; ignored.');
    }
  }
  out.server ??= new URL(script.src, location.href).origin;
  return out;
}
