import { expect, test } from './fixtures.js';
import { openDemo, signIn } from './widget.js';

/** Issue 12, finding 10: where the widget keeps its session token is the host's choice. */
const storedTokens = (page: import('@playwright/test').Page) =>
  page.evaluate(() => ({
    local: Object.keys(localStorage).filter((k) => k.endsWith(':token')),
    session: Object.keys(sessionStorage).filter((k) => k.endsWith(':token')),
  }));

test('tokenStorage: local keeps the token across a reload, memory keeps it from storage altogether', async ({
  openPage,
}) => {
  const local = await openPage();
  await openDemo(local);
  await signIn(local, 'carol');
  expect(await storedTokens(local)).toEqual({ local: ['parley:demo:token'], session: [] });
  await local.reload();
  await local.getByRole('button', { name: /^Open chat/ }).click();
  await expect(local.getByRole('navigation', { name: 'Buddies' })).toBeVisible();

  const memory = await openPage();
  await memory.addInitScript(() => {
    (window as unknown as { ParleySettings: object }).ParleySettings = { tokenStorage: 'memory' };
  });
  await openDemo(memory);
  await signIn(memory, 'carol');
  expect(await storedTokens(memory)).toEqual({ local: [], session: [] });
  await memory.reload();
  await memory.getByRole('button', { name: /^Open chat/ }).click();
  await expect(memory.getByLabel('Username')).toBeVisible(); // signed out by the reload

  const session = await openPage();
  await session.addInitScript(() => {
    (window as unknown as { ParleySettings: object }).ParleySettings = { tokenStorage: 'session' };
  });
  await openDemo(session);
  await signIn(session, 'carol');
  expect(await storedTokens(session)).toEqual({ local: [], session: ['parley:demo:token'] });
});
