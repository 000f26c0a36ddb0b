import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import {
  hashPassword,
  login,
  migrate,
  seedDemoSite,
  spawnServer,
  tempDir,
  TestClient,
  withStore,
  type ServerProcess,
} from '@parley/backend/testing';
import { signIn } from './widget.js';

/**
 * Widget safety. Mallory, a buddy of Victor's, names herself and sets her status and messages to
 * a corpus of XSS payloads: HTML, SVG, MathML, `javascript:` and `data:` URLs, attribute
 * breakouts, template syntax and Unicode direction overrides. Victor's widget must show them as
 * text: no script runs (a window flag and a dialog listener), no element is injected, no link
 * points at `javascript:` or `data:`, and each payload appears literally. The page's CSP is
 * bypassed here so the widget's own rendering is what is tested; the last test checks that the
 * widget works under the demo page's CSP with no violation at all.
 *
 * The assertions are about what must never happen, so they hold whether or not the widget
 * linkifies http(s) URLs.
 */
const flag = 'window.__xss=1';
const messages = [
  `<script>${flag}</script>`,
  `<img src=x onerror="${flag}">`,
  `<svg onload="${flag}"></svg>`,
  `<svg><script>${flag}</script></svg>`,
  `<iframe src="javascript:parent.__xss=1"></iframe>`,
  `<a href="javascript:${flag}">click me</a>`,
  `javascript:${flag}`,
  `JaVaScRiPt:${flag}`,
  `data:text/html,<script>${flag}</script>`,
  `data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==`,
  `"><img src=x onerror=${flag}>`,
  `'';!--"<XSS>=&{()}`,
  `<math><mtext><table><mglyph><style><img src=x onerror=${flag}>`,
  `<details open ontoggle=${flag}>`,
  `<style>*{display:none!important}</style>`,
  `<base href="javascript:/">`,
  `{{constructor.constructor('${flag}')()}}`,
  `\${${flag}}`,
  `https://example.com/"onmouseover="${flag}`,
  `http://example.com/<script>${flag}</script>`,
  `https://example.com/?q=<img src=x onerror=${flag}>`,
  `&lt;b&gt;entities stay entities&lt;/b&gt; &amp;amp;`,
  `<b>not bold</b>`,
  `\u202Eevil.exe\u202C is a text file, \u2066isolated\u2069 and \u200Fmarked`,
  `line one\nline two <script>${flag}</script>`,
];
const names = [`<img src=x onerror=${flag}>`, `\u202Eyrollam`];
const statuses = [`<script>${flag}</script>`, `<a href=javascript:${flag}>x</a>`];

let server: ServerProcess;
let dir: string;
let mallory: TestClient;
let victorId = '';

test.beforeAll(async () => {
  dir = tempDir();
  const target = { kind: 'sqlite' as const, url: join(dir, 'parley.db') };
  await migrate(target);
  await withStore(target, async (store) => {
    await seedDemoSite(store);
    for (const username of ['mallory', 'victor']) {
      await store.createUser({
        id: `${username}-id`,
        siteId: 'demo',
        username,
        displayName: username,
        avatarUrl: null,
        passwordHash: await hashPassword(`${username}-pass`),
      });
    }
    await store.setBuddies('mallory-id', 'victor-id', 'accepted');
  });
  server = await spawnServer(dir);
  mallory = await TestClient.connect(server.url, (await login(server.url, 'mallory', 'mallory-pass')).token);
  victorId = 'victor-id';
  // Sent before Victor's widget starts: they arrive through history.
  for (const body of messages.slice(0, 12)) await mallory.send(victorId, body);
});

test.afterAll(async () => {
  mallory?.close();
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Records script execution and dialogs, before any page script runs. */
async function watch(page: Page) {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return dialogs;
}

/** Everything the widget's shadow root shows, and anything suspicious in it. */
function inspect(page: Page) {
  return page.evaluate(() => {
    const root = document.querySelector('[data-parley]')?.shadowRoot;
    if (!root) throw new Error('the widget is not mounted');
    // The widget's elements and the host page's body (the page's <head> has its own meta tags).
    const all = [...root.querySelectorAll('*'), ...document.body.querySelectorAll('*')];
    const handlers = all.flatMap((el) =>
      [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName} ${a.name}`),
    );
    const forbidden = all
      .filter((el) => /^(iframe|object|embed|math|details|base|meta|frame|frameset|applet)$/i.test(el.tagName))
      .map((el) => el.tagName);
    const scripts = [...document.scripts].map((s) => s.src || `inline: ${s.textContent?.slice(0, 40)}`);
    const shadowScripts = root.querySelectorAll('script').length;
    const shadowStyles = root.querySelectorAll('style').length;
    const urls = all.flatMap((el) =>
      ['href', 'src', 'xlink:href', 'action', 'formaction', 'srcdoc', 'data']
        .map((name) => el.getAttribute(name))
        .filter((v): v is string => v !== null)
        .map((v) => `${el.tagName} ${v}`),
    );
    const links = [...root.querySelectorAll('a')].map((a) => ({ href: a.href, rel: a.rel }));
    const images = [...root.querySelectorAll('img, image, svg use')].map((el) => el.outerHTML.slice(0, 80));
    return {
      text: root.textContent ?? '',
      handlers,
      forbidden,
      scripts,
      shadowScripts,
      shadowStyles,
      urls,
      links,
      images,
      flag: (window as unknown as { __xss?: unknown }).__xss ?? null,
      parentFlag: (window.parent as unknown as { __xss?: unknown }).__xss ?? null,
    };
  });
}

test('a corpus of XSS payloads in messages, names and status texts renders inert and literal', async ({ browser }) => {
  // Mallory's name and status are set before Victor signs in, so they come with his roster.
  await mallory.ok('profile:update', { displayName: names[0] });
  await mallory.ok('presence:set', { state: 'online', status: statuses[0] });

  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  const dialogs = await watch(page);
  await page.goto(server.url);
  await signIn(page, 'victor', 'victor-pass');
  const buddies = page.getByRole('navigation', { name: 'Buddies' });
  await expect(buddies.getByRole('button', { name: names[0] })).toBeVisible();
  await buddies.getByRole('button', { name: names[0] }).click();

  // The rest arrive live, with the chat open; then a second name and status.
  for (const body of messages.slice(12)) await mallory.send(victorId, body);
  await mallory.ok('presence:set', { state: 'away', status: statuses[1] });
  await expect
    .poll(async () => {
      const { text } = await inspect(page);
      return messages.filter((m) => !text.includes(m));
    })
    .toEqual([]);

  const seen = await inspect(page);
  expect(seen.flag).toBeNull();
  expect(seen.parentFlag).toBeNull();
  expect(dialogs).toEqual([]);
  expect(seen.handlers).toEqual([]);
  expect(seen.forbidden).toEqual([]);
  expect(seen.shadowScripts).toBe(0);
  expect(seen.shadowStyles).toBe(0); // the widget styles itself with a constructed stylesheet
  expect(seen.scripts).toEqual([`${server.url}/parley.js`]);
  // No URL anywhere that runs code; links (if the widget linkifies) are http(s), opened safely.
  for (const url of seen.urls) expect(url).not.toMatch(/\s(javascript|data|vbscript):/i);
  for (const link of seen.links) {
    expect(link.href).toMatch(/^https?:\/\//);
    expect(link.rel).toMatch(/noopener/);
    expect(link.rel).toMatch(/noreferrer/);
  }
  // The payloads' fake images never became elements (a real avatar would be an https image).
  for (const image of seen.images) expect(image).not.toMatch(/src="?x"?[\s>]/);
  // Shown literally: the name as typed.
  expect(seen.text).toContain(names[0]);

  // A direction override in a name stays inside the name.
  await mallory.ok('profile:update', { displayName: names[1] });
  await page.reload();
  const launcher = page.getByRole('button', { name: /^Open chat/ });
  await expect(launcher.or(buddies).first()).toBeVisible();
  if (!(await buddies.isVisible())) await launcher.click();
  await expect(buddies.getByRole('button', { name: names[1] })).toBeVisible();
  const isolation = await page.evaluate((name) => {
    const root = document.querySelector('[data-parley]')!.shadowRoot!;
    const holders = [...root.querySelectorAll('*')].filter((el) => el.textContent === name);
    return holders.map((el) => {
      let node: Element | null = el;
      while (node) {
        const bidi = getComputedStyle(node).unicodeBidi;
        if (node.tagName === 'BDI' || bidi === 'isolate' || bidi === 'plaintext' || bidi === 'isolate-override') {
          return true;
        }
        node = node.parentElement;
      }
      return false;
    });
  }, names[1]);
  expect(isolation.length).toBeGreaterThan(0);
  expect(isolation.every(Boolean)).toBe(true);
  const after = await inspect(page);
  expect(after.flag).toBeNull();
  expect(after.handlers).toEqual([]);
  expect(dialogs).toEqual([]);
  await context.close();
});

test('the widget works under the demo page’s CSP without a single violation', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await watch(page);
  const response = await page.goto(server.url);
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  await signIn(page, 'alice');
  const buddies = page.getByRole('navigation', { name: 'Buddies' });
  await buddies.getByRole('button', { name: 'Bob Marley' }).click();
  const composer = page.getByRole('textbox', { name: 'Message to Bob Marley' });
  await composer.fill('sent under a strict CSP');
  await composer.press('Enter');
  await expect(page.locator('li.message.mine[data-state="sent"]')).toHaveCount(1);
  const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  expect(violations).toEqual([]);
  await context.close();
});
