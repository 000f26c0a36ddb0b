import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { baseUrl, buddy, fixturesUrl, messageBodies, sendMessage, signIn } from './widget.js';

const launcher = (p: Page) => p.locator('button[part="launcher"]');
/** Computed style of an element inside the widget's shadow root. */
const style = (p: Page, selector: string, property: string) =>
  p.evaluate(
    ([sel, prop]) => {
      const el = document.querySelector('[data-parley]')!.shadowRoot!.querySelector(sel)!;
      return getComputedStyle(el).getPropertyValue(prop);
    },
    [selector, property] as const,
  );

test('theme: the site default and the page overrides show in computed styles; setTheme is live; auto follows the colour scheme', async ({
  openPage,
}) => {
  const p = await openPage({ colorScheme: 'light' });
  await p.goto(`${fixturesUrl()}/themed.html`);
  // The page's primary colour wins over the site's; the site's radius and title apply.
  await expect(launcher(p)).toHaveCSS('background-color', 'rgb(120, 0, 120)');
  await expect(launcher(p)).toContainText('Talk');
  await launcher(p).click();
  const panel = p.getByRole('dialog', { name: 'Site title' });
  await expect(panel).toBeVisible();
  expect(await style(p, '.panel', 'border-top-left-radius')).toBe('4px');
  expect(await style(p, '.panel', 'background-color')).toBe('rgb(255, 255, 255)');

  // Live changes, and clearing a key falls back to the site's value.
  await p.evaluate(() => window.Parley!('setTheme', { primaryColor: 'rgb(0, 0, 200)', position: 'left', radius: 20 }));
  await expect(launcher(p)).toHaveCSS('background-color', 'rgb(0, 0, 200)');
  expect(await style(p, '.panel', 'border-top-left-radius')).toBe('20px');
  const box = await launcher(p).boundingBox();
  expect(box!.x).toBeLessThan(100);
  await p.evaluate(() => window.Parley!('setTheme', { primaryColor: null } as never));
  await expect(launcher(p)).toHaveCSS('background-color', 'rgb(0, 128, 0)');

  // The site's mode is auto: an emulated dark scheme turns the panel dark.
  await p.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => style(p, '.panel', 'background-color')).toBe('rgb(28, 33, 40)');
  await p.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => style(p, '.panel', 'background-color')).toBe('rgb(255, 255, 255)');
});

test('a hostile host page cannot restyle the widget, and the widget does not restyle the page', async ({
  openPage,
}) => {
  const plain = await openPage();
  await plain.goto(`${fixturesUrl()}/plain.html`);
  await expect(launcher(plain)).toBeVisible();
  const reference = {
    background: await style(plain, '.launcher', 'background-color'),
    size: await launcher(plain).boundingBox(),
    font: await style(plain, '.launcher', 'font-size'),
  };

  const hostile = await openPage();
  await hostile.goto(`${fixturesUrl()}/hostile.html`);
  await expect(launcher(hostile)).toBeVisible();
  expect(await style(hostile, '.launcher', 'background-color')).toBe(reference.background);
  expect(await style(hostile, '.launcher', 'font-size')).toBe(reference.font);
  const size = await launcher(hostile).boundingBox();
  expect([size!.width, size!.height]).toEqual([reference.size!.width, reference.size!.height]);

  // Usable above the full-screen overlay: a real click (not a forced one) signs in and chats.
  await signIn(hostile, 'jade');
  await buddy(hostile, 'Kyle').click();
  await sendMessage(hostile, 'Kyle', 'Typed on a hostile page');
  await expect(messageBodies(hostile).last()).toHaveText('Typed on a hostile page');
  expect(await style(hostile, '.message .body', 'font-size')).toBe('14px');

  // The host's own elements keep the host's styles; the widget's button styles did not leak.
  await expect(hostile.locator('#title')).toHaveCSS('color', 'rgb(255, 0, 0)');
  await expect(hostile.locator('#host-button')).toHaveCSS('border-top-color', 'rgb(0, 255, 0)');
  await expect(plain.locator('#host-button')).not.toHaveCSS('background-color', reference.background);
});

test('a page with a strict Content-Security-Policy runs the widget and chats with no violation', async ({
  openPage,
}) => {
  const p = await openPage();
  const violations: string[] = [];
  await p.exposeFunction('reportViolation', (v: string) => violations.push(v));
  await p.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { reportViolation: (v: string) => void }).reportViolation(
        `${e.violatedDirective} ${e.blockedURI}`,
      ),
    );
  });
  // The page's script-src allows only the Parley origin: the chunks parley.js imports come from there.
  const chunks: string[] = [];
  p.on('response', (r) => r.request().resourceType() === 'script' && r.status() === 200 && chunks.push(r.url()));
  const response = await p.goto(`${fixturesUrl()}/csp-strict.html`);
  expect(response!.headers()['content-security-policy']).toContain(`script-src ${baseUrl()};`);
  await signIn(p, 'kyle');
  await buddy(p, 'Jade').click();
  await sendMessage(p, 'Jade', 'Hello from behind a strict CSP');
  await expect(p.locator('li.message.mine').last()).toHaveAttribute('data-state', 'sent');
  await expect(launcher(p)).toHaveCSS('border-top-left-radius', '28px'); // the stylesheet applied
  expect(violations).toEqual([]);
  expect(chunks.filter((url) => /\/parley\/(core|panel)-[\w-]+\.js$/.test(url))).toHaveLength(2);
  expect(chunks.every((url) => url.startsWith(`${baseUrl()}/`))).toBe(true);
});

test('loaded twice (async and defer) it mounts once and adds no global but Parley', async ({ openPage }) => {
  const p = await openPage();
  await p.goto(`${fixturesUrl()}/blank.html`);
  const before = await p.evaluate(() => Object.keys(window));
  await p.goto(`${fixturesUrl()}/twice.html`);
  await expect(launcher(p)).toBeVisible();
  await p.waitForLoadState('load');
  expect(await p.locator('[data-parley]').count()).toBe(1);
  const added = await p.evaluate((known) => Object.keys(window).filter((k) => !known.includes(k)), before);
  expect(added).toEqual(['Parley']);
});

test('a page on an origin the site does not allow cannot connect, and says why in the console', async ({
  openPage,
}) => {
  const p = await openPage();
  const errors: string[] = [];
  p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await p.goto(`${fixturesUrl()}/strict-origin.html`);
  await expect
    .poll(() => errors.join('\n'))
    .toMatch(/\[Parley\] origin_not_allowed: Origin http:\/\/127\.0\.0\.1:\d+ is not allowed/);
  // Signing in is refused too, with the reason shown.
  await p.evaluate(() => window.Parley!('open'));
  await p.getByLabel('Username').fill('alice');
  await p.getByLabel('Password').fill('alice-demo');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await expect(p.getByRole('alert')).toContainText('is not allowed for this site');
});

test('the playground’s snippet, pasted into a blank page, gives the same computed theme', async ({ openPage }) => {
  const playground = await openPage();
  await playground.goto(`${baseUrl()}/playground.html`);
  await expect(launcher(playground)).toBeVisible();
  await playground.getByLabel('Primary colour').fill('#0a7a55');
  await playground.getByLabel('Mode').selectOption('dark');
  await playground.getByLabel('Position').selectOption('left');
  await playground.getByLabel('Language').selectOption('zh-CN');
  await playground.getByLabel('Launcher label').fill('Ask us');
  const snippet = (await playground.locator('#snippet').textContent())!;
  expect(snippet).toContain('data-theme=');

  const read = async (p: Page) => {
    await launcher(p)
      .or(p.getByRole('button', { name: /聊天/ }))
      .first()
      .click();
    // The panel is its own chunk, loaded on the click (or ahead of it): wait for it to render.
    await expect(p.locator('[data-parley] .panel')).toBeVisible();
    return {
      background: await style(p, '.launcher', 'background-color'),
      label: await style(p, '.launcher', 'font-weight'),
      text: await p.evaluate(
        () => document.querySelector('[data-parley]')!.shadowRoot!.querySelector('.launcher')!.textContent,
      ),
      panel: await style(p, '.panel', 'background-color'),
      left:
        (await p.evaluate(
          () =>
            document.querySelector('[data-parley]')!.shadowRoot!.querySelector('.launcher')!.getBoundingClientRect()
              .left,
        )) < 100,
      title: await p.evaluate(
        () => document.querySelector('[data-parley]')!.shadowRoot!.querySelector('.panel-title')!.textContent,
      ),
    };
  };
  const expected = await read(playground);
  expect(expected).toMatchObject({ background: 'rgb(10, 122, 85)', text: 'Ask us', left: true, title: '聊天' });

  const blank = await openPage();
  await blank.goto(`${fixturesUrl()}/blank.html`);
  // Paste: the snippet's attributes on a new script element.
  await blank.evaluate((html) => {
    const parsed = new DOMParser().parseFromString(html, 'text/html').querySelector('script')!;
    const script = document.createElement('script');
    for (const attr of parsed.attributes) script.setAttribute(attr.name, attr.value);
    document.body.appendChild(script);
  }, snippet);
  await expect(blank.locator('[data-parley]')).toHaveCount(1);
  expect(await read(blank)).toEqual(expected);
});

test('the identity-token demo page signs its user in without a Parley password', async ({ openPage }) => {
  const p = await openPage();
  await p.goto(`${baseUrl()}/identity.html`);
  await p.getByRole('button', { name: 'I am Dana' }).click();
  await expect(p.getByRole('button', { name: 'Status and settings' })).toContainText('Dana Scully');
  await expect(p.getByRole('navigation', { name: 'Buddies' })).toBeVisible();
  await expect(p.getByLabel('Password')).toHaveCount(0);
});
