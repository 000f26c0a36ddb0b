import type { Page, Response } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { holdUploads, serveSeededFiles } from './media.js';
import { baseUrl, buddy, composer, fixturesUrl, openDemo, sendMessage, signIn } from './widget.js';

/** parley.js is the boot script; the rest loads on demand from /parley/<name>-<hash>.js beside it. */
const chunks = () => `${baseUrl()}/parley/**`;
const launcher = (p: Page) => p.locator('button[part="launcher"]');

test('parley.js alone shows the launcher in the page’s theme, with every chunk blocked; a later click loads them', async ({
  openPage,
}) => {
  const p = await openPage();
  const errors: string[] = [];
  const pageErrors: string[] = [];
  p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  p.on('pageerror', (e) => pageErrors.push(e.message));
  const blocked: string[] = [];
  await p.route(chunks(), (route) => {
    blocked.push(route.request().url());
    return route.abort();
  });
  await p.goto(`${fixturesUrl()}/themed.html`);
  await expect(launcher(p)).toBeVisible();
  await expect(launcher(p)).toHaveCSS('background-color', 'rgb(120, 0, 120)');
  await expect(launcher(p)).toContainText('Talk');
  await expect(launcher(p)).toHaveAttribute('aria-label', 'Open chat');
  // The theme stays live without any chunk.
  await p.evaluate(() => window.Parley!('setTheme', { primaryColor: 'rgb(0, 0, 200)' }));
  await expect(launcher(p)).toHaveCSS('background-color', 'rgb(0, 0, 200)');

  // A click needs the chunks: it says why it cannot open, and throws nothing into the page.
  await launcher(p).click();
  await expect.poll(() => errors.join('\n')).toContain('[Parley] the chat could not be loaded');
  expect(blocked.some((url) => /\/parley\/core-[\w-]+\.js$/.test(url))).toBe(true);
  await expect(p.getByRole('dialog')).toHaveCount(0);

  // Once they can load, the next click opens the panel.
  await p.unroute(chunks());
  await launcher(p).click();
  await expect(p.getByRole('dialog', { name: 'Site title' })).toBeVisible();
  expect(pageErrors).toEqual([]);
});

test('the chunks come from parley.js’s own origin, with hashed names, immutable caching and CORS', async ({
  openPage,
}) => {
  const p = await openPage();
  const responses: Response[] = [];
  p.on(
    'response',
    (r) => r.url().startsWith(baseUrl()) && r.request().resourceType() === 'script' && responses.push(r),
  );
  await p.goto(`${fixturesUrl()}/plain.html`); // another origin than the Parley server's
  await launcher(p).click();
  await expect(p.getByRole('dialog', { name: 'Chat' })).toBeVisible();

  const boot = responses.find((r) => new URL(r.url()).pathname === '/parley.js');
  expect(boot?.headers()['cache-control']).toBe('public, max-age=300');
  const loaded = responses.filter((r) => new URL(r.url()).pathname.startsWith('/parley/'));
  const names = loaded.map((r) => new URL(r.url()).pathname.slice('/parley/'.length));
  expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/^core-/), expect.stringMatching(/^panel-/)]));
  for (const r of loaded) {
    expect(new URL(r.url()).origin).toBe(baseUrl());
    // Names in lower case, words joined by hyphens ("rolldown-runtime", "upload-tus"), then the hash.
    expect(r.url()).toMatch(/\/parley\/[a-z]+(?:-[a-z]+)*-[\w-]{8}\.js$/);
    expect(r.status()).toBe(200);
    const headers = r.headers();
    expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(headers['access-control-allow-origin']).toBe('*');
    expect(headers['content-type']).toMatch(/javascript/);
    // Module scripts are fetched in CORS mode, from the host page's origin.
    expect(r.request().headers()['origin']).toBe(fixturesUrl());
  }
});

test('commands made before the chunks arrive are all honoured, in order', async ({ openPage }) => {
  const first = await openPage();
  await openDemo(first);
  await signIn(first, 'yara'); // the session is stored: the next page loads the core at once
  const p = await first.context().newPage();
  await first.close();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held: string[] = [];
  await p.route(chunks(), async (route) => {
    held.push(route.request().url());
    await released;
    await route.continue();
  });
  await p.goto(baseUrl());
  await expect(launcher(p)).toBeVisible();
  await expect.poll(() => held.length).toBeGreaterThan(0);
  await p.evaluate(() => {
    const events: string[] = [];
    Object.assign(window, { events });
    window.Parley!('on', 'open', () => events.push('open'));
    window.Parley!('on', 'close', () => events.push('close'));
    window.Parley!('open');
    window.Parley!('close');
    window.Parley!('openChat', 'zeke', { draft: 'Queued before the chunks' });
  });
  await p.waitForTimeout(300);
  await expect(p.getByRole('dialog')).toHaveCount(0); // nothing could run yet
  release();
  await expect(composer(p, 'Zeke')).toHaveValue('Queued before the chunks');
  expect(await p.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual(['open', 'close', 'open']);
});

test('a signed-in visitor gets the unread badge, the title count and host events without the panel ever loading', async ({
  openPage,
  signedIn,
}) => {
  const first = await openPage();
  await openDemo(first);
  await signIn(first, 'zeke');
  const p = await first.context().newPage();
  await first.close();
  const panelRequests: string[] = [];
  await p.route(`${baseUrl()}/parley/panel-*.js`, (route) => {
    panelRequests.push(route.request().url());
    return route.abort(); // the panel cannot load at all
  });
  // The handlers go in before parley.js runs, through the queue a page's stub keeps (the core
  // starts at once for a stored session: registered after load, `ready` could come first).
  await p.addInitScript(() => {
    const events: unknown[] = [];
    const queued: unknown[][] = [];
    const stub = (...args: unknown[]) => void queued.push(args);
    Object.assign(window, { events, Parley: Object.assign(stub, { q: queued }) });
    const on = (event: string, record: (data: never) => unknown) =>
      stub('on', event, (data: never) => events.push(record(data)));
    on('ready', (d: { user: { username: string } }) => ['ready', d.user.username]);
    on('unread', (d: { count: number }) => ['unread', d.count]);
    on('message', (d: { message: { body: string } }) => ['message', d.message.body]);
  });
  await p.goto(baseUrl());
  const events = () => p.evaluate(() => (window as unknown as { events: unknown[] }).events);
  await expect.poll(events).toContainEqual(['ready', 'zeke']);

  const yara = await signedIn('yara');
  await buddy(yara, 'Zeke').click();
  await sendMessage(yara, 'Zeke', 'Hello, panel or not');

  await expect(launcher(p)).toHaveAttribute('aria-label', 'Open chat, 1 unread');
  await expect(launcher(p).locator('.badge')).toHaveText('1');
  await expect(p).toHaveTitle(/^\(1\) /);
  await expect.poll(events).toEqual(
    expect.arrayContaining([
      ['message', 'Hello, panel or not'],
      ['unread', 1],
    ]),
  );
  await expect(p.getByRole('dialog')).toHaveCount(0);
  expect(await p.locator('[data-parley]').evaluate((host) => host.shadowRoot!.querySelector('.panel'))).toBeNull();
});

test('the upload code, the image viewer and the voice recorder load only when first used', async ({ openPage }) => {
  const p = await openPage();
  const loaded: string[] = [];
  p.on('request', (r) => r.url().startsWith(`${baseUrl()}/parley/`) && loaded.push(new URL(r.url()).pathname));
  const chunk = (name: string) => loaded.filter((path) => path.startsWith(`/parley/${name}-`));
  // e2e/seed.ts: Zeke sent Yara a picture (its record only: the bytes come from this route).
  await serveSeededFiles(p, { width: 320, height: 240 });
  await holdUploads(p);
  await openDemo(p);
  await signIn(p, 'yara');
  await buddy(p, 'Zeke').click();
  const thumbnail = p.getByRole('button', { name: 'Open image zeke-photo.png' });
  await expect(thumbnail.getByRole('img', { name: 'zeke-photo.png' })).toHaveJSProperty('complete', true);
  await expect(p.getByRole('button', { name: 'Attach a file' })).toBeVisible();
  // A chat with a picture, a paperclip and a microphone on screen: none of the three loaded yet.
  expect([...chunk('upload-tus'), ...chunk('imageviewer'), ...chunk('voicerecorder')]).toEqual([]);

  await thumbnail.click();
  await expect(p.getByRole('dialog', { name: 'Image zeke-photo.png' })).toBeVisible();
  expect(chunk('imageviewer')).toHaveLength(1);
  expect([...chunk('upload-tus'), ...chunk('voicerecorder')]).toEqual([]);
  await p.keyboard.press('Escape');
  await expect(thumbnail).toBeFocused();

  await p.getByRole('button', { name: /^Record a voice message/ }).click();
  await expect(p.getByRole('timer')).toBeVisible();
  expect(chunk('voicerecorder')).toHaveLength(1);
  expect(chunk('upload-tus')).toEqual([]);
  await p.getByRole('button', { name: 'Discard the recording' }).click();
  await expect(p.getByRole('timer')).toHaveCount(0);

  await p
    .locator('input[type=file]')
    .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hi') });
  await expect(p.getByRole('progressbar', { name: 'Uploading notes.txt' })).toBeVisible();
  expect(chunk('upload-tus')).toHaveLength(1);
  await p.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(p.getByRole('progressbar', { name: 'Uploading notes.txt' })).toHaveCount(0);
  // Each was fetched once.
  expect([chunk('imageviewer').length, chunk('voicerecorder').length, chunk('upload-tus').length]).toEqual([1, 1, 1]);
});
