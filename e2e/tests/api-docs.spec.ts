import { expect, test } from '@playwright/test';

/**
 * The server API's reader (docs/api.md#openapi): /api/docs renders the OpenAPI document in real
 * Chromium, under the page's own CSP, with every script and style from the server's origin.
 */
test('/api/docs renders every server API operation, under its CSP, from our own origin', async ({ page }) => {
  const server = process.env.PARLEY_URL!;
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) && errors.push(m.text()));
  page.on('request', (r) => !r.url().startsWith(server) && foreign.push(r.url()));
  await page.goto(`${server}/api/docs`);
  const document = (await (await page.request.get(`${server}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const operations = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
  await expect(page.locator('.opblock')).toHaveCount(operations);
  await expect(page.getByText('Parley server API', { exact: false }).first()).toBeVisible();
  // One operation opens, showing its Idempotency-Key header.
  await page.locator('.opblock-summary', { hasText: '/api/v1/admin/sites/{site}/rooms' }).first().click();
  await expect(page.getByText('Idempotency-Key').first()).toBeVisible();
  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
});
