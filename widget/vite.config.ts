import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';

/**
 * The widget is two builds, run in this order by scripts/build.mjs (`npm run build`):
 *
 * - mode `chunks`: what loads on demand, as ES modules in dist/parley/ with content hashes in their
 *   names and the shared code in chunks of its own: the core (src/runtime.ts: the client and
 *   socket.io-client) and the panel (src/panel.tsx: the Preact UI). The manifest
 *   (dist/.vite/manifest.json) lists each entry's file and the shared chunks it imports.
 *   Chunks that these load themselves with `import()` the first time they are needed (the upload
 *   code with tus-js-client, the image viewer, the voice recorder) are entries of their own in the
 *   manifest (`isDynamicEntry`); they are fetched relative to the chunk that imports them.
 * - mode `boot`: dist/parley.js, the script tag's one classic script (IIFE): loader, host API and
 *   launcher. It learns the chunks' names from the manifest (`__PARLEY_CHUNKS__`) and loads them with
 *   `import()` relative to its own URL.
 *
 * The backend serves parley.js at /parley.js (short cache) and the chunks at /parley/<file>
 * (immutable, CORS); see backend/src/http/widget-files.ts.
 */
const jsx = { jsx: { runtime: 'automatic', importSource: 'preact' } } as const;
const target = 'es2020';

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
}

/** Each entry's files, entry first, then every chunk it imports (transitively), from the manifest. */
function chunkFiles(): { core: string[]; panel: string[] } {
  const path = new URL('dist/.vite/manifest.json', import.meta.url);
  let manifest: Record<string, ManifestChunk>;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, ManifestChunk>;
  } catch {
    throw new Error('widget/dist/.vite/manifest.json is missing: build the chunks first (npm run build).');
  }
  const filesOf = (key: string): string[] => {
    const seen = new Set<string>();
    const visit = (k: string) => {
      if (seen.has(k)) return;
      seen.add(k);
      for (const dep of manifest[k]?.imports ?? []) visit(dep);
    };
    visit(key);
    return [...seen].map((k) => manifest[k]!.file);
  };
  return { core: filesOf('src/runtime.ts'), panel: filesOf('src/panel.tsx') };
}

/**
 * parley.js stays free of what the chunks bring (Preact, socket.io-client): one stray value import
 * of the client or a component from the loader would pull them in, and this stops the build.
 */
const bootStaysSmall: Plugin = {
  name: 'parley-boot-stays-small',
  load(id) {
    if (/node_modules[\\/](preact|@preact|socket\.io-client|engine\.io-client)[\\/]/.test(id)) {
      throw new Error(
        `parley.js must not include ${id}: import it from a chunk (runtime.ts, panel.tsx), or import types only.`,
      );
    }
    return null;
  },
};

export default defineConfig(({ mode }) =>
  mode === 'boot'
    ? {
        define: { __PARLEY_CHUNKS__: JSON.stringify(chunkFiles()) },
        plugins: [bootStaysSmall],
        build: {
          target,
          outDir: 'dist',
          emptyOutDir: false,
          sourcemap: false,
          lib: {
            entry: 'src/script-tag.ts',
            name: 'ParleyWidget',
            formats: ['iife'],
            fileName: () => 'parley.js',
          },
        },
      }
    : {
        oxc: jsx,
        build: {
          target,
          outDir: 'dist',
          emptyOutDir: true,
          sourcemap: false,
          manifest: true,
          modulePreload: false,
          rolldownOptions: {
            input: { core: 'src/runtime.ts', panel: 'src/panel.tsx' },
            preserveEntrySignatures: 'exports-only',
            output: {
              format: 'es',
              entryFileNames: 'parley/[name]-[hash].js',
              // Lower case: the chunks loaded on demand from inside the others (the upload code,
              // the image viewer, the voice recorder) are named after their modules.
              chunkFileNames: (chunk) => `parley/${chunk.name.toLowerCase()}-[hash].js`,
              // Libraries in chunks of their own: their names (hashes) stay the same across Parley
              // releases that do not update them, so browsers keep them cached.
              codeSplitting: {
                groups: [
                  {
                    name: 'socket',
                    test: /node_modules[\\/](socket\.io-client|socket\.io-parser|engine\.io-client|engine\.io-parser|@socket\.io)[\\/]/,
                    priority: 2,
                  },
                  { name: 'preact', test: /node_modules[\\/]preact[\\/]/, priority: 2 },
                  // What both entries use (the client facade, signals, strings) once, for both.
                  { name: 'shared', minShareCount: 2, priority: 1 },
                ],
              },
            },
          },
        },
      },
);
