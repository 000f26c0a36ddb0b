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
import {
  createUpload,
  patchUpload,
  uploadFile,
  useServer,
  waitFor,
  type SignedIn,
  type TestServer,
} from './support.js';

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
