// Scenario 7: the widget in Debian's Chromium (Playwright, the e2e tests' flags from e2e/chromium.ts), on
// the demo page the Parley server itself serves. An init script notes, on the page's own clock,
// when the widget script starts running (its first read of window.Parley, the first thing the
// loader does), when the launcher ("Open chat…", inside the widget's open shadow root) is first
// visible on a frame, when the WebSocket opens and when session:ready arrives, and from a click on
// the launcher to the panel being interactive (rendered and focused, on a frame): cold, clicked as
// soon as the launcher shows (the chunks load on the click), and prefetched (a returning visitor
// whose browser fetched the chunks while idle). Every script the page loads (parley.js and each
// chunk) is gzip-compressed (level 9) and listed. Extra fresh loads time the launcher alone, each
// followed by the floor: the same page and browser with parley.js answered by a script that does
// nothing but read window.Parley and append a button in a shadow root (FLOOR_SCRIPT). Its time is
// what any script-made button costs there (the page's first frames in this headless browser);
// Parley's figure above it is the loader's own share.
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium, expect, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../../e2e/chromium.ts';
import { aptInstall, firstLine } from '../lib/apt.ts';
import { median } from '../lib/util.ts';

export interface WidgetVisit {
  /** ms from navigation start (the page's time origin). */
  scriptStart: number;
  launcherVisible: number;
  wsOpen: number | null;
  ready: number | null;
}

export interface WidgetResult {
  chromium: string;
  /** Every script loaded by a first visit that opens the panel: parley.js, then the chunks. */
  scripts: { url: string; bytes: number; gzip: number }[];
  gzipTotal: number;
  rawTotal: number;
  /** parley.js alone (the boot script), gzip. */
  bootGzip: number;
  /** Medians over every fresh load (the runs and the extra loads), ms. */
  launcherAfterScriptStart: number;
  launcherAfterScriptStartMax: number;
  launcherLoads: number;
  /** The same page with parley.js replaced by FLOOR_SCRIPT: script start to its button visible, median. */
  floorAfterScriptStart: number;
  floorLoads: number;
  /**
   * Script start to the page's next animation frame, median over every fresh load (Parley's and
   * the floor's): the soonest anything a script adds can be on screen in this browser here.
   */
  frameAfterScriptStart: number;
  /** Click on the launcher to the panel interactive: at once on a first visit / chunks prefetched. */
  clickToPanelCold: number;
  clickToPanelWarm: number;
  /** Returning visitor (signed in, token stored): script start to WebSocket open / session:ready. */
  socketOpenAfterScriptStart: number;
  readyAfterScriptStart: number;
  /** First visit: click on "Sign in" to session:ready (argon2 check, session, socket). */
  signInToReady: number;
  runs: { fresh: WidgetVisit; signInToReady: number; returning: WidgetVisit; clickCold: number; clickWarm: number }[];
  error?: string;
}

const INIT = `(() => {
  const b = (window.__bench = { scriptStart: null, firstFrame: null, launcherVisible: null, wsOpen: null, ready: null, click: null, panelReady: null });
  let stored;
  Object.defineProperty(window, 'Parley', {
    configurable: true,
    get() { if (b.scriptStart === null) b.scriptStart = performance.now(); return stored; },
    set(v) { stored = v; },
  });
  const W = window.WebSocket;
  window.WebSocket = class extends W {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('open', () => { if (b.wsOpen === null) b.wsOpen = performance.now(); });
      this.addEventListener('message', (e) => {
        if (b.ready === null && typeof e.data === 'string' && e.data.startsWith('42["session:ready"')) b.ready = performance.now();
      });
    }
  };
  // A click on the launcher: watch each frame for the panel, rendered and focused (it focuses itself).
  const panelReady = () => {
    const root = document.querySelector('[data-parley]')?.shadowRoot;
    const dialog = root && root.querySelector('[role="dialog"]');
    return !!dialog && root.activeElement === dialog;
  };
  document.addEventListener('click', (e) => {
    b.click = performance.now();
    const onLauncher = e.composedPath().some((n) => n instanceof Element && n.getAttribute('part') === 'launcher');
    if (!onLauncher || panelReady()) return;
    b.panelReady = null;
    const watch = () => {
      if (panelReady()) b.panelReady = performance.now();
      else requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
  }, true);
  const visible = () => {
    const host = document.querySelector('[data-parley]');
    const button = host && host.shadowRoot && host.shadowRoot.querySelector('button[aria-label^="Open chat"]');
    if (!button) return false;
    const r = button.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && button.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  };
  const frame = () => {
    if (b.firstFrame === null && b.scriptStart !== null) b.firstFrame = performance.now();
    if (b.launcherVisible === null && visible()) b.launcherVisible = performance.now();
    if (b.launcherVisible === null) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();`;

interface Marks {
  scriptStart: number | null;
  /** The first animation frame after the script started: nothing it draws can be seen sooner. */
  firstFrame: number | null;
  launcherVisible: number | null;
  wsOpen: number | null;
  ready: number | null;
  click: number | null;
  panelReady: number | null;
}

/**
 * The floor's parley.js: the least a script can do to show a launcher. It reads window.Parley (the
 * init script's mark of the script starting) and appends a button named like the launcher, sized
 * and placed like it, in an open shadow root on the same kind of host element.
 */
const FLOOR_SCRIPT = `(() => {
  void window.Parley;
  const host = document.createElement('div');
  host.setAttribute('data-parley', '');
  const root = host.attachShadow({ mode: 'open' });
  const button = document.createElement('button');
  button.setAttribute('aria-label', 'Open chat');
  button.textContent = 'Chat';
  button.style.cssText = 'position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%';
  root.append(button);
  document.body.append(host);
})();`;

const marks = (page: Page) => page.evaluate(() => (window as unknown as { __bench: Marks }).__bench);

async function waitMarks(page: Page, want: (m: Marks) => boolean, timeoutMs = 15_000): Promise<Marks> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await marks(page);
    if (want(m)) return m;
    if (Date.now() > deadline) throw new Error(`widget marks incomplete: ${JSON.stringify(m)}`);
    await page.waitForTimeout(20);
  }
}

const launcher = (page: Page) => page.locator('[data-parley]').getByRole('button', { name: /^Open chat/ });

function visit(m: Marks): WidgetVisit {
  return { scriptStart: m.scriptStart!, launcherVisible: m.launcherVisible!, wsOpen: m.wsOpen, ready: m.ready };
}

export function ensureChromium(path: string, log: (m: string) => void): string | null {
  if (existsSync(path)) return null;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) return `Chromium is not at ${path} and cannot be installed from here`;
  log('installing Chromium with apt-get (once per machine)…');
  try {
    aptInstall('chromium', 600_000);
  } catch (err) {
    return `installing Chromium failed: ${firstLine(err)}`;
  }
  return existsSync(path) ? null : `apt-get ran but ${path} is missing`;
}

/** The panel chunk is in the page (fetched by the idle prefetch, or already used). */
const panelFetched = (page: Page) =>
  page.evaluate(() => performance.getEntriesByType('resource').some((e) => /\/parley\/panel-[\w-]+\.js$/.test(e.name)));

export async function runWidget(options: { url: string; runs: number; chromiumPath: string }): Promise<WidgetResult> {
  let browser: Browser | undefined;
  const runs: WidgetResult['runs'] = [];
  const launcherTimes: number[] = [];
  const floorTimes: number[] = [];
  const frameTimes: number[] = [];
  let scripts: WidgetResult['scripts'] = [];
  try {
    browser = await chromium.launch({ executablePath: options.chromiumPath, args: CHROMIUM_ARGS });
    for (let i = 0; i < options.runs; i++) {
      const context = await browser.newContext({ locale: 'en-US' });
      await context.addInitScript(INIT);
      const page = await context.newPage();
      const loaded: Promise<WidgetResult['scripts'][number]>[] = [];
      page.on('response', (response) => {
        if (response.request().resourceType() !== 'script' || response.status() >= 300) return;
        loaded.push(
          response
            .body()
            .then((body) => ({ url: response.url(), bytes: body.length, gzip: gzipSync(body, { level: 9 }).length })),
        );
      });
      // First visit: nobody signed in. The launcher is clicked as soon as it shows.
      await page.goto(options.url + '/');
      const fresh = await waitMarks(page, (m) => m.launcherVisible !== null && m.scriptStart !== null);
      launcherTimes.push(fresh.launcherVisible! - fresh.scriptStart!);
      frameTimes.push(fresh.firstFrame! - fresh.scriptStart!);
      await launcher(page).click();
      const opened = await waitMarks(page, (m) => m.panelReady !== null && m.click !== null);
      const panel = page.getByRole('dialog', { name: 'Chat' });
      await expect(panel).toBeVisible();
      scripts = await Promise.all(loaded);
      // Sign in through the widget's form.
      await panel.getByLabel('Username').fill('alice');
      await panel.getByLabel('Password').fill('alice-demo');
      await panel.getByRole('button', { name: 'Sign in' }).click();
      const signedIn = await waitMarks(page, (m) => m.ready !== null && m.click !== null);
      await expect(panel.getByRole('navigation', { name: 'Buddies' })).toBeVisible();
      // Returning visitor: the stored session connects as soon as the script runs; the chunks
      // come from the HTTP cache, fetched while the browser is idle; then the launcher is clicked.
      await page.reload();
      const returning = await waitMarks(page, (m) => m.launcherVisible !== null && m.ready !== null);
      for (let wait = 0; !(await panelFetched(page)) && wait < 100; wait++) await page.waitForTimeout(20);
      await launcher(page).click();
      const warm = await waitMarks(page, (m) => m.panelReady !== null && m.click !== null);
      await expect(panel.getByRole('navigation', { name: 'Buddies' })).toBeVisible();
      runs.push({
        fresh: visit(fresh),
        signInToReady: signedIn.ready! - signedIn.click!,
        returning: visit(returning),
        clickCold: opened.panelReady! - opened.click!,
        clickWarm: warm.panelReady! - warm.click!,
      });
      await context.close();
    }
    // More first visits, for the launcher's time alone, each followed by one of the floor.
    const loads = Math.max(10, options.runs * 2);
    for (let i = 0; i < 2 * loads; i++) {
      const floor = i % 2 === 1;
      const context = await browser.newContext({ locale: 'en-US' });
      await context.addInitScript(INIT);
      if (floor) {
        await context.route(/\/parley\.js$/, (route) =>
          route.fulfill({ contentType: 'text/javascript', body: FLOOR_SCRIPT }),
        );
      }
      const page = await context.newPage();
      await page.goto(options.url + '/');
      const m = await waitMarks(page, (m) => m.launcherVisible !== null && m.scriptStart !== null);
      (floor ? floorTimes : launcherTimes).push(m.launcherVisible! - m.scriptStart!);
      frameTimes.push(m.firstFrame! - m.scriptStart!);
      await context.close();
    }
  } catch (err) {
    return {
      ...emptyWidget(options.chromiumPath),
      scripts,
      error: err instanceof Error ? err.message.split('\n')[0] : String(err),
    };
  } finally {
    await browser?.close();
  }
  const version = browser?.version() ?? '';
  return {
    chromium: version,
    scripts,
    gzipTotal: scripts.reduce((a, s) => a + s.gzip, 0),
    rawTotal: scripts.reduce((a, s) => a + s.bytes, 0),
    bootGzip: scripts.find((s) => new URL(s.url).pathname === '/parley.js')?.gzip ?? NaN,
    launcherAfterScriptStart: median(launcherTimes),
    launcherAfterScriptStartMax: Math.max(...launcherTimes),
    launcherLoads: launcherTimes.length,
    floorAfterScriptStart: median(floorTimes),
    floorLoads: floorTimes.length,
    frameAfterScriptStart: median(frameTimes),
    clickToPanelCold: median(runs.map((r) => r.clickCold)),
    clickToPanelWarm: median(runs.map((r) => r.clickWarm)),
    socketOpenAfterScriptStart: median(runs.map((r) => (r.returning.wsOpen ?? NaN) - r.returning.scriptStart)),
    readyAfterScriptStart: median(runs.map((r) => (r.returning.ready ?? NaN) - r.returning.scriptStart)),
    signInToReady: median(runs.map((r) => r.signInToReady)),
    runs,
  };
}

function emptyWidget(chromiumPath: string): WidgetResult {
  return {
    chromium: chromiumPath,
    scripts: [],
    gzipTotal: NaN,
    rawTotal: NaN,
    bootGzip: NaN,
    launcherAfterScriptStart: NaN,
    launcherAfterScriptStartMax: NaN,
    launcherLoads: 0,
    floorAfterScriptStart: NaN,
    floorLoads: 0,
    frameAfterScriptStart: NaN,
    clickToPanelCold: NaN,
    clickToPanelWarm: NaN,
    socketOpenAfterScriptStart: NaN,
    readyAfterScriptStart: NaN,
    signInToReady: NaN,
    runs: [],
  };
}
