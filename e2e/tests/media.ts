import type { Page } from '@playwright/test';
import { deflateSync } from 'node:zlib';
import { baseUrl } from './widget.js';

/**
 * Small real media files made in the test, so no binary fixture has to be kept: a PNG any decoder
 * (and the server's sharp) accepts, and a WAV of silence for an `<audio>` element.
 */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Buffer) => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

/** A `width`×`height` RGB PNG: a diagonal gradient, so a thumbnail and the original look alike. */
export function pngBytes(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = Math.round((255 * x) / width);
      row[2 + x * 3] = Math.round((255 * y) / height);
      row[3 + x * 3] = 160;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `ms` milliseconds of 8 kHz mono 8-bit silence as WAV. */
export function wavBytes(ms: number): Buffer {
  const samples = Math.round((8000 * ms) / 1000);
  const out = Buffer.alloc(44 + samples, 128);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + samples, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(8000, 24);
  out.writeUInt32LE(8000, 28);
  out.writeUInt16LE(1, 32);
  out.writeUInt16LE(8, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(samples, 40);
  return out;
}

/**
 * Answers the site's signed download URLs in the page with a picture of `size` (or a second of
 * silence for an `<audio>`): e2e/seed.ts stores file records without bytes.
 */
export async function serveSeededFiles(page: Page, size: { width: number; height: number }): Promise<void> {
  const picture = pngBytes(size.width, size.height);
  const silence = wavBytes(1000);
  await page.route(`${baseUrl()}/api/v1/sites/demo/files/**`, (route) =>
    route.fulfill(
      route.request().resourceType() === 'media'
        ? { contentType: 'audio/wav', body: silence }
        : { contentType: 'image/png', body: picture },
    ),
  );
}

/**
 * Uploads (tus) in the page are created, then held: the PATCH with the bytes is never answered,
 * so an upload stays in progress until the page cancels it (its DELETE is answered).
 */
export async function holdUploads(page: Page): Promise<void> {
  await page.route(`${baseUrl()}/api/v1/sites/demo/uploads**`, async (route) => {
    const method = route.request().method();
    if (method === 'POST')
      return route.fulfill({
        status: 201,
        headers: { 'Tus-Resumable': '1.0.0', Location: `${baseUrl()}/api/v1/sites/demo/uploads/held-upload` },
      });
    if (method === 'DELETE') return route.fulfill({ status: 204, headers: { 'Tus-Resumable': '1.0.0' } });
    // PATCH: never answered.
  });
}
