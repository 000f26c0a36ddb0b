import type { ChunkModules, LoadChunk } from '../chunk-api.js';

/**
 * The files of each on-demand chunk, entry first, then the shared chunks it imports; paths relative
 * to parley.js. The build writes them in (vite.config.ts, from the chunks' manifest).
 */
declare const __PARLEY_CHUNKS__: { core: string[]; panel: string[] };

/**
 * Loads the on-demand chunks with `import()` from where parley.js itself came from (`base`, the
 * script's URL), so a page whose CSP lets that origin run scripts lets the chunks run too. Every
 * file of a chunk is asked for at once rather than one import after another. A chunk is loaded
 * once; a failed load is forgotten, so the next call tries again.
 */
export function chunkLoader(base: string): LoadChunk {
  const loading = new Map<keyof ChunkModules, Promise<unknown>>();
  return <K extends keyof ChunkModules>(name: K) => {
    let promise = loading.get(name);
    if (!promise) {
      const files = __PARLEY_CHUNKS__[name];
      promise = Promise.all(files.map((file) => import(/* @vite-ignore */ new URL(file, base).href))).then(
        (modules: unknown[]) => modules[0],
      );
      loading.set(name, promise);
      promise.catch(() => loading.delete(name));
    }
    return promise as Promise<ChunkModules[K]>;
  };
}
