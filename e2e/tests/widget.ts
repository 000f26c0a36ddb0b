import { expect, type Page } from '@playwright/test';

/** Where global-setup started the server. */
export const baseUrl = () => {
  const url = process.env.PARLEY_URL;
  if (!url) throw new Error('PARLEY_URL is not set: run through the e2e config (global-setup.ts)');
  return url;
};

/** Where the host pages of e2e/fixtures are served, on an origin of their own. */
export const fixturesUrl = () => {
  const url = process.env.FIXTURES_URL;
  if (!url) throw new Error('FIXTURES_URL is not set: run through the e2e config (global-setup.ts)');
  return url;
};

/** The demo page with the widget loaded; the launcher is the widget's first visible part. */
export async function openDemo(page: Page): Promise<void> {
  await page.goto(baseUrl());
  await expect(page.getByRole('button', { name: /^Open chat/ })).toBeVisible();
}

const demoUsers = ['alice', 'bob', 'carol'];

export async function signIn(
  page: Page,
  username: string,
  password = demoUsers.includes(username) ? `${username}-demo` : `${username}-pass`,
): Promise<void> {
  const panel = page.getByRole('dialog', { name: 'Chat' });
  if (!(await panel.isVisible())) await page.getByRole('button', { name: /^Open chat/ }).click();
  await panel.getByLabel('Username').fill(username);
  await panel.getByLabel('Password').fill(password);
  await panel.getByRole('button', { name: 'Sign in' }).click();
  await expect(panel.getByRole('navigation', { name: 'Buddies' })).toBeVisible();
}

export const buddy = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Buddies' }).getByRole('button', { name: new RegExp(`^${name}`) });

export const messageBodies = (page: Page) => page.locator('li.message .body');

/** The composer of the chat with `name` (display name). */
export const composer = (page: Page, name: string) => page.getByRole('textbox', { name: `Message to ${name}` });

export async function sendMessage(page: Page, name: string, text: string): Promise<void> {
  const box = composer(page, name);
  await box.fill(text);
  await box.press('Enter');
}
