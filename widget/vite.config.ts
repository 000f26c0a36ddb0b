import { defineConfig } from 'vite';

/** One self-contained script, dist/parley.js, that the backend serves at /parley.js. */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2020',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    lib: {
      entry: 'src/loader.ts',
      name: 'ParleyWidget',
      formats: ['iife'],
      fileName: () => 'parley.js',
    },
  },
});
