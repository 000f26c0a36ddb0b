import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { expect, test } from './fixtures.js';
import { baseUrl, buddy, messageBodies, sendMessage, signIn } from './widget.js';

/**
 * The npm package as an app gets it: `npm pack` of the widget workspace (its prepack builds
 * dist-npm), the tarball installed offline into a temporary app (e2e/npm-app), its types compiled
 * there with skipLibCheck off, the app bundled with Vite's JS API and served from an origin of its
 * own under a CSP that allows only the app's scripts: the widget's core and panel must come from the
 * app's bundle, never from the Parley server.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const appSource = join(repo, 'e2e', 'npm-app');
let work = '';
let app: { url: string; server: Server } | null = null;

/** The environment without npm's own variables (the test may run under `npm test`). */
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

/** Runs a command; a failure says what it printed. */
function run(file: string, args: string[], cwd: string): void {
  try {
    execFileSync(file, args, { cwd, env, stdio: 'pipe' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`${file} ${args.join(' ')} failed:\n${String(stdout ?? '')}${String(stderr ?? '')}`, {
      cause: err,
    });
  }
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves the built app; scripts only from its own origin, connections only to Parley. */
async function serveApp(dist: string): Promise<{ url: string; server: Server }> {
  const parley = baseUrl();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://app');
    const path = normalize(url.pathname === '/' ? '/index.html' : url.pathname);
    try {
      const body = readFileSync(join(dist, path));
      // `?tag` pages paste parley.js from the Parley server as well.
      const scripts = url.searchParams.has('tag') ? `'self' ${parley}` : `'self'`;
      response.writeHead(200, {
        'content-type': contentTypes[extname(path)] ?? 'application/octet-stream',
        'content-security-policy':
          `default-src 'none'; script-src ${scripts}; connect-src ${parley} ${parley.replace(/^http/, 'ws')}; ` +
          `img-src 'none'; style-src 'none'; base-uri 'none'; form-action 'none'`,
      });
      response.end(body);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the app server has no address');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  work = mkdtempSync(join(tmpdir(), 'parley-npm-'));
  run('npm', ['pack', '--pack-destination', work], join(repo, 'widget'));
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');

  const dir = join(work, 'app');
  cpSync(appSource, dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'npm-app', private: true, type: 'module' }));
  // --offline: the package must install from its tarball alone (it has no dependencies). A second
  // copy under another name stands for a second bundle on the page that carries the package too.
  const packed = join(work, tarball);
  run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', packed, `parley-copy@file:${packed}`],
    dir,
  );
  // The package's types, as a strict app compiles them (tsc from the repo; the app has none).
  run(
    process.execPath,
    [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')],
    dir,
  );

  await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir: join(dir, 'dist') } });
  app = await serveApp(join(dir, 'dist'));
});

test.afterAll(() => {
  app?.server.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const appUrl = (query = '') => `${app!.url}/?server=${encodeURIComponent(baseUrl())}${query}`;

test('an app importing the packed @parley/widget opens the widget and chats', async ({ openPage }) => {
  const nora = await openPage();
  const scripts: string[] = [];
  const errors: string[] = [];
  nora.on('request', (r) => r.resourceType() === 'script' && scripts.push(r.url()));
  nora.on('pageerror', (e) => errors.push(e.message));
  await nora.goto(appUrl());
  await signIn(nora, 'nora');

  const otto = await openPage();
  await otto.goto(appUrl());
  await signIn(otto, 'otto');

  await buddy(nora, 'Otto').click();
  await sendMessage(nora, 'Otto', 'Hello from an app built with npm');
  await buddy(otto, 'Nora').click();
  await expect(messageBodies(otto).filter({ hasText: 'Hello from an app built with npm' })).toBeVisible();
  await sendMessage(otto, 'Nora', 'Hello back');
  await expect(messageBodies(nora).filter({ hasText: 'Hello back' })).toBeVisible();
  await expect(messageBodies(otto).filter({ hasText: 'Hello back' })).toBeVisible();
  // The app's `Parley('on', 'message', …)` got Nora's message on Otto's page.
  expect(await otto.evaluate(() => (window as unknown as { received: string[] }).received)).toContain(
    'Hello from an app built with npm',
  );

  // The core and the panel were the app's own chunks: nothing from the Parley server ran.
  expect(scripts.length).toBeGreaterThan(2);
  expect(scripts.filter((url) => !url.startsWith(app!.url))).toEqual([]);
  // The package sets no global; one widget.
  expect(await nora.evaluate(() => typeof window.Parley)).toBe('undefined');
  await expect(nora.locator('[data-parley]')).toHaveCount(1);

  // shutdown, then init again, as a component that unmounts and mounts does.
  type AppWindow = { app: { Parley: (...args: unknown[]) => void } };
  await nora.evaluate(() => (window as unknown as AppWindow).app.Parley('shutdown'));
  await expect(nora.locator('[data-parley]')).toHaveCount(0);
  await nora.evaluate(
    (server) => (window as unknown as AppWindow).app.Parley('init', { site: 'demo', server }),
    baseUrl(),
  );
  await expect(nora.locator('[data-parley]')).toHaveCount(1);
  await nora.evaluate(() => (window as unknown as AppWindow).app.Parley('open'));
  await expect(nora.getByRole('navigation', { name: 'Buddies' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a second copy of the package drives the same widget', async ({ openPage }) => {
  const page = await openPage();
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(appUrl());
  await expect(page.getByRole('button', { name: /^Open chat/ })).toBeVisible();
  type AppWindow = { app: { SecondCopy: (...args: unknown[]) => void } };
  await page.evaluate((server) => {
    const { SecondCopy } = (window as unknown as AppWindow).app;
    SecondCopy('init', { site: 'demo', server });
    SecondCopy('open');
  }, baseUrl());
  await expect(page.getByRole('dialog', { name: 'Chat' })).toBeVisible();
  await expect(page.locator('[data-parley]')).toHaveCount(1);
  expect(warnings.some((w) => w.includes('init was called twice'))).toBe(true);
  expect(await page.evaluate(() => typeof window.Parley)).toBe('undefined');
});

test('with parley.js on the page too, window.Parley is the package’s and there is one widget', async ({ openPage }) => {
  const page = await openPage();
  const scripts: string[] = [];
  const warnings: string[] = [];
  page.on('request', (r) => r.resourceType() === 'script' && scripts.push(r.url()));
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(appUrl('&tag'));
  await expect.poll(() => page.evaluate(() => typeof window.Parley)).toBe('function');
  expect(scripts).toContain(`${baseUrl()}/parley.js`);
  await expect(page.locator('[data-parley]')).toHaveCount(1);
  // The tag's own init (data-site) is the second one: the app's settings stay.
  expect(warnings.some((w) => w.includes('init was called twice'))).toBe(true);

  // The page's window.Parley drives the package's widget, whose panel is the app's chunk.
  await page.evaluate(() => window.Parley!('open'));
  await expect(page.getByRole('dialog', { name: 'Chat' })).toBeVisible();
  expect(scripts.filter((url) => url.startsWith(`${baseUrl()}/parley/`))).toEqual([]);
  await expect(page.locator('[data-parley]')).toHaveCount(1);
});
