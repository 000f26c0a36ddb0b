/**
 * `import { Parley } from '@parley/widget'`: the script tag's host API (loader.ts) for apps that
 * bundle their code. The same commands, settings and events as `window.Parley`; no script tag.
 *
 * The core and the panel are `import()`s of the package's own modules, so the app's bundler splits
 * them into lazy chunks of the app, versioned and served with it: a page whose CSP allows its own
 * scripts needs nothing more, and the Parley server (the `server` setting) is asked only for the
 * connection and files. Importing the package has no side effect; the widget appears on `init`.
 *
 * One widget per page (page-widget.ts): a second copy of the package, or parley.js already on the
 * page, is found and its API used; this module never sets `window.Parley`. `shutdown` removes the
 * widget and lets go of it, so a later `init` (a remounted component) starts afresh.
 */
import type { ChunkModules, LoadChunk } from './chunk-api.js';
import { createHostApi } from './loader.js';
import { claimPage, pageWidget, releasePage } from './page-widget.js';
import type { ParleyCommand } from './settings.js';

export type { Theme } from './theme.js';
export type { HostEvents, HostMessage } from './core/client.js';
export type { ParleyCommand, ParleyCommands, ParleySettings } from './settings.js';

const chunks: { [K in keyof ChunkModules]: () => Promise<ChunkModules[K]> } = {
  core: () => import('./runtime.js'),
  panel: () => import('./panel.js'),
};
const load: LoadChunk = (name) => chunks[name]();

function ownPage() {
  const api = createHostApi({ load, defaults: () => ({}), onShutdown: () => releasePage(api) });
  claimPage(api);
  return api;
}

/**
 * The host API. Call it once the page has a `document` (in React's `useEffect`, Vue's `onMounted`):
 *
 * ```ts
 * import { Parley } from '@parley/widget';
 * Parley('init', { site: 'shop', server: 'https://chat.example' });
 * Parley('on', 'unread', ({ count }) => setBadge(count));
 * Parley('open');
 * ```
 */
export const Parley = ((...call: unknown[]) => {
  const api = (pageWidget() ?? ownPage()) as (...args: unknown[]) => void;
  api(...call);
}) as ParleyCommand;
