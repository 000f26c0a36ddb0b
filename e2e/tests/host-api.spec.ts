import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { SignJWT } from 'jose';
import { siteSecret as secretOf } from '@parley/backend/testing';
import { buddy, fixturesUrl, composer, openDemo, sendMessage, signIn } from './widget.js';

const siteSecret = () => secretOf({ kind: 'sqlite', url: join(process.env.PARLEY_E2E_DIR!, 'parley.db') }, 'demo');

test('every host API call works, including calls queued before the script loaded', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  // e2e/fixtures/host-shop.html queues calls on the stub before parley.js (async) has loaded.
  await page.goto(`${fixturesUrl()}/host-shop.html`);
  const events = () => page.evaluate(() => (window as unknown as { events: unknown[][] }).events);

  // Queued: init, login, openChat with a draft.
  await expect(composer(page, 'Bob Marley')).toHaveValue('Drafted by the host');
  expect(await events()).toEqual(expect.arrayContaining([['ready', 'alice'], ['open']]));
  expect(warnings.some((w) => w.includes('unknown command "no-such-command"'))).toBe(true);
  expect(warnings.some((w) => w.includes('the theme must be an object'))).toBe(true);

  // setTheme, live.
  const launcher = page.getByRole('button', { name: /chat/i }).last();
  await page.evaluate(() => window.Parley!('setTheme', { primaryColor: 'rgb(200, 30, 30)', launcherLabel: 'Help' }));
  await expect(launcher).toHaveCSS('background-color', 'rgb(200, 30, 30)');
  await expect(launcher).toContainText('Help');

  // setLocale, live.
  await page.evaluate(() => window.Parley!('setLocale', 'zh-CN'));
  await expect(page.getByRole('dialog', { name: '聊天' })).toBeVisible();
  await page.evaluate(() => window.Parley!('setLocale', 'en'));
  await expect(page.getByRole('dialog', { name: 'Chat' })).toBeVisible();

  // close, open, toggle, and their events.
  await page.evaluate(() => window.Parley!('close'));
  await expect(page.getByRole('dialog', { name: 'Chat' })).toHaveCount(0);
  await page.evaluate(() => window.Parley!('open'));
  await expect(page.getByRole('dialog', { name: 'Chat' })).toBeVisible();
  await page.evaluate(() => window.Parley!('toggle'));
  await expect(page.getByRole('dialog', { name: 'Chat' })).toHaveCount(0);
  expect((await events()).filter((e) => e[0] === 'open' || e[0] === 'close')).toEqual([
    ['open'],
    ['close'],
    ['open'],
    ['close'],
  ]);

  // message, unread and presence events, from Bob's side.
  const bob = await (await browser.newContext()).newPage();
  await openDemo(bob);
  await signIn(bob, 'bob');
  await buddy(bob, 'Alice Liddell').click();
  await sendMessage(bob, 'Alice Liddell', 'Hello from Bob');
  const setStatus = async (state: string) => {
    await bob.getByRole('button', { name: 'Status and settings' }).click();
    await bob.getByRole('radio', { name: state }).check();
    await bob.getByRole('button', { name: 'Save' }).click();
  };
  await setStatus('Away');
  await expect.poll(events).toEqual(
    expect.arrayContaining([
      ['message', 'Hello from Bob'],
      ['unread', 1],
      ['presence', 'away'],
    ]),
  );
  // Leave Bob as the other tests expect him (the chosen state is saved), and gone.
  await setStatus('Online');
  await expect.poll(async () => (await events()).at(-1)).toEqual(['presence', 'online']);
  await bob.context().close();

  // Bad arguments warn and never throw into the host page.
  await page.evaluate(() => {
    window.Parley!('openChat', 42 as unknown as string);
    window.Parley!('login', { nope: true } as never);
    window.Parley!('on', 'nonsense' as never, (() => {}) as never);
  });
  expect(warnings.filter((w) => w.includes('openChat expects')).length).toBe(1);
  expect(warnings.filter((w) => w.includes('login expects')).length).toBe(1);

  // logout, then login with a host identity token.
  await page.evaluate(() => window.Parley!('logout'));
  await page.evaluate(() => window.Parley!('open'));
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ name: 'Hosted Henry' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('shop-customer-7')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(new TextEncoder().encode(await siteSecret()));
  await page.evaluate((t) => window.Parley!('login', { token: t }), token);
  await expect(page.getByRole('button', { name: 'Status and settings' })).toContainText('Hosted Henry');

  // shutdown: the widget and the global are gone.
  await page.evaluate(() => window.Parley!('shutdown'));
  await expect(page.locator('[data-parley]')).toHaveCount(0);
  expect(await page.evaluate(() => typeof window.Parley)).toBe('undefined');
  expect(errors).toEqual([]);
  await context.close();
});
