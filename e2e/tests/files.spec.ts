import { fileURLToPath } from 'node:url';
import { login, TestClient } from '@parley/backend/testing';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { pngBytes } from './media.js';
import { baseUrl, buddy, composer } from './widget.js';

/**
 * Pictures, files and voice messages end to end (issue 16), against the real server: its tus
 * upload endpoint, `file:urls` and the signed download route. The users are e2e/seed.ts's alma
 * and bert (the alice and bob), cara (carol: a buddy of both, not in their conversation),
 * and dora and emil, kept apart from the demo users whose message counts other specs check.
 */

const PDF = fileURLToPath(new URL('../fixtures/files/quarterly-report.pdf', import.meta.url));

/** Pastes `file` into the composer as a browser does: a paste event whose DataTransfer holds it. */
async function pasteFile(page: Page, peer: string, bytes: Buffer, name: string, type: string): Promise<void> {
  await composer(page, peer).evaluate(
    (box, { base64, name, type }) => {
      const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([raw], name, { type }));
      box.focus();
      box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    },
    { base64: bytes.toString('base64'), name, type },
  );
}

/** The file id in a signed download URL: /api/v1/sites/<site>/files/<id>/<variant>?c=…&e=…&s=… */
const fileIdOf = (url: string) => new URL(url).pathname.split('/').at(-2)!;

test('alice pastes a picture: bob sees it live and in the viewer; carol gets no URL; unsigned, tampered or re-dated URLs are refused', async ({
  signedIn,
}) => {
  const alice = await signedIn('alma');
  const bob = await signedIn('bert');
  await buddy(alice, 'Bert').click();
  await buddy(bob, 'Alma').click();

  await pasteFile(alice, 'Bert', pngBytes(800, 600), 'whiteboard.png', 'image/png');
  // Alice: the upload bubble, then her message, acknowledged by the server.
  const sent = alice.locator('li.message.mine[data-state="sent"]');
  await expect(sent.getByRole('img', { name: 'whiteboard.png' })).toBeVisible({ timeout: 20_000 });
  await expect(alice.getByRole('progressbar', { name: 'Uploading whiteboard.png' })).toHaveCount(0);

  // Bob: the thumbnail arrives live (his chat is open), in the box the stored size reserves.
  const thumbnail = bob.getByRole('button', { name: 'Open image whiteboard.png' });
  const thumbImg = thumbnail.getByRole('img', { name: 'whiteboard.png' });
  await expect(thumbImg).toHaveJSProperty('complete', true);
  expect(await thumbImg.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  const thumbUrl = (await thumbImg.getAttribute('src'))!;
  expect(thumbUrl).toMatch(/\/files\/[^/]+\/thumb\?/);

  // The viewer: the full picture, named, closed with Escape, focus back on the thumbnail.
  await thumbnail.click();
  const viewer = bob.getByRole('dialog', { name: 'Image whiteboard.png' });
  const full = viewer.getByRole('img', { name: 'whiteboard.png' });
  await expect(full).toHaveJSProperty('complete', true);
  expect(await full.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(800);
  // Nothing of the widget covers it: near its right edge (where the panel is) the picture is on top.
  const onTop = await full.evaluate((img: HTMLImageElement) => {
    const box = img.getBoundingClientRect();
    return (img.getRootNode() as ShadowRoot).elementFromPoint(box.right - 8, box.top + box.height / 2) === img;
  });
  expect(onTop).toBe(true);
  const originalUrl = (await full.getAttribute('src'))!;
  expect(originalUrl).toMatch(/\/files\/[^/]+\/original\?/);
  await expect(viewer.getByRole('button', { name: 'Close' })).toBeFocused();
  await bob.keyboard.press('Escape');
  await expect(viewer).toHaveCount(0);
  await expect(thumbnail).toBeFocused();

  // Carol, a buddy of both but not in their conversation, asks for the file's URLs over her own
  // socket: whichever conversation she names, the answer is not_found (nothing says it exists).
  const fileId = fileIdOf(originalUrl);
  expect(fileIdOf(thumbUrl)).toBe(fileId);
  const [aliceLogin, bobLogin, carolLogin] = await Promise.all(
    ['alma', 'bert', 'cara'].map((name) => login(baseUrl(), name, `${name}-pass`)),
  );
  const carol = await TestClient.connect(baseUrl(), carolLogin!.token);
  try {
    for (const peer of [aliceLogin!.user.id, bobLogin!.user.id]) {
      const refused = await carol.request('file:urls', { in: { kind: 'direct', id: peer }, fileId });
      expect(refused).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }
  } finally {
    carol.close();
  }

  // The URLs bob's page was given work without headers (as in an <img>)…
  for (const url of [thumbUrl, originalUrl]) {
    const response = await fetch(url);
    expect(response.status, url).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\//);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  }
  // …and nothing else does: no signature, a changed signature, a changed expiry (signed URLs are
  // made on the server; a correctly signed URL whose expiry has passed cannot be made here, so
  // the expiry check is shown by moving `e`, which the signature covers), another conversation.
  const variants = (signed: string) => {
    const url = new URL(signed);
    const q = url.searchParams;
    const withParams = (change: (p: URLSearchParams) => void) => {
      const copy = new URL(url);
      change(copy.searchParams);
      return copy.href;
    };
    const s = q.get('s')!;
    return {
      unsigned: `${url.origin}${url.pathname}`,
      'without s': withParams((p) => p.delete('s')),
      'tampered s': withParams((p) => p.set('s', `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`)),
      'e in the past': withParams((p) => p.set('e', String(Math.floor(Date.now() / 1000) - 60))),
      'e later': withParams((p) => p.set('e', String(Number(q.get('e')) + 3600))),
      'another conversation': withParams((p) => p.set('c', `${q.get('c')}x`)),
    };
  };
  for (const signed of [thumbUrl, originalUrl]) {
    for (const [how, url] of Object.entries(variants(signed))) {
      const response = await fetch(url);
      expect(response.status, `${how}: ${url}`).toBe(403);
    }
  }
});

test('bob away: alice sends a PDF and a voice message; bob signs in, gets both in order once, and plays the voice message with its recorded length', async ({
  signedIn,
}) => {
  const alice = await signedIn('dora');
  await buddy(alice, 'Emil').click();
  const sent = alice.locator('li.message.mine[data-state="sent"]');

  // The PDF through the paperclip's file input.
  await alice.locator('input[type=file]').setInputFiles(PDF);
  await expect(sent.getByRole('link', { name: 'Download quarterly-report.pdf' })).toBeVisible({ timeout: 20_000 });

  // About two seconds of the fake microphone: tap to start, tap to stop and send.
  await alice.getByRole('button', { name: /^Record a voice message/ }).click();
  await expect(alice.getByRole('timer')).toBeVisible();
  await alice.waitForTimeout(2000);
  await alice.getByRole('button', { name: 'Stop and send the voice message' }).click();
  const alicePlayer = sent.locator('.audio-player');
  await expect(alicePlayer).toHaveCount(1, { timeout: 20_000 });
  // The length the recorder measured (performance.now from start to stop), as the message carries it.
  const recordedMs = Number(await alicePlayer.getAttribute('data-duration-ms'));
  expect(recordedMs).toBeGreaterThan(1500);
  expect(recordedMs).toBeLessThan(4000);
  await expect(sent).toHaveCount(2);

  // Bob signs in afterwards: both, in the order sent, once.
  const bob = await signedIn('emil');
  await buddy(bob, 'Dora').click();
  const messages = bob.locator('li.message');
  await expect(messages).toHaveCount(2);
  await expect(messages.nth(0).getByRole('link', { name: 'Download quarterly-report.pdf' })).toBeVisible();
  await expect(messages.nth(0)).toContainText('quarterly-report.pdf');
  const player = messages.nth(1).locator('.audio-player');
  await expect(player).toBeVisible();

  // The signed link of the card downloads the PDF (as an attachment, never shown inline).
  const href = (await messages
    .nth(0)
    .getByRole('link', { name: 'Download quarterly-report.pdf' })
    .getAttribute('href'))!;
  const pdf = await fetch(href);
  expect(pdf.status).toBe(200);
  expect(pdf.headers.get('content-disposition')).toMatch(/^attachment/);

  // The length shown is the recorder's, finite, within 0.5 s of what alice's recorder measured
  // (Chromium reports MediaRecorder's WebM as lasting Infinity, so the page never shows that).
  const shownMs = Number(await player.getAttribute('data-duration-ms'));
  expect(Number.isFinite(shownMs)).toBe(true);
  expect(Math.abs(shownMs - recordedMs)).toBeLessThanOrEqual(500);
  const time = player.locator('.time');
  await expect(time).toHaveText(/^\d+:\d{2}$/);
  const [m, s] = (await time.textContent())!.split(':').map(Number);
  expect(Math.abs((m! * 60 + s!) * 1000 - shownMs)).toBeLessThan(1000); // shown rounded down to the second

  // Playing it: the button turns to Pause, the position moves, and the total stays the finite one.
  await player.getByRole('button', { name: 'Play voice message' }).click();
  await expect(player.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect.poll(() => player.getByRole('progressbar').getAttribute('aria-valuenow')).not.toBe('0');
  await expect(time).toContainText(` / ${Math.floor(shownMs / 60_000)}:`);
  await expect(time).not.toContainText(/Infinity|NaN/);
  await expect(player.getByRole('button', { name: 'Play voice message' })).toBeVisible({ timeout: 10_000 });

  // And the length is the recording's own: the stored bytes, decoded in bob's page, last as long as
  // the message says, within 0.5 s.
  const decodedMs = await player.locator('audio').evaluate(async (audio: HTMLAudioElement) => {
    const bytes = await (await fetch(audio.currentSrc || audio.src)).arrayBuffer();
    const decoded = await new OfflineAudioContext(1, 1, 48_000).decodeAudioData(bytes);
    return decoded.duration * 1000;
  });
  expect(Math.abs(decodedMs - shownMs), `decoded ${decodedMs} ms, shown ${shownMs} ms`).toBeLessThanOrEqual(500);
});
