import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import { Upload as TusUpload } from 'tus-js-client';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type FileUrls } from '../src/protocol/index.js';
import { FileUrlSigner } from '../src/services/files/signed-urls.js';
import { sweepRetention } from '../src/services/retention.js';
import { createLogger } from '../src/logger.js';
import { directConversationId } from '../src/services/messaging.js';
import { createUpload, patchUpload, uploadFile, useServer, waitFor, type SignedIn } from './support.js';

/**
 * Pictures, files and voice messages end to end: tus uploads, what the server makes of the bytes,
 * signed downloads and their headers, limits, and the cleanup of what nothing refers to.
 */
const QUOTA = 24 * 1024 * 1024;
const server = useServer({
  config: { files: { dailyQuotaBytes: QUOTA } } as never,
  sites: [{ id: 'brief', settings: { retentionDays: 1 } }],
});

const direct = (id: string) => `direct:${id}`;
const HOUR = 3_600_000;

/** Two fresh buddies, connected. */
async function pair(prefix: string) {
  const tag = Math.random().toString(36).slice(2, 7);
  const [a, b, aTab, bTab] = await server.buddies(`${prefix}a${tag}`, `${prefix}b${tag}`);
  return { a, b, aTab, bTab };
}

async function download(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(new URL(path, server.url), { headers });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** Everything the server holds of files and uploads: staging ids, storage keys, the file rows asked about. */
async function leftovers(ids: string[]) {
  const rows = await Promise.all(ids.map((id) => server.app.store.getFile(id)));
  return {
    staged: await server.app.files.staging.list(),
    stored: (await server.app.files.storage.list('files/')).filter((key) => ids.some((id) => key.includes(id))),
    rows: rows.filter((row) => row !== null).length,
  };
}

async function send(tab: SignedIn, to: string, fileId: string, text?: string) {
  return tab.request('message:send', {
    in: { kind: 'direct', id: to },
    clientId: uuidv7(),
    content: { kind: 'file', fileId, ...(text ? { text } : {}) },
  });
}

describe('a file that pretends to be an image', () => {
  it('stores an HTML page named .png as a plain file and serves it as a download, never as HTML', async () => {
    const { a, b, aTab, bTab } = await pair('html');
    const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
    const up = await uploadFile(server, aTab.token, html, { name: 'cat.png', conversation: direct(b.id) });
    expect(up.status).toBe(204);
    const row = await server.app.store.getFile(up.id);
    expect(row).toMatchObject({ media: 'file', mime: 'application/octet-stream', name: 'cat.png', hasThumb: false });

    const sent = await send(aTab, b.id, up.id);
    expect(sent.ok).toBe(true);
    const urls = await bTab.request('file:urls', { in: { kind: 'direct', id: a.id }, fileId: up.id });
    expect(urls.ok).toBe(true);
    const { url, thumbUrl } = (urls as { data: FileUrls }).data;
    expect(thumbUrl).toBeNull();
    const { response, bytes } = await download(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-type')).not.toMatch(/html/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''cat.png");
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(bytes.equals(html)).toBe(true);
  });
});

describe('limits', () => {
  it('refuses an 11 MB file at creation with 413 too_large, and stores nothing', async () => {
    const { b, aTab } = await pair('big');
    const before = await server.app.files.staging.list();
    const created = await createUpload(server, aTab.token, 11 * 1024 * 1024, {
      name: 'big.bin',
      conversation: direct(b.id),
    });
    expect(created.status).toBe(413);
    expect(created.error?.code).toBe(ErrorCode.TooLarge);
    expect(created.location).toBeNull();
    expect(await server.app.files.staging.list()).toEqual(before);
  });

  it('refuses a 50-megapixel PNG bomb with 422 unsupported_file from its header, and leaves nothing', async () => {
    const { b, aTab } = await pair('bomb');
    const bomb = await sharp({ create: { width: 10_000, height: 5_000, channels: 3, background: '#ffffff' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1024 * 1024); // a few hundred KB that would decode to 150 MB
    const up = await uploadFile(server, aTab.token, bomb, { name: 'bomb.png', conversation: direct(b.id) });
    expect(up.status).toBe(422);
    expect(up.error?.code).toBe(ErrorCode.UnsupportedFile);
    expect(up.error?.message).toMatch(/megapixels/);
    await waitFor(
      async () => (await leftovers([up.id])).staged.includes(up.id) === false || undefined,
      5000,
      'staging',
    );
    expect(await leftovers([up.id])).toEqual({ staged: expect.not.arrayContaining([up.id]), stored: [], rows: 0 });
  });

  it('refuses an image that cannot be decoded with unsupported_file', async () => {
    const { b, aTab } = await pair('broken');
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } })
      .png()
      .toBuffer();
    const cut = png.subarray(0, Math.floor(png.length / 2)); // a PNG header with half its data
    const up = await uploadFile(server, aTab.token, cut, { name: 'half.png', conversation: direct(b.id) });
    expect(up.status).toBe(422);
    expect(up.error?.code).toBe(ErrorCode.UnsupportedFile);
    expect((await leftovers([up.id])).rows).toBe(0);
  });

  it('counts stored files and uploads under way against the daily quota: 429 quota_exceeded', async () => {
    const { b, aTab } = await pair('quota');
    const meta = { name: 'data.bin', conversation: direct(b.id) };
    // 9 MB stored, 9 MB under way: another 9 MB would pass the 24 MB a day of this server.
    const stored = await uploadFile(server, aTab.token, Buffer.alloc(9 * 1024 * 1024, 7), meta);
    expect(stored.status).toBe(204);
    const underway = await createUpload(server, aTab.token, 9 * 1024 * 1024, meta);
    expect(underway.status).toBe(201);
    const refused = await createUpload(server, aTab.token, 9 * 1024 * 1024, meta);
    expect(refused.status).toBe(429);
    expect(refused.error?.code).toBe(ErrorCode.QuotaExceeded);
    // Ending the upload under way gives its share back.
    const ended = await fetch(new URL(underway.location!, server.url), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${aTab.token}`, 'tus-resumable': '1.0.0' },
    });
    expect(ended.status).toBe(204);
    expect((await createUpload(server, aTab.token, 9 * 1024 * 1024, meta)).status).toBe(201);
  });

  it('refuses creation without a session, for a conversation the uploader may not send in, or with bad metadata', async () => {
    const { b, aTab } = await pair('meta');
    const stranger = await server.user(`stranger${Math.random().toString(36).slice(2, 7)}`);
    const noSession = await fetch(`${server.url}/api/v1/sites/demo/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' },
    });
    expect(noSession.status).toBe(401);
    const notBuddy = await createUpload(server, aTab.token, 10, { name: 'x', conversation: direct(stranger.id) });
    expect(notBuddy.status).toBe(403);
    const noRoom = await createUpload(server, aTab.token, 10, { name: 'x', conversation: `room:${uuidv7()}` });
    expect(noRoom.status).toBe(404);
    const badKey = await createUpload(server, aTab.token, 10, { name: 'x', conversation: 'everyone' });
    expect(badKey.error?.code).toBe(ErrorCode.BadRequest);
    const badDuration = await createUpload(server, aTab.token, 10, {
      name: 'x',
      conversation: direct(b.id),
      durationMs: '1e9',
    });
    expect(badDuration.error?.code).toBe(ErrorCode.BadRequest);
    const empty = await createUpload(server, aTab.token, 0, { name: 'x', conversation: direct(b.id) });
    expect(empty.error?.code).toBe(ErrorCode.BadRequest);
  });

  it('cleans the file name: last path segment, no control or bidi characters, at most 200 characters', async () => {
    const { b, aTab } = await pair('name');
    const up = await uploadFile(server, aTab.token, Buffer.from('hello'), {
      name: `../../etc/pass\u0000wd\u202egnp.exe${'x'.repeat(300)}`,
      conversation: direct(b.id),
    });
    expect(up.status).toBe(204);
    const row = await server.app.store.getFile(up.id);
    expect(row!.name).toBe(`passwdgnp.exe${'x'.repeat(187)}`);
    expect([...row!.name].length).toBe(200);
  });
});

describe('an upload is its owner’s', () => {
  it('answers another user’s HEAD, PATCH and DELETE on my upload with 404, and keeps it intact', async () => {
    const { b, aTab, bTab } = await pair('owner');
    const created = await createUpload(server, aTab.token, 10, { name: 'mine.txt', conversation: direct(b.id) });
    expect(created.status).toBe(201);
    const url = new URL(created.location!, server.url);
    const as = (token: string, method: string, extra: Record<string, string> = {}) =>
      fetch(url, { method, headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', ...extra } });
    expect((await as(bTab.token, 'HEAD')).status).toBe(404);
    const patch = await patchUpload(server, bTab.token, created.location!, Buffer.from('0123456789'));
    expect(patch.status).toBe(404);
    expect(patch.error?.code).toBe(ErrorCode.NotFound);
    expect((await as(bTab.token, 'DELETE')).status).toBe(404);
    const head = await as(aTab.token, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
    expect(head.headers.get('upload-length')).toBe('10');
  });
});

describe('cleanup', () => {
  it('leaves no orphan of a broken upload: half the bytes, then the client goes away', async () => {
    const { b, aTab } = await pair('gone');
    const bytes = Buffer.alloc(256 * 1024, 1);
    const created = await createUpload(server, aTab.token, bytes.length, {
      name: 'gone.bin',
      conversation: direct(b.id),
    });
    expect(created.status).toBe(201);
    const id = created.location!.split('/').pop()!;
    // The client sends half the body it announced, then its connection drops.
    await new Promise<void>((resolve) => {
      const req = httpRequest(new URL(created.location!, server.url), {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${aTab.token}`,
          'tus-resumable': '1.0.0',
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
          'content-length': String(bytes.length),
        },
      });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      req.write(bytes.subarray(0, bytes.length / 2), () => setTimeout(() => req.destroy(), 200));
    });
    const offset = await waitFor(
      async () => {
        const head = await fetch(new URL(created.location!, server.url), {
          method: 'HEAD',
          headers: { authorization: `Bearer ${aTab.token}`, 'tus-resumable': '1.0.0' },
        });
        const at = Number(head.headers.get('upload-offset'));
        return at > 0 ? at : undefined;
      },
      5000,
      'the half upload to be staged',
    );
    expect(offset).toBeLessThanOrEqual(bytes.length / 2);
    expect(await server.app.files.staging.list()).toContain(id);
    // Also an upload finished but never sent in a message.
    const unsent = await uploadFile(server, aTab.token, Buffer.from('never sent'), {
      name: 'unsent.txt',
      conversation: direct(b.id),
    });
    expect(unsent.status).toBe(204);
    expect((await leftovers([unsent.id])).stored).toHaveLength(1);

    // Within the grace period nothing goes; after it, both do.
    await server.app.files.sweep(new Date());
    expect(await server.app.files.staging.list()).toContain(id);
    expect(await server.app.store.getFile(unsent.id)).not.toBeNull();
    await server.app.files.sweep(new Date(Date.now() + 25 * HOUR));
    expect(await leftovers([id, unsent.id])).toEqual({
      staged: expect.not.arrayContaining([id]),
      stored: [],
      rows: 0,
    });
  });

  it('frees a sent file once retention deletes its message, at the next sweep', async () => {
    const tag = Math.random().toString(36).slice(2, 7);
    await server.user(`keepa${tag}`, { site: 'brief' });
    const b = await server.user(`keepb${tag}`, { site: 'brief', buddies: [`keepa${tag}`] });
    const aTab = await server.connect(`keepa${tag}`, { site: 'brief' });
    const up = await uploadFile(
      server,
      aTab.token,
      Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
      { name: 'report.pdf', conversation: direct(b.id) },
      'brief',
    );
    expect(up.status).toBe(204);
    expect((await server.app.store.getFile(up.id))!.mime).toBe('application/pdf');
    expect((await send(aTab, b.id, up.id)).ok).toBe(true);
    const later = new Date(Date.now() + 49 * HOUR);
    // Sent: a sweep leaves it, however old.
    await server.app.files.sweep(later);
    expect(await server.app.store.getFile(up.id)).not.toBeNull();
    // The site keeps messages one day: retention deletes the message, the next sweep the file.
    await sweepRetention(server.app.store, later, createLogger('silent'));
    await server.app.files.sweep(later);
    expect(await leftovers([up.id])).toEqual({ staged: expect.any(Array), stored: [], rows: 0 });
  });
});

describe('an image from upload to download', () => {
  it('re-encodes and thumbnails a JPEG; bob gets signed URLs, carol and forged URLs are refused', async () => {
    const { a, b, aTab, bTab } = await pair('img');
    // 1200×800 with EXIF orientation 6 (rotate 90°) and a comment that must not survive.
    const jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#33aa77' } })
      .jpeg()
      .withMetadata({ orientation: 6, exif: { IFD0: { ImageDescription: 'secret place' } } })
      .toBuffer();
    expect(jpeg.includes('secret place')).toBe(true);

    // Uploaded with tus-js-client in 64 KB chunks, as the widget would.
    const conversation = direct(b.id);
    const fileId = await new Promise<string>((resolve, reject) => {
      const upload = new TusUpload(jpeg, {
        endpoint: `${server.url}/api/v1/sites/demo/uploads`,
        headers: { authorization: `Bearer ${aTab.token}` },
        metadata: { name: 'holiday.jpg', conversation },
        chunkSize: 64 * 1024,
        retryDelays: [],
        onError: reject,
        onSuccess: () => resolve(upload.url!.split('/').pop()!),
      });
      upload.start();
    });
    const row = await server.app.store.getFile(fileId);
    expect(row).toMatchObject({ media: 'image', mime: 'image/jpeg', width: 800, height: 1200, hasThumb: true });

    // Sent to bob, who sees it live with what the server learned of it.
    const sent = await send(aTab, b.id, fileId, 'look');
    expect(sent.ok).toBe(true);
    const entry = await waitFor(() => bTab.messages.find((m) => m.message.content.kind === 'file'), 5000, 'bob’s copy');
    expect(entry.message.content).toMatchObject({
      kind: 'file',
      text: 'look',
      file: {
        id: fileId,
        name: 'holiday.jpg',
        media: 'image',
        mime: 'image/jpeg',
        width: 800,
        height: 1200,
        thumb: true,
      },
    });

    const asked = await bTab.request('file:urls', { in: { kind: 'direct', id: a.id }, fileId });
    expect(asked.ok).toBe(true);
    const urls = (asked as { data: FileUrls }).data;
    const original = await download(urls.url);
    expect(original.response.status).toBe(200);
    expect(original.response.headers.get('content-type')).toBe('image/jpeg');
    expect(original.response.headers.get('content-disposition')).toMatch(/^inline; filename\*=UTF-8''holiday\.jpg$/);
    expect(original.response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(original.response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(original.response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(original.response.headers.get('cache-control')).toMatch(/^private, max-age=(\d+)$/);
    const maxAge = Number(/max-age=(\d+)/.exec(original.response.headers.get('cache-control')!)![1]);
    expect(maxAge).toBeGreaterThan(14 * 60);
    expect(maxAge).toBeLessThanOrEqual(15 * 60);
    const stored = await sharp(original.bytes).metadata();
    expect(stored).toMatchObject({ format: 'jpeg', width: 800, height: 1200 });
    expect(stored.exif).toBeUndefined();
    expect(original.bytes.includes('secret place')).toBe(false);

    const thumb = await download(urls.thumbUrl!);
    expect(thumb.response.status).toBe(200);
    expect(thumb.response.headers.get('content-type')).toBe('image/webp');
    expect(thumb.response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: 'webp', width: 213, height: 320 });

    // Carol, of the same site but not in the conversation, gets nothing.
    const carol = await server.user(`carol${Math.random().toString(36).slice(2, 7)}`, { buddies: [] });
    const carolTab = await carol.connect();
    const carolAsks = await carolTab.request('file:urls', { in: { kind: 'direct', id: a.id }, fileId });
    expect(carolAsks.ok ? 'ok' : carolAsks.error.code).toBe(ErrorCode.NotFound);

    // Unsigned, tampered and expired URLs.
    const path = urls.url.split('?')[0]!;
    const unsigned = await download(path);
    expect(unsigned.response.status).toBe(403);
    const query = new URLSearchParams(urls.url.split('?')[1]);
    const forged = new URLSearchParams(query);
    forged.set('s', `${query.get('s')!.slice(0, -2)}AA`);
    expect((await download(`${path}?${forged}`)).response.status).toBe(403);
    const later = new URLSearchParams(query);
    later.set('e', String(Number(query.get('e')) + 3600)); // a longer life is a different signature
    expect((await download(`${path}?${later}`)).response.status).toBe(403);
    const site = (await server.app.store.getSite('demo'))!;
    const past = new FileUrlSigner(null, 60_000, () => Date.now() - 3_600_000);
    const expired = await download(past.urlsFor(site, row!, row!.conversationId).url);
    expect(expired.response.status).toBe(403);
    const body = JSON.parse(expired.bytes.toString()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(ErrorCode.Forbidden);
    expect(body.error.message).toMatch(/expired/);
    // A URL properly signed for conversation A (alice–carol) never opens a file of conversation B.
    const other = new FileUrlSigner(null, 60_000).urlsFor(site, row!, directConversationId(a.id, carol.id));
    expect((await download(other.url)).response.status).toBe(404);
  });

  it('serves byte ranges of audio (206), and stores a voice recording (WebM) as audio with its duration', async () => {
    const { b, aTab } = await pair('voice');
    // The start of a WebM file as MediaRecorder writes it (EBML header, DocType "webm"), then filler.
    const webm = Buffer.concat([
      Buffer.from(
        '1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104428581021853806701ffffffffffffff',
        'hex',
      ),
      Buffer.alloc(4000, 0x42),
    ]);
    const up = await uploadFile(server, aTab.token, webm, {
      name: 'voice.webm',
      conversation: direct(b.id),
      voice: '1',
      durationMs: '4200',
    });
    expect(up.status).toBe(204);
    const row = (await server.app.store.getFile(up.id))!;
    expect(row).toMatchObject({ media: 'audio', mime: 'audio/webm', voice: true, durationMs: 4200 });
    const site = (await server.app.store.getSite('demo'))!;
    const { url } = new FileUrlSigner(null, 60_000).urlsFor(site, row, row.conversationId);
    const part = await download(url, { range: 'bytes=100-199' });
    expect(part.response.status).toBe(206);
    expect(part.response.headers.get('content-range')).toBe(`bytes 100-199/${webm.length}`);
    expect(part.response.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(part.bytes.equals(webm.subarray(100, 200))).toBe(true);
    const beyond = await download(url, { range: `bytes=${webm.length}-` });
    expect(beyond.response.status).toBe(416);
  });
});

describe('uploads from the host page', () => {
  it('answers the tus preflight and exposes the tus headers to an allowed origin only', async () => {
    const { b, aTab } = await pair('cors');
    const preflight = await fetch(`${server.url}/api/v1/sites/demo/uploads`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, tus-resumable, upload-length, upload-metadata',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
    const allowed = preflight.headers.get('access-control-allow-headers')!;
    for (const h of [
      'authorization',
      'content-type',
      'tus-resumable',
      'upload-length',
      'upload-offset',
      'upload-metadata',
    ])
      expect(allowed).toContain(h);

    const headers = {
      authorization: `Bearer ${aTab.token}`,
      'tus-resumable': '1.0.0',
      'upload-length': '5',
      'upload-metadata': `conversation ${Buffer.from(direct(b.id)).toString('base64')}`,
    };
    const created = await fetch(`${server.url}/api/v1/sites/demo/uploads`, {
      method: 'POST',
      headers: { ...headers, origin: 'http://localhost:5173' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(created.headers.get('access-control-expose-headers')).toBe(
      'Location, Upload-Offset, Upload-Length, Tus-Resumable, Upload-Expires',
    );
    expect(created.headers.get('location')).toMatch(/^\/api\/v1\/sites\/demo\/uploads\/[0-9a-f-]{36}$/);
    expect(created.headers.get('upload-expires')).toBeTruthy();
    const foreign = await fetch(`${server.url}/api/v1/sites/demo/uploads`, {
      method: 'POST',
      headers: { ...headers, origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.OriginNotAllowed);
  });
});

describe('creation with upload', () => {
  it('stores a file sent whole in the creation request (tus creation-with-upload), and leaves no staging', async () => {
    const { b, aTab } = await pair('whole');
    const png = await sharp({ create: { width: 40, height: 30, channels: 4, background: '#ff000080' } })
      .png()
      .toBuffer();
    const response = await fetch(`${server.url}/api/v1/sites/demo/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${aTab.token}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(png.length),
        'upload-metadata': `name ${Buffer.from('dot.png').toString('base64')},conversation ${Buffer.from(direct(b.id)).toString('base64')}`,
        'content-type': 'application/offset+octet-stream',
      },
      body: new Blob([png]),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('upload-offset')).toBe(String(png.length));
    const id = response.headers.get('location')!.split('/').pop()!;
    expect(await server.app.store.getFile(id)).toMatchObject({
      media: 'image',
      mime: 'image/png',
      width: 40,
      height: 30,
    });
    await waitFor(async () => !(await server.app.files.staging.list()).includes(id) || undefined, 5000, 'staging gone');
    // More bytes than announced are refused by tus.
    const created = await createUpload(server, aTab.token, 4, { name: 'four', conversation: direct(b.id) });
    const over = await patchUpload(server, aTab.token, created.location!, Buffer.from('12345678'));
    expect(over.status).toBe(413);
    expect(await server.app.store.getFile(created.location!.split('/').pop()!)).toBeNull();
  });
});
