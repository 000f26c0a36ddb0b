import { rmSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
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
import { translator } from '../../widget/src/i18n.js';

/**
 * Right to left. Layla (whose name is written in Arabic) sends Sam messages in Arabic, Hebrew and
 * English. In an English panel each message takes its own direction (`dir="auto"`): Arabic and
 * Hebrew read right to left, English left to right, while the panel stays left to right. In the
 * Arabic locale the panel is mirrored (`dir="rtl"`, `lang="ar"`): the strings are Arabic, the
 * back button and the Send button change sides, own messages sit on the left, and an English
 * message still reads left to right. axe finds no serious or critical issue in either.
 *
 * Last, the stacking level: host overlays at the top of the z-index range, placed before the
 * widget, do not cover the launcher or the panel.
 */
const ARABIC = 'مرحبا يا سام، كيف حالك اليوم؟';
const HEBREW = 'שלום סאם, מה שלומך?';
const ENGLISH = 'See you at 10 at the café.';
const LAYLA = 'ليلى حداد';

let server: ServerProcess;
let dir: string;
let layla: TestClient;

// A server of its own, three browser sessions: slow while other suites share the machine.
test.describe.configure({ timeout: 120_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = tempDir();
  const target = { kind: 'sqlite' as const, url: join(dir, 'parley.db') };
  await migrate(target);
  await withStore(target, async (store) => {
    await seedDemoSite(store);
    for (const [username, displayName] of [
      ['layla', LAYLA],
      ['sam', 'Sam'],
    ]) {
      await store.createUser({
        id: `${username}-id`,
        siteId: 'demo',
        username: username!,
        displayName: displayName!,
        avatarUrl: null,
        passwordHash: await hashPassword(`${username}-pass`),
      });
    }
    await store.setBuddies('layla-id', 'sam-id', 'accepted');
  });
  server = await spawnServer(dir);
  layla = await TestClient.connect(server.url, (await login(server.url, 'layla', 'layla-pass')).token);
  for (const text of [ARABIC, HEBREW, ENGLISH]) await layla.send('sam-id', text);
});

test.afterAll(async () => {
  layla?.close();
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const direction = (el: Locator) => el.evaluate((e) => getComputedStyle(e).direction);
const body = (panel: Locator, text: string) => panel.locator('li.message .body', { hasText: text });

/** The demo page of this spec's server, in `locale` (the page's setting), signed in as Sam. */
async function openAsSam(page: Page, locale: 'en' | 'ar'): Promise<Locator> {
  const t = translator(locale);
  await page.addInitScript((settings) => Object.assign(window, { ParleySettings: settings }), { locale });
  await page.goto(server.url);
  await page.getByRole('button', { name: new RegExp(`^${t('openChat')}`) }).click();
  const panel = page.getByRole('dialog', { name: t('title') });
  await panel.getByLabel(t('username')).fill('sam');
  await panel.getByLabel(t('password')).fill('sam-pass');
  await panel.getByRole('button', { name: t('signIn') }).click();
  await panel
    .getByRole('navigation', { name: t('buddies') })
    .getByRole('button', { name: LAYLA })
    .click();
  await expect(body(panel, ENGLISH)).toBeVisible();
  return panel;
}

async function seriousAxeIssues(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include('[data-parley]').analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

test('an Arabic or Hebrew message reads right to left in an English panel, an English one left to right', async ({
  browser,
}) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  try {
    const panel = await openAsSam(page, 'en');
    expect(await panel.getAttribute('dir')).toBe('ltr');
    expect(await direction(panel)).toBe('ltr');
    expect(await direction(body(panel, ARABIC))).toBe('rtl');
    expect(await direction(body(panel, HEBREW))).toBe('rtl');
    expect(await direction(body(panel, ENGLISH))).toBe('ltr');
    // The name in Arabic too, in the header, while the header's layout stays left to right.
    expect(await direction(panel.locator('.chat-header .name'))).toBe('rtl');
    // Right to left inside its bubble: the Arabic text ends at the bubble's right edge.
    const bubble = (await body(panel, ARABIC).boundingBox())!;
    const text = await body(panel, ARABIC).evaluate((e) => {
      const range = document.createRange();
      range.selectNodeContents(e);
      return range.getBoundingClientRect().toJSON() as DOMRect;
    });
    expect(bubble.x + bubble.width - (text.x + text.width)).toBeLessThan(12);
    // What Sam types takes its own direction as well.
    const composer = panel.getByRole('textbox', { name: `Message to ${LAYLA}` });
    await composer.fill('أراك لاحقًا');
    expect(await composer.evaluate((e) => getComputedStyle(e).unicodeBidi)).toBe('plaintext');
    expect(await seriousAxeIssues(page)).toEqual([]);
  } finally {
    await context.close();
  }
});

test('the Arabic locale mirrors the panel; an English message still reads left to right', async ({
  browser,
}, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const t = translator('ar');
  try {
    const panel = await openAsSam(page, 'ar');
    expect(await panel.getAttribute('dir')).toBe('rtl');
    expect(await panel.getAttribute('lang')).toBe('ar');
    expect(await direction(panel)).toBe('rtl');
    // The strings are Arabic: the panel's name, the composer's label.
    expect(t('title')).toBe('الدردشة');
    const composer = panel.getByRole('textbox', { name: t('messageTo', { name: LAYLA }) });
    await expect(composer).toBeVisible();
    expect(await direction(body(panel, ENGLISH))).toBe('ltr');
    expect(await direction(body(panel, ARABIC))).toBe('rtl');

    // Mirrored: the back button on the right of the header, the Send button left of the composer.
    const back = (await panel.getByRole('button', { name: t('back'), exact: true }).boundingBox())!;
    const name = (await panel.locator('.chat-header .name').boundingBox())!;
    expect(back.x).toBeGreaterThan(name.x);
    await composer.fill('Thanks, أراك لاحقًا');
    const send = (await panel.getByRole('button', { name: t('send'), exact: true }).boundingBox())!;
    const box = (await composer.boundingBox())!;
    expect(send.x + send.width).toBeLessThanOrEqual(box.x);
    await composer.press('Enter');
    // Sam's own message sits on the inline end (the left), Layla's on the start (the right).
    const mine = (await panel.locator('li.message.mine').last().boundingBox())!;
    const theirs = (await panel.locator('li.message.theirs').first().boundingBox())!;
    expect(mine.x).toBeLessThan(theirs.x);
    expect(mine.x + mine.width).toBeLessThan(theirs.x + theirs.width);
    await page.screenshot({ path: testInfo.outputPath('ar-chat.png') });

    // The launcher keeps the host's corner (bottom right): only the panel's inside is mirrored.
    const launcher = (await page
      .getByRole('button', { name: t('closeChat') })
      .last()
      .boundingBox())!;
    expect(launcher.x + launcher.width).toBeGreaterThan(1280 - 40);
    expect(await seriousAxeIssues(page)).toEqual([]);
    // The buddy list, mirrored, with its Arabic tabs.
    await panel.getByRole('button', { name: t('back'), exact: true }).click();
    await expect(panel.getByRole('tab', { name: t('buddies') })).toBeVisible();
    expect(await seriousAxeIssues(page)).toEqual([]);
  } finally {
    await context.close();
  }
});

test('the launcher and the panel stay on top of host overlays at the highest z-index, and work', async ({
  browser,
}) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  try {
    // Two full-screen overlays, before the widget in the DOM (the widget's host element is
    // appended to the end of <body> when it starts): one just below the top, one at the top.
    // At an equal z-index the later element in the DOM is drawn on top, so the widget wins.
    await page.addInitScript(() => {
      document.addEventListener('DOMContentLoaded', () => {
        for (const z of ['2147483646', '2147483647']) {
          const overlay = document.createElement('div');
          overlay.className = 'host-overlay';
          overlay.style.cssText = `position:fixed;inset:0;z-index:${z};background:rgb(0 0 0 / 0.3)`;
          document.body.prepend(overlay);
        }
      });
    });
    const panel = await openAsSam(page, 'en');
    await expect(page.locator('.host-overlay')).toHaveCount(2);
    const zIndex = await page.evaluate(() => {
      const root = document.querySelector('[data-parley]')!.shadowRoot!;
      return getComputedStyle(root.querySelector('.parley')!).zIndex;
    });
    expect(zIndex).toBe('2147483647');
    // Above that, calc() clamps to the top: the image viewer and the call layer (z-index + 1, + 2)
    // stay at the top too, drawn over the panel because they come after it.
    expect(
      await page.evaluate(() => {
        const probe = document.createElement('div');
        probe.style.cssText = 'position:fixed;--z:2147483647;z-index:calc(var(--z) + 2)';
        document.body.append(probe);
        const z = getComputedStyle(probe).zIndex;
        probe.remove();
        return z;
      }),
    ).toBe('2147483647');
    // Real clicks and typing (no force): the overlay would take them if it were on top.
    const composer = panel.getByRole('textbox', { name: `Message to ${LAYLA}` });
    await composer.click();
    await composer.pressSequentially('On top of the page');
    await composer.press('Enter');
    await expect(panel.locator('li.message.mine .body').last()).toHaveText('On top of the page');
    await page.getByRole('button', { name: 'Close chat' }).last().click();
    await expect(panel).toBeHidden();
    await page.getByRole('button', { name: /^Open chat/ }).click();
    await expect(panel).toBeVisible();

    // A host theme may set its own level; the panel follows it (here under the overlays).
    await page.evaluate(() => window.Parley!('setTheme', { zIndex: 10 }));
    const hit = await page.evaluate(() => {
      const box = document.querySelector('[data-parley]')!.shadowRoot!.querySelector('.panel')!.getBoundingClientRect();
      return (document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2) as HTMLElement).className;
    });
    expect(hit).toBe('host-overlay');
  } finally {
    await context.close();
  }
});
