// `npm run size`: prints every file of the widget (parley.js and each on-demand chunk, including those
// that other chunks load when first needed) with its raw,
// gzip and brotli size and its budget, then what each kind of visit downloads; fails above any budget.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const KB = 1024;
/** gzip budgets: the boot script, the panel's entry chunk, and every other chunk. */
const BUDGET = { boot: 15 * KB, panel: 45 * KB, other: 30 * KB };
const dist = new URL('../dist/', import.meta.url);

let manifest;
try {
  manifest = JSON.parse(readFileSync(new URL('.vite/manifest.json', dist), 'utf8'));
  readFileSync(new URL('parley.js', dist));
} catch {
  console.error('widget/dist is missing or incomplete: run `npm run build` first.');
  process.exit(1);
}

const measure = (file, role, budget) => {
  const bytes = readFileSync(new URL(file, dist));
  return {
    file,
    role,
    budget,
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};
const filesOf = (key, seen = new Set()) => {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) filesOf(dep, seen);
  return seen;
};
const entries = Object.fromEntries(
  Object.entries({ core: 'src/runtime.ts', panel: 'src/panel.tsx' }).map(([name, src]) => [
    name,
    Object.keys(manifest).find((k) => manifest[k].src === src),
  ]),
);
if (!entries.core || !entries.panel) {
  console.error('the manifest lacks the core or panel entry: run `npm run build`.');
  process.exit(1);
}
const loadedWith = (key) =>
  Object.keys(entries)
    .filter((name) => filesOf(entries[name]).has(key))
    .join(' and ');

const rows = [measure('parley.js', 'the boot script: loader, host API, launcher', BUDGET.boot)];
for (const [key, chunk] of Object.entries(manifest)) {
  const panel = key === entries.panel;
  // Chunks that other chunks import() when first needed (the upload code, the image viewer, the
  // voice recorder) are loaded with neither entry: they say which chunk loads them.
  const by = Object.keys(manifest).filter((k) => manifest[k].dynamicImports?.includes(key));
  const role = chunk.isDynamicEntry
    ? `chunk "${chunk.name}", loaded on demand by ${by.map((k) => `"${manifest[k].name}"`).join(' and ')}`
    : `${chunk.isEntry ? 'entry' : 'chunk'} "${chunk.name}", loaded with the ${loadedWith(key)}`;
  rows.push(measure(chunk.file, role, panel ? BUDGET.panel : BUDGET.other));
}

const kb = (n) => `${(n / KB).toFixed(1)} KB`;
const width = Math.max(...rows.map((r) => r.file.length));
console.log(
  `${'file'.padEnd(width)}  ${'raw'.padStart(8)}  ${'gzip'.padStart(8)}  ${'brotli'.padStart(8)}  budget (gzip)`,
);
let over = 0;
for (const r of rows) {
  const bad = r.gzip > r.budget;
  if (bad) over++;
  console.log(
    `${r.file.padEnd(width)}  ${kb(r.raw).padStart(8)}  ${kb(r.gzip).padStart(8)}  ${kb(r.brotli).padStart(8)}  ${kb(r.budget)}${bad ? `  OVER by ${kb(r.gzip - r.budget)}` : ''}  ${r.role}`,
  );
}
// What a visit downloads (gzip): files of a chunk are shared, so each is counted once.
const gzipOf = (files) => rows.filter((r) => files.has(r.file)).reduce((sum, r) => sum + r.gzip, 0);
const filesFor = (...names) =>
  new Set(['parley.js', ...names.flatMap((name) => [...filesOf(entries[name])].map((k) => manifest[k].file))]);
console.log(
  `a visit downloads ${kb(gzipOf(filesFor()))} before sign-in, ${kb(gzipOf(filesFor('core')))} signed in, ` +
    `${kb(gzipOf(filesFor('core', 'panel')))} with the panel open (gzip)`,
);
if (over) {
  console.error(`${over} file(s) over budget`);
  process.exit(1);
}
