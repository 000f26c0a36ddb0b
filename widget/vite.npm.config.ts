import { defineConfig } from 'vite';

/**
 * The npm package, `@parley/widget` (`npm run build:npm`, and `npm pack` through `prepack`): the same
 * sources as parley.js and its chunks, as an ES module library in dist-npm/. The entry
 * (src/npm-package.ts) holds the host API and the launcher; the core and the panel (and what they
 * load when first needed) stay `import()`s of chunks in dist-npm/chunks/, which the app's bundler
 * turns into lazy chunks of the app. Preact, socket.io-client and tus-js-client are bundled in and
 * not exposed: the package has no dependencies. Not minified: the app's bundler does that. The
 * types (dist-npm/index.d.ts) come from scripts/build-npm.mjs.
 */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2020',
    outDir: 'dist-npm',
    emptyOutDir: true,
    sourcemap: false,
    minify: false,
    lib: { entry: 'src/npm-package.ts', formats: ['es'], fileName: () => 'index.js' },
    rolldownOptions: {
      output: { chunkFileNames: (chunk) => `chunks/${chunk.name.toLowerCase()}-[hash].js` },
    },
  },
});
