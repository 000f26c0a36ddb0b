import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnServer, startCoturn, tempDir, turnCredential } from '@parley/backend/testing';
import type { Locator, Page } from '@playwright/test';
import { seed } from '../seed.js';
import { expect, test } from './fixtures.js';
import { buddy, openDemo, signIn } from './widget.js';

/**
 * Voice and video calls and direct file transfers (issue 17), in Chromium with fake camera and
 * microphone, against the real server. Users from e2e/seed.ts: axel calls boris (the alice
 * and bob); dina is axel's buddy who is offline when he calls; cole (carol) is blocked by boris.
 */

const banner = (page: Page) => page.getByRole('alertdialog', { name: /is calling you/ });
const inCall = (page: Page) => page.locator('section.in-call');

/** The chat with `name` open in the panel (signed-in page). */
async function openChat(page: Page, name: string): Promise<void> {
  await buddy(page, name).click();
  await expect(page.getByRole('textbox', { name: `Message to ${name}` })).toBeVisible();
}

/** Video frames keep arriving in `video`: a size, and the decoded frame count going up. */
async function expectFramesFlowing(video: Locator): Promise<void> {
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 15_000 })
    .toBeGreaterThan(0);
  const frames = () => video.evaluate((v: HTMLVideoElement) => v.getVideoPlaybackQuality().totalVideoFrames);
  const first = await frames();
  await expect.poll(frames, { timeout: 10_000 }).toBeGreaterThan(first + 5);
}

test('axel calls boris by video: both of boris’s tabs ring, one answers, the other stops; video both ways; hang-up logs the duration in both chats', async ({
  signedIn,
}) => {
  // Two users, three pages, a WebRTC call with frames checked both ways: over a minute on a loaded
  // two-core machine (measured 1.2 min while other work ran), so more than the default 60 s.
  test.setTimeout(120_000);
  const alice = await signedIn('axel');
  const bob = await signedIn('boris');
  // Boris's other tab: same browser profile (his stored session), panel closed: the core alone rings.
  const bobOther = await bob.context().newPage();
  // Its session:ready, through the host API queued before parley.js loads (the loader drains the
  // stub's queue): the call must not ring before this tab is connected. (A fixed 1.5 s wait here
  // was not always enough on a loaded machine.)
  await bobOther.addInitScript(() => {
    const w = window as unknown as {
      Parley?: ((...args: unknown[]) => void) & { q?: unknown[][] };
      parleyReady?: boolean;
    };
    const stub = (...args: unknown[]) => void (stub.q ??= []).push(args);
    stub.q = [] as unknown[][];
    w.Parley = stub;
    stub('on', 'ready', () => (w.parleyReady = true));
  });
  // The call code is a chunk of its own, fetched when the call rings, not before.
  const callChunks: string[] = [];
  bobOther.on('request', (r) => {
    if (/\/parley\/calls-[\w-]+\.js$/.test(r.url())) callChunks.push(r.url());
  });
  await openDemo(bobOther);
  await expect.poll(() => bobOther.evaluate(() => document.querySelector('[data-parley]') !== null)).toBe(true);
  await openChat(bob, 'Axel');
  await openChat(alice, 'Boris');
  // Boris's second tab must be connected before the call rings.
  await expect
    .poll(() => bobOther.evaluate(() => (window as unknown as { parleyReady?: boolean }).parleyReady === true))
    .toBe(true);

  expect(callChunks).toEqual([]);
  await alice.getByRole('button', { name: 'Video call', exact: true }).click();
  await expect(inCall(alice).getByRole('status')).toHaveText('Calling…');
  await expect(banner(bob)).toHaveAccessibleName('Axel is calling you (video)');
  await expect(banner(bobOther)).toBeVisible();
  expect(callChunks).toHaveLength(1);
  // The banner takes the focus: Accept, as an alert dialog does.
  await expect(banner(bobOther).getByRole('button', { name: 'Accept' })).toBeFocused();

  await banner(bobOther).getByRole('button', { name: 'Accept' }).click();
  await expect(banner(bob)).toHaveCount(0);
  await expect(inCall(bob)).toHaveCount(0);

  await expect(inCall(alice).getByRole('status')).toHaveText('Connected', { timeout: 15_000 });
  await expect(inCall(bobOther).getByRole('status')).toHaveText('Connected', { timeout: 15_000 });
  await expectFramesFlowing(alice.locator('video.remote'));
  await expectFramesFlowing(bobOther.locator('video.remote'));
  // (The frame checks above can take several seconds on a loaded machine: any running m:ss.)
  await expect(inCall(alice).getByRole('timer')).toHaveText(/^\d+:[0-5]\d$/);
  await expect(inCall(alice).getByRole('button', { name: 'Mute' })).toHaveAttribute('aria-pressed', 'false');
  await inCall(alice).getByRole('button', { name: 'Mute' }).click();
  await expect(inCall(alice).getByRole('button', { name: 'Mute' })).toHaveAttribute('aria-pressed', 'true');

  await alice.waitForTimeout(1000);
  await inCall(alice).getByRole('button', { name: 'Hang up' }).click();
  await expect(inCall(alice)).toHaveCount(0);
  await expect(inCall(bobOther)).toHaveAttribute('data-phase', 'ended');

  // The call log, in both conversations, with its duration.
  const entry = /^📹 Video call · \d+:(0[1-9]|[1-5]\d)$/;
  await expect(alice.locator('li.message .call-log')).toHaveText(entry);
  await expect(bob.locator('li.message .call-log')).toHaveText(entry);
});

/** The local candidate type of the connection's selected pair (host, srflx, relay), from getStats. */
const selectedCandidateType = (page: Page) =>
  page.evaluate(async () => {
    const pc = (window as { parleyCallTest?: { pc?: RTCPeerConnection | null } }).parleyCallTest?.pc;
    if (!pc) return 'no connection';
    const stats = [...(await pc.getStats()).values()] as (Record<string, unknown> & { type: string; id: string })[];
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
    const local = stats.find((s) => s.id === pair?.localCandidateId);
    const remote = stats.find((s) => s.id === pair?.remoteCandidateId);
    return `${String(local?.candidateType)}/${String(remote?.candidateType)}`;
  });

test('the same call forced through TURN: coturn with a shared secret relays it, with the credentials the server derived', async ({
  openPage,
}) => {
  test.setTimeout(150_000);
  const turn = await startCoturn();
  const dir = tempDir();
  const server = await spawnServer(dir, { TURN_URLS: turn.url, TURN_SECRET: turn.secret, PRESENCE_GRACE_MS: '1500' });
  try {
    await seed(join(dir, 'parley.db'));
    const open = async (user: string) => {
      const page = await openPage();
      // The call chunk's test hook: relay candidates only, and the live connection for getStats().
      await page.addInitScript(() => {
        (window as { parleyCallTest?: object }).parleyCallTest = { iceTransportPolicy: 'relay' };
      });
      await page.goto(server.url);
      await signIn(page, user);
      return page;
    };
    const alice = await open('axel');
    const bob = await open('boris');
    await openChat(alice, 'Boris');
    await alice.getByRole('button', { name: 'Video call', exact: true }).click();
    await banner(bob).getByRole('button', { name: 'Accept' }).click();
    await expect(inCall(alice).getByRole('status')).toHaveText('Connected', { timeout: 30_000 });
    await expect(inCall(bob).getByRole('status')).toHaveText('Connected', { timeout: 30_000 });
    await expectFramesFlowing(alice.locator('video.remote'));
    await expectFramesFlowing(bob.locator('video.remote'));
    // Both ends talk through the relay.
    expect(await selectedCandidateType(alice)).toMatch(/^relay\//);
    expect(await selectedCandidateType(bob)).toMatch(/^relay\//);
    // The credentials are coturn's use-auth-secret scheme: "<expiry>:<user id>" signed with the secret.
    const servers = await alice.evaluate(
      () =>
        (window as { parleyCallTest?: { pc?: RTCPeerConnection | null } }).parleyCallTest!.pc!.getConfiguration()
          .iceServers,
    );
    const relay = servers?.find((s) => String(s.urls).includes(turn.url));
    expect(relay?.username).toMatch(/^\d+:/);
    const [expiry, userId] = relay!.username!.split(':') as [string, string];
    expect(relay!.credential).toBe(turnCredential(turn.secret, userId, Number(expiry)).credential);
    await inCall(alice).getByRole('button', { name: 'Hang up' }).click();
    await expect(alice.locator('li.message .call-log')).toHaveText(/^📹 Video call · \d+:\d\d$/);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await turn.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('boris declines; dina is offline (axel hears "unavailable", dina later finds a missed call); cole, blocked by boris, cannot ring him', async ({
  signedIn,
}) => {
  // Two users, three pages, a WebRTC call with frames checked both ways: over a minute on a loaded
  // two-core machine (measured 1.2 min while other work ran), so more than the default 60 s.
  test.setTimeout(120_000);
  const alice = await signedIn('axel');
  const bob = await signedIn('boris');
  await openChat(alice, 'Boris');

  await alice.getByRole('button', { name: 'Voice call', exact: true }).click();
  await expect(banner(bob)).toHaveAccessibleName('Axel is calling you (voice)');
  await banner(bob).getByRole('button', { name: 'Decline' }).click();
  await expect(banner(bob)).toHaveCount(0);
  await expect(inCall(alice).getByRole('status')).toHaveText('Declined');
  await expect(alice.locator('li.message .call-log').last()).toHaveText('📵 Declined call');

  // Dina has no device online: the server refuses at once and logs a missed call.
  await alice.getByRole('button', { name: 'Back' }).click();
  await openChat(alice, 'Dina');
  await expect(inCall(alice)).toHaveCount(0, { timeout: 8000 }); // the declined call's card went
  await alice.getByRole('button', { name: 'Voice call', exact: true }).click();
  await expect(inCall(alice).getByRole('status')).toHaveText('Dina is unavailable');
  const dina = await signedIn('dina');
  await openChat(dina, 'Axel');
  await expect(dina.locator('li.message .call-log').last()).toHaveText('📵 Missed voice call');

  // Cole: boris blocked him. He sees the refusal; boris sees nothing.
  const carol = await signedIn('cole');
  // He still has boris as a buddy on his side (a block is not told to the blocked), so he can try.
  await openChat(carol, 'Boris');
  await carol.getByRole('button', { name: 'Voice call', exact: true }).click();
  await expect(inCall(carol).getByRole('status')).toHaveText('You cannot call Boris');
  await bob.waitForTimeout(1000);
  await expect(banner(bob)).toHaveCount(0);
});

test('a 5 MB file goes peer to peer: the same SHA-256 arrives, and nothing was uploaded to the server', async ({
  signedIn,
}) => {
  // Two users, three pages, a WebRTC call with frames checked both ways: over a minute on a loaded
  // two-core machine (measured 1.2 min while other work ran), so more than the default 60 s.
  test.setTimeout(120_000);
  const alice = await signedIn('axel');
  const bob = await signedIn('boris');
  await openChat(alice, 'Boris');
  const uploads: string[] = [];
  alice.on('request', (r) => {
    if (/\/uploads\b/.test(r.url())) uploads.push(`${r.method()} ${r.url()}`);
  });

  const bytes = randomBytes(5 * 1024 * 1024);
  const sha = createHash('sha256').update(bytes).digest('hex');
  await alice
    .locator('input[data-direct]')
    .setInputFiles({ name: 'dataset.bin', mimeType: 'application/octet-stream', buffer: bytes });

  const link = bob.getByRole('link', { name: 'dataset.bin' });
  await expect(link).toBeVisible({ timeout: 30_000 });
  await expect(alice.getByText('Sent directly; the server kept no copy.')).toBeVisible();
  // The card's link saves the file under its name; its bytes hash to the sender's SHA-256.
  const [download] = await Promise.all([bob.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe('dataset.bin');
  const saved = readFileSync((await download.path())!);
  expect(saved.length).toBe(bytes.length);
  expect(createHash('sha256').update(saved).digest('hex')).toBe(sha);
  expect(uploads).toEqual([]);
});

test('when the direct link cannot open, the file goes the stored way by itself', async ({ signedIn }) => {
  const alice = await signedIn('axel');
  const bob = await signedIn('boris');
  // Boris's browser cannot answer a WebRTC offer: no data channel ever opens.
  await bob.evaluate(() => {
    RTCPeerConnection.prototype.createAnswer = () => Promise.reject(new Error('no WebRTC here (test)')) as never;
  });
  await openChat(alice, 'Boris');
  const uploads: string[] = [];
  alice.on('request', (r) => {
    if (/\/uploads\b/.test(r.url())) uploads.push(r.method());
  });
  const bytes = randomBytes(48 * 1024);
  await alice
    .locator('input[data-direct]')
    .setInputFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await expect(alice.getByText(/^No direct link \(.+\): sending it through the server instead\.$/)).toBeVisible({
    timeout: 20_000,
  });
  await expect(
    alice.locator('li.message.mine[data-state="sent"]').getByRole('link', { name: 'Download notes.bin' }),
  ).toBeVisible({
    timeout: 20_000,
  });
  expect(uploads.length).toBeGreaterThan(0);
  await openChat(bob, 'Axel');
  await expect(bob.getByRole('link', { name: 'Download notes.bin' })).toBeVisible();
});
