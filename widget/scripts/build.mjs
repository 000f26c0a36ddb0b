// `npm run build`: the on-demand chunks first (their manifest names them), then parley.js, which
// learns those names at build time; see vite.config.ts. `npm run size` follows.
import { build } from 'vite';

const root = new URL('..', import.meta.url).pathname;
for (const mode of ['chunks', 'boot']) {
  await build({ root, mode, logLevel: 'warn', configFile: new URL('../vite.config.ts', import.meta.url).pathname });
}
