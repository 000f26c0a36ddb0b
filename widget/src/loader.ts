/**
 * The script a site pastes: `<script src="https://chat.example/parley.js" data-site="shop" async>`.
 * It owns one global, `window.Parley`, a function that takes commands (`Parley('open')`). Calls
 * made before this script ran were queued on a stub and are replayed here, in order.
 */
import { effect, signal, type Signal } from '@preact/signals-core';
import { h, render } from 'preact';
import { createClient, type HostEvents, type ParleyClient } from './core/client.js';
import { TOKEN_STORAGES, type TokenStorage } from './core/storage.js';
import { resolveLocale } from './i18n.js';
import { applyTheme, cleanTheme, type Theme } from './theme.js';
import { App } from './ui/App.js';
import { Widget } from './ui/context.js';
import { createViewState, type ViewState } from './ui/view-state.js';
import css from './ui/styles.css?inline';

export type { Theme } from './theme.js';
export type { HostEvents } from './core/client.js';

/** What `Parley('init', settings)`, `window.ParleySettings` or `data-*` attributes may say. */
export interface ParleySettings {
  /** The site id the Parley operator gave you. Required. */
  site: string;
  /** Parley server origin; defaults to where parley.js was loaded from. */
  server?: string;
  /** Interface language ("en", "zh-CN"); defaults to the browser's. */
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

type CommandName = keyof ParleyCommands;
export type ParleyApi = (<C extends CommandName>(command: C, ...args: Parameters<ParleyCommands[C]>) => void) & {
  q?: unknown[][];
  loaded?: boolean;
};

declare global {
  interface Window {
    Parley?: ParleyApi;
    ParleySettings?: Partial<ParleySettings>;
  }
}

const warn = (message: string) => console.warn(`[Parley] ${message}`);
const hostEvents: (keyof HostEvents)[] = ['ready', 'message', 'mention', 'unread', 'presence', 'open', 'close'];

/** Settings from the script tag: data-site, data-server, data-locale, data-theme (JSON), data-token, data-hide-launcher, data-away-after-minutes, data-token-storage. */
function fromScriptTag(script: HTMLScriptElement | null): Partial<ParleySettings> {
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

function boot(): void {
  const existing = window.Parley;
  if (existing?.loaded) return; // the script was included twice: one widget is enough
  // The stub pushes `arguments` objects; take them as plain arrays.
  const queued = Array.isArray(existing?.q) ? existing.q.map((call) => Array.from(call)) : [];
  const tag = fromScriptTag(document.currentScript as HTMLScriptElement | null);

  let widget: {
    client: ParleyClient;
    view: ViewState;
    host: HTMLElement;
    root: ShadowRoot;
    /** The page's own theme keys (settings, data-theme, setTheme); they win over the site's. */
    pageTheme: Signal<Theme>;
    stop: () => void;
  } | null = null;
  const pendingHandlers: [keyof HostEvents, (data: never) => void][] = [];
  const beforeMount: unknown[][] = [];
  const locale = signal('en');
  /** A locale the page asked for (settings or setLocale); otherwise the theme's or the browser's. */
  const pageLocale = signal<string | null>(null);

  const mount = (settings: Partial<ParleySettings>) => {
    if (widget) return warn('init was called twice; the second call is ignored.');
    if (typeof settings.site !== 'string' || !settings.site) {
      return warn('no site id: add data-site="…" to the script tag, or call Parley(\'init\', { site: "…" }).');
    }
    const host = document.createElement('div');
    host.setAttribute('data-parley', '');
    const root = host.attachShadow({ mode: 'open' });
    // Constructed stylesheets: no <style> element, so a strict style-src CSP does not block them.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
    const pageTheme = signal<Theme>(settings.theme ? cleanTheme(settings.theme, warn) : {});
    const theme = signal<Theme>(pageTheme.value);
    applyTheme(host, theme.value);
    document.body.appendChild(host);

    pageLocale.value = settings.locale ?? null;
    const away = settings.awayAfterMinutes;
    let tokenStorage = settings.tokenStorage;
    if (tokenStorage !== undefined && !TOKEN_STORAGES.includes(tokenStorage)) {
      warn(`tokenStorage must be one of ${TOKEN_STORAGES.join(', ')}; using local.`);
      tokenStorage = undefined;
    }
    const client = createClient({
      server: settings.server ?? location.origin,
      site: settings.site,
      ...(tokenStorage ? { tokenStorage } : {}),
      ...(typeof away === 'number' && away >= 0 ? { awayAfterMs: away * 60_000 } : {}),
    });
    for (const [event, handler] of pendingHandlers.splice(0)) client.events.on(event, handler as never);
    // The site's default theme (from the server) under the page's keys; re-applied when either changes.
    const stop = effect(() => {
      const site = client.siteConfig.value?.theme;
      const merged = { ...(site ? cleanTheme(site, warn) : {}), ...pageTheme.value };
      theme.value = merged;
      applyTheme(host, merged);
      locale.value = resolveLocale(pageLocale.value ?? merged.locale ?? navigator.language ?? 'en');
    });
    const view = createViewState(client);
    widget = { client, view, host, root, pageTheme, stop };
    const hideLauncher = settings.hideLauncher === true;
    render(h(Widget.Provider, { value: { client, view, locale, theme, hideLauncher } }, h(App, {})), root);
    client.start();
    if (settings.identityToken) client.loginWithIdentity(settings.identityToken);
    for (const call of beforeMount.splice(0)) run(...call);
  };

  const whenMounted = (fn: (w: NonNullable<typeof widget>) => void) => (args: unknown[], name: string) => {
    if (widget) fn(widget);
    else beforeMount.push([name, ...args]);
  };

  const commands: Record<CommandName, (args: unknown[], name: string) => void> = {
    init: ([settings]) => {
      if (typeof settings !== 'object' || settings === null)
        return warn("init expects a settings object: Parley('init', { site: '…' }).");
      mount({ ...tag, ...window.ParleySettings, ...(settings as Partial<ParleySettings>) });
    },
    open: whenMounted((w) => w.view.open()),
    close: whenMounted((w) => w.view.close()),
    toggle: whenMounted((w) => w.view.toggle()),
    login: (args, name) => {
      const c = args[0] as { username?: unknown; password?: unknown; token?: unknown } | undefined;
      const ok = typeof c?.token === 'string' || (typeof c?.username === 'string' && typeof c.password === 'string');
      if (!ok) return warn("login expects { username, password } or { token }, e.g. Parley('login', { token: '…' }).");
      whenMounted((w) => {
        if (typeof c!.token === 'string') w.client.loginWithIdentity(c!.token);
        else void w.client.login(c!.username as string, c!.password as string);
      })(args, name);
    },
    logout: whenMounted((w) => void w.client.logout()),
    openChat: (args, name) => {
      const [username, options] = args as [unknown, { draft?: unknown } | undefined];
      if (typeof username !== 'string' || !username)
        return warn("openChat expects a username: Parley('openChat', 'ann').");
      if (
        options !== undefined &&
        (typeof options !== 'object' || (options.draft !== undefined && typeof options.draft !== 'string'))
      ) {
        return warn('openChat options must be { draft?: string }.');
      }
      whenMounted((w) => {
        const draft = options?.draft as string | undefined;
        const attempt = () =>
          w.view.openChatWith(username, draft).then((found) => {
            if (!found) warn(`openChat: no user "${username}" to chat with.`);
          });
        // Before sign-in completes the roster is empty: wait for it.
        if (w.client.me.value) void attempt();
        else {
          const off = w.client.events.on('ready', () => {
            off();
            void attempt();
          });
          w.view.open();
        }
      })(args, name);
    },
    setTheme: (args, name) => {
      // A key set to null goes back to the site's (or the built-in) value.
      const input = args[0];
      const cleared =
        typeof input === 'object' && input !== null
          ? Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] === null)
          : [];
      const rest =
        typeof input === 'object' && input !== null
          ? Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null))
          : input;
      const patch = cleanTheme(rest, warn);
      whenMounted((w) => {
        const next: Record<string, unknown> = { ...w.pageTheme.value, ...patch };
        for (const key of cleared) delete next[key];
        w.pageTheme.value = next as Theme;
      })(args, name);
    },
    setLocale: ([value]) => {
      if (typeof value !== 'string') return warn("setLocale expects a locale such as 'en' or 'zh-CN'.");
      pageLocale.value = value;
    },
    on: ([event, handler]) => {
      if (!hostEvents.includes(event as keyof HostEvents) || typeof handler !== 'function') {
        return warn(`on expects one of ${hostEvents.join(', ')} and a function.`);
      }
      if (widget) widget.client.events.on(event as keyof HostEvents, handler as never);
      else pendingHandlers.push([event as keyof HostEvents, handler as (data: never) => void]);
    },
    shutdown: () => {
      if (widget) {
        widget.stop();
        widget.view.stop();
        widget.client.disconnect();
        render(null, widget.root);
        widget.host.remove();
        widget = null;
      }
      delete window.Parley;
    },
  };

  const run = (...input: unknown[]) => {
    const [name, ...args] = input;
    const command =
      typeof name === 'string' && Object.hasOwn(commands, name) ? commands[name as CommandName] : undefined;
    if (!command) return warn(`unknown command ${JSON.stringify(name)}; known: ${Object.keys(commands).join(', ')}.`);
    try {
      command(args, name as string);
    } catch (err) {
      console.error(`[Parley] ${String(name)} failed`, err);
    }
  };
  const api = run as ParleyApi;
  api.loaded = true;
  window.Parley = api;

  // An explicit init (queued or later) wins; otherwise the tag or window.ParleySettings start it.
  const hasInit = queued.some((call) => call[0] === 'init');
  if (!hasInit && (tag.site || window.ParleySettings?.site)) mount({ ...tag, ...window.ParleySettings });
  for (const call of queued) run(...call);
}

boot();
