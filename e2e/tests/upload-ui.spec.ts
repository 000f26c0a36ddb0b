import type { Page, Request } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { baseUrl, buddy, composer, signIn } from './widget.js';

/**
 * The widget's side of uploads, with the tus endpoint played by a route in the page (so these run
 * without the server's upload route): what the widget sends (metadata, the bearer token), the
 * progress bar, the size check before any byte goes, the server's refusal shown with Retry, and
 * Cancel terminating the upload. files.spec.ts covers the real thing end to end.
 */

interface Tus {
  requests: Request[];
  /**
   * How the next PATCH is answered: stored, the connection dropped once (then stored), refused for
   * good (422 unsupported_file), refused for now (429 rate_limited), or never (held open).
   */
  patch: 'ok' | 'drop-once' | 'unsupported' | 'busy' | 'hold';
}

/** A tus server in the page: creates at POST, answers PATCH as `tus.patch` says, 204 to DELETE. */
async function fakeTus(page: Page): Promise<Tus> {
  const tus: Tus = { requests: [], patch: 'ok' };
  let n = 0;
  await page.route(`${baseUrl()}/api/v1/sites/demo/uploads**`, async (route) => {
    const request = route.request();
    tus.requests.push(request);
    const headers = { 'Tus-Resumable': '1.0.0' };
    if (request.method() === 'POST')
      return route.fulfill({
        status: 201,
        headers: { ...headers, Location: `${baseUrl()}/api/v1/sites/demo/uploads/fake-${++n}` },
      });
    if (request.method() === 'HEAD')
      return route.fulfill({ status: 200, headers: { ...headers, 'Upload-Offset': '0', 'Upload-Length': '1' } });
    if (request.method() === 'DELETE') return route.fulfill({ status: 204, headers });
    const refuse = (status: number, code: string, message: string) =>
      route.fulfill({
        status,
        contentType: 'application/json',
        body: JSON.stringify({ ok: false, error: { code, message } }),
      });
    if (tus.patch === 'hold') return; // never answered
    if (tus.patch === 'drop-once') {
      tus.patch = 'ok';
      return route.abort('connectionreset');
    }
    if (tus.patch === 'unsupported')
      return refuse(422, 'unsupported_file', 'This picture is larger than the pixel limit.');
    if (tus.patch === 'busy') return refuse(429, 'rate_limited', 'Too many uploads at once. Try again in a moment.');
    const size = request.postDataBuffer()?.length ?? 0;
    return route.fulfill({ status: 204, headers: { ...headers, 'Upload-Offset': String(size) } });
  });
  return tus;
}

const metadataOf = (request: Request): Record<string, string> =>
  Object.fromEntries(
    (request.headers()['upload-metadata'] ?? '').split(',').map((pair) => {
      const [key, value = ''] = pair.trim().split(' ');
      return [key!, Buffer.from(value, 'base64').toString('utf8')];
    }),
  );

/** alma's chat with bert (e2e/seed.ts); the fake uploads' messages are refused by the real server, so nothing is stored. */
async function chat(signedIn: (user: string) => Promise<Page>): Promise<{ page: Page; tus: Tus }> {
  const page = await signedIn('alma');
  const tus = await fakeTus(page);
  await buddy(page, 'Bert').click();
  return { page, tus };
}
const patches = (tus: Tus) => tus.requests.filter((r) => r.method() === 'PATCH');

test('a voice message held to talk uploads with voice=1, the measured length and the session token', async ({
  signedIn,
}) => {
  const { page, tus } = await chat(signedIn);
  const mic = page.getByRole('button', { name: /^Record a voice message/ });
  // Hold to talk: press, wait, release (a tap would keep recording until tapped again).
  const box = (await mic.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await expect(page.getByRole('timer')).toBeVisible();
  await page.waitForTimeout(1500);
  await page.mouse.up();
  await expect(page.getByRole('timer')).toHaveCount(0);
  // Uploaded, it becomes a message with a player showing the length the recorder measured.
  const player = page.locator('li.message.mine .audio-player');
  await expect(player).toHaveCount(1);
  const ms = Number(await player.getAttribute('data-duration-ms'));
  expect(ms).toBeGreaterThan(1300);
  expect(ms).toBeLessThan(3000);
  await expect(player.locator('.time')).toHaveText(`0:0${Math.floor(ms / 1000)}`);
  const post = tus.requests.find((r) => r.method() === 'POST')!;
  expect(post.headers()['authorization']).toMatch(/^Bearer .+/);
  const meta = metadataOf(post);
  expect(meta).toMatchObject({ voice: '1', durationMs: String(ms) });
  expect(meta.name).toMatch(/^voice-.*\.webm$/);
  expect(meta.conversation).toMatch(/^direct:[\w-]+$/);
});

test('a file over the size limit never starts; the server’s refusal is shown, with Retry only where it can help', async ({
  signedIn,
}) => {
  const { page, tus } = await chat(signedIn);
  const input = page.locator('input[type=file]');

  await input.setInputFiles({
    name: 'huge.bin',
    mimeType: 'application/octet-stream',
    buffer: Buffer.alloc(11 * 1024 * 1024),
  });
  await expect(page.getByRole('alert')).toHaveText(
    'huge.bin was not sent: the file is larger than 10 MB, the most you can send.',
  );
  expect(tus.requests).toEqual([]);
  await expect(page.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);

  // Refused for good: the server's message, no Retry.
  tus.patch = 'unsupported';
  await input.setInputFiles({ name: 'bomb.png', mimeType: 'image/png', buffer: Buffer.alloc(2048, 7) });
  await expect(page.getByRole('alert')).toHaveText(
    'bomb.png was not sent: This picture is larger than the pixel limit.',
  );
  await expect(page.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();

  // Refused for now: the message and Retry, which sends it.
  tus.patch = 'busy';
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes') });
  await expect(page.getByRole('alert')).toHaveText(
    'notes.txt was not sent: Too many uploads at once. Try again in a moment.',
  );
  tus.patch = 'ok';
  await page.getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.locator('li.message.mine .file-card')).toContainText('notes.txt');
});

test('an upload resumes by itself after the connection drops; Cancel terminates one in progress', async ({
  signedIn,
}) => {
  const { page, tus } = await chat(signedIn);
  const input = page.locator('input[type=file]');
  tus.patch = 'drop-once';
  await input.setInputFiles({ name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.alloc(4096, 65) });
  await expect(page.locator('li.message.mine .file-card')).toContainText('report.txt');
  expect(patches(tus).length).toBe(2);

  tus.patch = 'hold';
  await input.setInputFiles({ name: 'slow.txt', mimeType: 'text/plain', buffer: Buffer.alloc(4096, 66) });
  const bar = page.getByRole('progressbar', { name: 'Uploading slow.txt' });
  await expect(bar).toBeVisible();
  await expect(bar).toHaveAttribute('aria-valuenow', /^\d+$/);
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(bar).toHaveCount(0);
  await expect.poll(() => tus.requests.filter((r) => r.method() === 'DELETE').length).toBe(1);
});

test('files dropped on the conversation (a drop target shows) or pasted into the text box upload', async ({
  signedIn,
}) => {
  const { page } = await chat(signedIn);
  const chatView = page.locator('.chat');
  const drag = (type: string) =>
    chatView.evaluate((el, type) => {
      const data = new DataTransfer();
      data.items.add(new File(['dropped'], 'dropped.txt', { type: 'text/plain' }));
      el.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
    }, type);
  await drag('dragenter');
  await drag('dragover');
  await expect(page.locator('.drop-target')).toHaveText('Drop files here to send them to Bert');
  await drag('drop');
  await expect(page.locator('.drop-target')).toHaveCount(0);
  await expect(page.locator('li.message.mine .file-card')).toContainText('dropped.txt');

  // Pasted into the text box: a picture is attached; text that comes with a picture (office apps
  // copy both) is pasted as text.
  const paste = (withText: boolean) =>
    composer(page, 'Bert').evaluate((box, withText) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array([137, 80, 78, 71])], 'pasted.png', { type: 'image/png' }));
      if (withText) data.setData('text/plain', 'just text');
      box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, withText);
  await paste(true);
  await paste(false);
  await expect(page.locator('li.message.mine .file-image')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Open image pasted.png' })).toBeVisible();
});

test('a blocked microphone is said plainly, and nothing records', async ({ openPage }) => {
  const page = await openPage();
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await page.goto(baseUrl());
  await signIn(page, 'alma');
  await buddy(page, 'Bert').click();
  await page.getByRole('button', { name: /^Record a voice message/ }).click();
  await expect(page.getByRole('alert')).toHaveText(
    'The microphone is blocked. Allow it in your browser to record voice messages.',
  );
  await expect(page.getByRole('timer')).toHaveCount(0);
  await expect(page.getByRole('textbox', { name: 'Message to Bert' })).toBeVisible();
});

test('a file name that looks like HTML shows as its literal text on the card', async ({ signedIn }) => {
  const { page } = await chat(signedIn);
  const name = '<img src=x onerror="window.pwned=1">.txt';
  await page.locator('input[type=file]').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from('x') });
  const card = page.locator('li.message.mine .file-card');
  await expect(card.locator('.file-name')).toHaveText(name);
  await expect(card.getByRole('img')).toHaveCount(0);
  expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
});
