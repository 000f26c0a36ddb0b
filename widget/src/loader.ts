/**
 * The host API both builds share: `createHostApi` returns the function that takes the commands
 * (`Parley('open')`), mounts the widget on `init` and carries the commands out. Two entries call it:
 * script-tag.ts, parley.js (the script a site pastes), which puts it on `window.Parley` and loads
 * the chunks from beside itself; and npm-package.ts, `import { Parley } from '@parley/widget'`,
 * whose chunks the app's own bundler splits out.
 *
 * In parley.js this is the boot script, kept small (its budget is in scripts/size.mjs): the host
 * API, the settings, the theme and the launcher, in plain DOM. The rest loads on demand through
 * `load`: the core chunk (runtime.ts: the client and socket.io-client) as soon as the visitor may be
 * signed in (a stored session, an identity token, `login`) or wants the panel; the panel chunk
 * (panel.tsx: the Preact UI) when the panel opens, fetched ahead when the browser is idle or the
 * pointer or focus reaches the launcher. Commands that need a chunk wait for it, in the order they
 * were made.
 */
import { createLauncher } from './boot/launcher.js';
import css from './boot/base.css?inline';
import type { LauncherState, LoadChunk, Runtime } from './chunk-api.js';
import type { ClientOptions, HostEvents } from './core/client.js';
import { fetchSiteConfig } from './core/site-config.js';
import { TOKEN_STORAGES, tokenKey, tokenStore } from './core/storage.js';
import { launcherTranslator } from './boot/launcher-words.js';
import { resolveLocale } from './locale.js';
import { applyTheme, cleanTheme, type Theme } from './theme.js';
import { warn, type CommandName, type ParleyApi, type ParleySettings } from './settings.js';

export type { Theme } from './theme.js';
export type { HostEvents } from './core/client.js';
export type { ParleyApi, ParleyCommands, ParleySettings } from './settings.js';

const hostEvents: (keyof HostEvents)[] = ['ready', 'message', 'mention', 'unread', 'presence', 'open', 'close'];

/** A mounted widget: its elements, settings, look, and the chunks it has. */
interface Mounted {
  host: HTMLElement;
  root: ShadowRoot;
  /** `.windows`: where the panel chunk renders the panel and docked chats. */
  windows: HTMLElement;
  launcher: ReturnType<typeof createLauncher> | null;
  options: ClientOptions;
  identityToken: string | undefined;
  /** The page's own theme keys (settings, data-theme, setTheme); they win over the site's. */
  pageTheme: Theme;
  siteTheme: Theme;
  /** The two merged, and the locale resolved, as last applied. */
  theme: Theme;
  locale: string;
  launcherState: LauncherState;
  runtime: Runtime | null;
  /** Calls waiting for the core chunk, in order; null while it is neither loaded nor asked for. */
  waiting: ((runtime: Runtime) => void)[] | null;
  /** The panel chunk: not asked for, loading, or mounted (its unmount). */
  panel: 'none' | 'loading' | (() => void);
}

/**
 * Runs `fn` once the page has had its chance to show a frame (the launcher's first): after the next
 * animation frame, or after 100 ms where no frame comes (a tab opened in the background).
 */
function afterFirstFrame(fn: () => void): void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    fn();
  };
  requestAnimationFrame(() => setTimeout(run, 0));
  setTimeout(run, 100);
}

/** Runs `fn` when the page has loaded and the browser is idle. */
function whenIdle(fn: () => void): void {
  const idle = () =>
    typeof requestIdleCallback === 'function' ? requestIdleCallback(fn, { timeout: 3000 }) : setTimeout(fn, 1000);
  if (document.readyState === 'complete') idle();
  else addEventListener('load', idle, { once: true });
}

export interface HostApiOptions {
  /** Loads the core or the panel chunk (once; a failed load may be tried again). */
  load: LoadChunk;
  /** Settings under those `init` gives: the script tag's `data-*` and `window.ParleySettings`. */
  defaults(): Partial<ParleySettings>;
  /** `shutdown` removed the widget: the entry lets go of this API (window.Parley, the page slot). */
  onShutdown(): void;
}

/** The host API: a function taking the commands of {@link ParleyCommands}; no widget until `init`. */
export function createHostApi({ load, defaults, onShutdown }: HostApiOptions): ParleyApi {
  /** Fetches both chunks ahead of need; a failure is reported when a chunk is needed. */
  const prefetch = () => {
    for (const name of ['core', 'panel'] as const) load(name).catch(() => undefined);
  };

  let widget: Mounted | null = null;
  const pendingHandlers: [keyof HostEvents, (data: never) => void][] = [];
  const beforeMount: unknown[][] = [];
  /** A locale the page asked for (settings or setLocale); otherwise the theme's or the browser's. */
  let pageLocale: string | null = null;

  const drawLauncher = (w: Mounted) =>
    w.launcher?.draw({ ...w.launcherState, theme: w.theme, t: launcherTranslator(w.locale) });

  /** The site's theme under the page's keys, on the host element, the launcher and the UI. */
  const restyle = (w: Mounted) => {
    w.theme = { ...w.siteTheme, ...w.pageTheme };
    w.locale = resolveLocale(pageLocale ?? w.theme.locale ?? navigator.language ?? 'en');
    applyTheme(w.host, w.theme);
    w.runtime?.setLook(w.theme, w.locale);
    drawLauncher(w);
  };

  /** Renders the panel once the view opens it, loading the panel chunk first. */
  const showPanel = (w: Mounted) => {
    if (w.panel !== 'none') return;
    w.panel = 'loading';
    load('panel').then(
      ({ mountPanel }) => {
        if (widget !== w || !w.runtime) return; // shut down meanwhile
        w.panel = mountPanel({
          runtime: w.runtime,
          root: w.root,
          container: w.windows,
          launcher: w.launcher?.button ?? null,
        });
      },
      (err: unknown) => {
        w.panel = 'none';
        console.error('[Parley] the chat panel could not be loaded', err);
      },
    );
  };

  /** Runs `fn` with the core, loading and starting it first if need be; calls keep their order. */
  const withRuntime = (w: Mounted, fn: (runtime: Runtime) => void) => {
    if (w.runtime) return fn(w.runtime);
    if (w.waiting) return void w.waiting.push(fn);
    w.waiting = [fn];
    load('core').then(
      ({ startRuntime }) => {
        if (widget !== w) return; // shut down meanwhile
        const runtime = startRuntime({
          ...w.options,
          theme: w.theme,
          locale: w.locale,
          onLauncher: (state) => {
            w.launcherState = state;
            drawLauncher(w);
            if (state.open) showPanel(w);
          },
        });
        w.runtime = runtime;
        for (const [event, handler] of pendingHandlers.splice(0)) runtime.client.events.on(event, handler as never);
        if (w.identityToken) runtime.client.loginWithIdentity(w.identityToken);
        for (const call of w.waiting!.splice(0)) {
          try {
            call(runtime);
          } catch (err) {
            console.error('[Parley] a queued command failed', err);
          }
        }
      },
      (err: unknown) => {
        w.waiting = null;
        console.error('[Parley] the chat could not be loaded', err);
      },
    );
  };

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
    const container = document.createElement('div');
    container.className = 'parley';
    container.setAttribute('part', 'container');
    const windows = document.createElement('div');
    windows.className = 'windows';
    container.append(windows);
    const launcher = settings.hideLauncher === true ? null : createLauncher();
    if (launcher) {
      container.append(launcher.button);
      launcher.button.addEventListener('click', () => run('toggle'));
      for (const type of ['pointerenter', 'focus', 'touchstart'])
        launcher.button.addEventListener(type, prefetch, { once: true, passive: true });
    }
    root.append(container);

    pageLocale = settings.locale ?? null;
    const away = settings.awayAfterMinutes;
    let tokenStorage = settings.tokenStorage;
    if (tokenStorage !== undefined && !TOKEN_STORAGES.includes(tokenStorage)) {
      warn(`tokenStorage must be one of ${TOKEN_STORAGES.join(', ')}; using local.`);
      tokenStorage = undefined;
    }
    const server = settings.server ?? location.origin;
    const signAction = settings.signAction;
    if (signAction !== undefined && typeof signAction !== 'function') {
      warn('signAction must be a function ({ action, resource }) => Promise<token>; ignored.');
    }
    const siteConfig = fetchSiteConfig(server, settings.site);
    const w: Mounted = {
      host,
      root,
      windows,
      launcher,
      options: {
        server,
        site: settings.site,
        siteConfig,
        ...(tokenStorage ? { tokenStorage } : {}),
        ...(typeof away === 'number' && away >= 0 ? { awayAfterMs: away * 60_000 } : {}),
        ...(typeof signAction === 'function' ? { signAction } : {}),
      },
      identityToken: settings.identityToken,
      pageTheme: settings.theme ? cleanTheme(settings.theme, warn) : {},
      siteTheme: {},
      theme: {},
      locale: 'en',
      launcherState: { unread: 0, mentioned: false, open: false },
      runtime: null,
      waiting: null,
      panel: 'none',
    };
    restyle(w);
    document.body.appendChild(host);
    widget = w;
    void siteConfig.then((config) => {
      if (widget !== w || !config?.theme) return;
      w.siteTheme = cleanTheme(config.theme, warn);
      restyle(w);
    });
    // A visitor who may be signed in gets the core now: their messages, unread count and host
    // events arrive without the panel opening. Anyone else gets it when they sign in or open it.
    // The stored token is looked for after the launcher's first frame: a page's first read of
    // localStorage waits for the browser to open the site's storage (up to 20 ms in Chromium's
    // profile of a load), which would hold back the frame.
    if (settings.identityToken) withRuntime(w, () => undefined);
    else {
      const site = settings.site;
      afterFirstFrame(() => {
        if (widget === w && tokenStore(tokenStorage ?? 'local').get(tokenKey(site)) !== null) {
          withRuntime(w, () => undefined);
        }
      });
    }
    // Fetched ahead while idle, so a click opens the panel at once; not when the visitor asked to save data.
    if (!(navigator as { connection?: { saveData?: boolean } }).connection?.saveData) whenIdle(prefetch);
    for (const call of beforeMount.splice(0)) run(...call);
  };

  const whenMounted = (fn: (w: Mounted) => void) => (args: unknown[], name: string) => {
    if (widget) fn(widget);
    else beforeMount.push([name, ...args]);
  };
  /** A command for the core (and the panel it may open): both chunks are fetched at once. */
  const withCore = (fn: (runtime: Runtime) => void) =>
    whenMounted((w) => {
      prefetch();
      withRuntime(w, fn);
    });
  /** A command that only matters if the core is there or coming (close, logout). */
  const ifCore = (fn: (runtime: Runtime) => void) =>
    whenMounted((w) => {
      if (w.runtime || w.waiting) withRuntime(w, fn);
    });

  const commands: Record<CommandName, (args: unknown[], name: string) => void> = {
    init: ([settings]) => {
      if (typeof settings !== 'object' || settings === null)
        return warn("init expects a settings object: Parley('init', { site: '…' }).");
      mount({ ...defaults(), ...(settings as Partial<ParleySettings>) });
    },
    open: withCore((r) => r.view.open()),
    close: ifCore((r) => r.view.close()),
    toggle: withCore((r) => r.view.toggle()),
    login: (args, name) => {
      const c = args[0] as { username?: unknown; password?: unknown; token?: unknown } | undefined;
      const ok = typeof c?.token === 'string' || (typeof c?.username === 'string' && typeof c.password === 'string');
      if (!ok) return warn("login expects { username, password } or { token }, e.g. Parley('login', { token: '…' }).");
      whenMounted((w) =>
        withRuntime(w, (r) => {
          if (typeof c!.token === 'string') r.client.loginWithIdentity(c!.token);
          else void r.client.login(c!.username as string, c!.password as string);
        }),
      )(args, name);
    },
    logout: ifCore((r) => void r.client.logout()),
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
      withCore(({ client, view }) => {
        const draft = options?.draft as string | undefined;
        const attempt = () =>
          view.openChatWith(username, draft).then((found) => {
            if (!found) warn(`openChat: no user "${username}" to chat with.`);
          });
        // Before sign-in completes the roster is empty: wait for it.
        if (client.me.value) void attempt();
        else {
          const off = client.events.on('ready', () => {
            off();
            void attempt();
          });
          view.open();
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
        const next: Record<string, unknown> = { ...w.pageTheme, ...patch };
        for (const key of cleared) delete next[key];
        w.pageTheme = next as Theme;
        restyle(w);
      })(args, name);
    },
    setLocale: ([value]) => {
      if (typeof value !== 'string') return warn("setLocale expects a locale such as 'en' or 'zh-CN'.");
      pageLocale = value;
      if (widget) restyle(widget);
    },
    on: ([event, handler]) => {
      if (!hostEvents.includes(event as keyof HostEvents) || typeof handler !== 'function') {
        return warn(`on expects one of ${hostEvents.join(', ')} and a function.`);
      }
      if (widget?.runtime) widget.runtime.client.events.on(event as keyof HostEvents, handler as never);
      else pendingHandlers.push([event as keyof HostEvents, handler as (data: never) => void]);
    },
    shutdown: () => {
      if (widget) {
        const w = widget;
        widget = null;
        if (typeof w.panel === 'function') w.panel();
        w.runtime?.stop();
        w.host.remove();
      }
      onShutdown();
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
  return api;
}
