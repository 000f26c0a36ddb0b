// `npm run build:npm` (and `npm pack`, through `prepack`): the npm package @parley/widget in dist-npm/.
// 1. The code: vite.npm.config.ts, an ES module library whose core and panel stay import()s.
// 2. The types: tsc emits declarations for the entry and what it reaches (the backend's protocol
//    types included), and API Extractor rolls what the entry exports into one dist-npm/index.d.ts, so
//    the package's types import nothing (Preact, signals and the backend stay out of them).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist-npm');
const types = join(out, '.types');

await build({ root, logLevel: 'warn', configFile: join(root, 'vite.npm.config.ts') });

const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.npm.json')], { stdio: 'inherit' });

// The widget's declarations name the protocol by its workspace package, which the app will not
// have: point them at the protocol's emitted declarations instead, for the rollup to follow.
// (`@parley/backend/protocol` and its subpath `/constants`, as backend/package.json exports them).
const protocol = join(types, 'backend', 'src', 'protocol');
for (const entry of readdirSync(join(types, 'widget'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(/(['"])@parley\/backend\/protocol(?:\/(constants))?\1/g, (_, quote, sub) => {
    const path = relative(dirname(file), join(protocol, `${sub ?? 'index'}.js`)).replaceAll('\\', '/');
    return `${quote}${path.startsWith('.') ? path : `./${path}`}${quote}`;
  });
  if (rewritten !== text) writeFileSync(file, rewritten);
}

const dts = join(out, 'index.d.ts');
const config = ExtractorConfig.prepare({
  configObjectFullPath: undefined,
  packageJsonFullPath: join(root, 'package.json'),
  configObject: {
    projectFolder: root,
    mainEntryPointFilePath: join(types, 'widget', 'src', 'npm-package.d.ts'),
    compiler: {
      overrideTsconfig: {
        compilerOptions: { lib: ['ES2023', 'DOM', 'DOM.Iterable'], types: [], skipLibCheck: true, strict: true },
        files: [join(types, 'widget', 'src', 'npm-package.d.ts')],
      },
    },
    apiReport: { enabled: false },
    docModel: { enabled: false },
    tsdocMetadata: { enabled: false },
    dtsRollup: { enabled: true, untrimmedFilePath: dts },
    messages: {
      extractorMessageReporting: {
        default: { logLevel: process.env.VERBOSE ? 'warning' : 'none' },
        // A source file instead of a declaration: some import was not pointed at the emitted ones.
        'ae-wrong-input-file-type': { logLevel: 'error' },
        'ae-missing-release-tag': { logLevel: 'none' },
        'ae-forgotten-export': { logLevel: 'none' },
      },
      tsdocMessageReporting: { default: { logLevel: 'none' } },
    },
  },
});
// Every message is kept, reported or not, to be printed if the rolled-up types turn out wrong.
const messages = [];
const result = Extractor.invoke(config, {
  localBuild: true,
  showVerboseMessages: !!process.env.VERBOSE,
  messageCallback: (message) => messages.push(`${message.logLevel} ${message.messageId}: ${message.text}`),
});
if (!result.succeeded) {
  console.error(`API Extractor failed: ${result.errorCount} error(s), ${result.warningCount} warning(s)`);
  process.exit(1);
}

// The rolled-up types must stand alone: an import here would need a package the app does not have.
const rolled = readFileSync(dts, 'utf8');
const imports = rolled.match(/^\s*(import|export)\b[^;]*\bfrom\s+['"][^'"]+['"]/gm) ?? [];
if (imports.length) {
  console.error(`dist-npm/index.d.ts imports other modules:\n${imports.join('\n')}`);
  // What API Extractor saw (a declaration it could not find shows here), and what tsc wrote.
  console.error(`API Extractor said:\n${messages.join('\n') || '(nothing)'}`);
  console.error(`declarations of the protocol left in ${protocol}: ${readdirSync(protocol).join(' ')}`);
  process.exit(1);
}
if (!process.env.VERBOSE) rmSync(types, { recursive: true, force: true });
console.log(`dist-npm: the package's code and its types (${(rolled.length / 1024).toFixed(1)} KB of declarations)`);
