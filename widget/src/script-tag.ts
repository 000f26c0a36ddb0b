/**
 * parley.js, the script a site pastes: `<script src="https://chat.example/parley.js" data-site="shop" async>`.
 * It owns one global, `window.Parley`, the host API (loader.ts). Calls made before this script ran
 * were queued on a stub and are replayed here, in order. The chunks load from beside this script.
 */
import { chunkLoader } from './boot/chunks.js';
import { createHostApi } from './loader.js';
import { claimPage, pageWidget, releasePage } from './page-widget.js';
import { fromScriptTag, type ParleySettings } from './settings.js';

export type { Theme } from './theme.js';
export type { HostEvents } from './core/client.js';
export type { ParleyApi, ParleyCommands, ParleySettings } from './settings.js';

function boot(): void {
  const existing = window.Parley;
  if (existing?.loaded) return; // the script was included twice: one widget is enough
  // The stub pushes `arguments` objects; take them as plain arrays.
  const queued = Array.isArray(existing?.q) ? existing.q.map((call) => Array.from(call)) : [];
  const script = document.currentScript as HTMLScriptElement | null;
  const tag = fromScriptTag(script);
  const settings = () => ({ ...tag, ...window.ParleySettings });

  // The app's npm package (@parley/widget) got here first: window.Parley becomes its API, so the
  // page's calls reach the one widget; this script mounts none of its own.
  let api = pageWidget();
  if (!api) {
    // The chunks sit beside parley.js, wherever it came from.
    const load = chunkLoader(script?.src || `${tag.server ?? location.origin}/parley.js`);
    const own = createHostApi({
      load,
      defaults: settings,
      onShutdown: () => {
        if (window.Parley === own) delete window.Parley;
        releasePage(own);
      },
    });
    claimPage(own);
    api = own;
  }
  window.Parley = api;
  const run = api as (...call: unknown[]) => void;

  // An explicit init (queued or later) wins; otherwise the tag or window.ParleySettings start it.
  const hasInit = queued.some((call) => call[0] === 'init');
  if (!hasInit && settings().site) run('init', settings() satisfies Partial<ParleySettings>);
  for (const call of queued) run(...call);
}

boot();
