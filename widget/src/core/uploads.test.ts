import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FileInfo } from '@parley/backend/protocol';
import type { Lifecycle } from './feature.js';
import type { TusStart } from './upload-tus.js';

/** The tus chunk, played by the test: each started upload waits for the test to settle it. */
interface Started {
  start: TusStart;
  resolve(id: string): void;
  reject(err: unknown): void;
  aborted: boolean;
}
const started: Started[] = [];
vi.mock('./upload-tus.js', () => ({
  startUpload(start: TusStart) {
    let entry!: Started;
    const done = new Promise<string>((resolve, reject) => (entry = { start, resolve, reject, aborted: false }));
    started.push(entry);
    return { done, abort: async () => void (entry.aborted = true) };
  },
}));

const { createUploads } = await import('./uploads.js');

const lifecycle: Lifecycle = { onReady() {}, onSynced() {}, onReset() {}, onStop() {} };
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup() {
  const sent: [string, FileInfo][] = [];
  const uploads = createUploads(
    {
      server: 'https://chat.example',
      site: 'demo',
      token: () => 'tok',
      sendFile: (key, file) => sent.push([key, file]),
    },
    lifecycle,
  );
  return { uploads, sent };
}

afterEach(() => void started.splice(0));

describe('uploads', () => {
  it('uploads to the site’s tus endpoint with the metadata, then sends the file as a message', async () => {
    const { uploads, sent } = setup();
    uploads.attach('room:r1', new Blob(['x'.repeat(10)], { type: 'audio/webm' }), {
      name: 'voice.webm',
      voice: true,
      durationMs: 2049.6,
    });
    await flush();
    expect(started).toHaveLength(1);
    expect(started[0]!.start).toMatchObject({
      endpoint: 'https://chat.example/api/v1/sites/demo/uploads',
      token: 'tok',
      metadata: { name: 'voice.webm', conversation: 'room:r1', voice: '1', durationMs: '2050' },
    });
    started[0]!.start.onProgress(5, 10);
    expect(uploads.uploads.value[0]!.state).toEqual({ phase: 'uploading', sent: 5, total: 10 });
    started[0]!.resolve('file-1');
    await flush();
    expect(uploads.uploads.value).toEqual([]);
    expect(sent).toEqual([
      [
        'room:r1',
        {
          id: 'file-1',
          name: 'voice.webm',
          size: 10,
          mime: 'audio/webm',
          media: 'audio',
          durationMs: 2050,
          voice: true,
        },
      ],
    ]);
  });

  it('stops a file over the limit before loading anything; keeps a failure for retry; cancel aborts', async () => {
    const { uploads, sent } = setup();
    uploads.attach('u2', new Blob([new Uint8Array(uploads.maxBytes + 1)]), { name: 'big.bin' });
    await flush();
    expect(started).toHaveLength(0);
    expect(uploads.uploads.value[0]!.state).toMatchObject({ phase: 'failed', code: 'too_large', retryable: false });

    const id = uploads.attach('u2', new File(['hello'], 'a.txt', { type: 'text/plain' }));
    await flush();
    started[0]!.reject(Object.assign(new Error(''), { code: 'unavailable' }));
    await flush();
    expect(uploads.uploads.value.find((u) => u.id === id)!.state).toMatchObject({ phase: 'failed', retryable: true });
    uploads.retry(id);
    await flush();
    expect(started).toHaveLength(2);
    uploads.cancel(id);
    expect(started[1]!.aborted).toBe(true);
    started[1]!.resolve('too-late');
    await flush();
    expect(sent).toEqual([]);
    expect(uploads.uploads.value.map((u) => u.name)).toEqual(['big.bin']);
  });
});
