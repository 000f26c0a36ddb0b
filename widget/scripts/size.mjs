// `npm run size`: prints the widget bundle's raw, gzip and brotli sizes and fails above the budget.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const BUDGET_GZIP = 45 * 1024;
const file = new URL('../dist/parley.js', import.meta.url);
let bytes;
try {
  bytes = readFileSync(file);
} catch {
  console.error('widget/dist/parley.js is missing: run `npm run build` first.');
  process.exit(1);
}
const gzip = gzipSync(bytes, { level: 9 }).length;
const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `parley.js  raw ${kb(bytes.length)}  gzip ${kb(gzip)}  brotli ${kb(brotli)}  (budget ${kb(BUDGET_GZIP)} gzip)`,
);
if (gzip > BUDGET_GZIP) {
  console.error(`over budget by ${kb(gzip - BUDGET_GZIP)}`);
  process.exit(1);
}
