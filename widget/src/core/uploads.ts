import { signal, type ReadonlySignal } from '@preact/signals-core';
import type { FileInfo, FileMedia } from '@parley/backend/protocol';
import { Limits } from '@parley/backend/protocol/constants';
import { mediaOf } from './file-format.js';
import type { Lifecycle } from './feature.js';
import { checkFile, nextUpload, type UploadEvent, type UploadPhase } from './upload-state.js';
import type { TusUpload } from './upload-tus.js';

/** A file on its way to the server, shown as a pending bubble in its conversation until sent. */
export interface Upload {
  /** Local id of this upload (not the file id, which the server gives). */
  id: string;
  /** The conversation (local key: a user id, or `room:<id>`). */
  key: string;
  name: string;
  size: number;
  mime: string;
  media: FileMedia;
  state: UploadPhase;
  /** Voice messages: the length the recorder measured. */
  durationMs?: number;
  voice?: boolean;
}

export interface AttachOptions {
  /** A file name for blobs that have none (a pasted image, a recording). */
  name?: string;
  voice?: boolean;
  durationMs?: number;
}

export interface UploadsDeps {
  server: string;
  site: string;
  /** The session token the socket signs in with; null when signed out. */
  token(): string | null;
  /** The stored file goes as a message, through the outbox like any other. */
  sendFile(key: string, file: FileInfo): void;
}

let counter = 0;

/**
 * Uploads of files (paperclip, drop, paste) and voice messages. The tus code is an on-demand chunk
 * (upload-tus.ts), loaded on the first attach. A file over the size limit never starts; an upload
 * that fails shows the server's reason and may be retried; one that succeeds becomes a file
 * message (the server's acknowledgement then replaces the FileInfo built here).
 */
export function createUploads(deps: UploadsDeps, { onReset }: Lifecycle) {
  const list = signal<readonly Upload[]>([]);
  const blobs = new Map<string, Blob>();
  const running = new Map<string, TusUpload>();
  /** Images: their size in pixels, so the sent message reserves its box before the server's answer. */
  const pixels = new Map<string, { width: number; height: number }>();
  let tus: Promise<typeof import('./upload-tus.js')> | null = null;
  const loadTus = () => {
    tus ??= import('./upload-tus.js');
    tus.catch(() => (tus = null)); // a failed load is tried again next time
    return tus;
  };

  const find = (id: string) => list.value.find((u) => u.id === id);
  const apply = (id: string, event: UploadEvent) => {
    list.value = list.value.map((u) => (u.id === id ? { ...u, state: nextUpload(u.state, event) } : u));
  };
  const drop = (id: string) => {
    list.value = list.value.filter((u) => u.id !== id);
    blobs.delete(id);
    running.delete(id);
    pixels.delete(id);
  };

  async function run(id: string): Promise<void> {
    const upload = find(id);
    const blob = blobs.get(id);
    if (!upload || !blob) return;
    let module: typeof import('./upload-tus.js');
    try {
      module = await loadTus();
    } catch {
      apply(id, { type: 'error', code: 'unavailable', message: '' });
      return;
    }
    const token = deps.token();
    if (!token) {
      apply(id, { type: 'error', code: 'unauthorized', message: '' });
      return;
    }
    if (find(id)?.state.phase !== 'queued') return; // cancelled meanwhile
    const metadata: Record<string, string> = {
      name: upload.name,
      conversation: upload.key.startsWith('room:') ? upload.key : `direct:${upload.key}`,
    };
    if (upload.voice) metadata.voice = '1';
    if (upload.durationMs !== undefined) metadata.durationMs = String(Math.round(upload.durationMs));
    const tusUpload = module.startUpload({
      endpoint: `${deps.server}/api/v1/sites/${encodeURIComponent(deps.site)}/uploads`,
      token,
      file: blob,
      metadata,
      onProgress: (sent, total) => apply(id, { type: 'progress', sent, total }),
    });
    running.set(id, tusUpload);
    try {
      const fileId = await tusUpload.done;
      if (find(id)?.state.phase === 'cancelled' || !find(id)) return;
      apply(id, { type: 'success', fileId });
      const file: FileInfo = {
        id: fileId,
        name: upload.name,
        size: upload.size,
        mime: upload.mime,
        media: upload.media,
      };
      const size = pixels.get(id);
      if (size) Object.assign(file, size);
      if (upload.durationMs !== undefined) file.durationMs = Math.round(upload.durationMs);
      if (upload.voice) file.voice = true;
      drop(id);
      deps.sendFile(upload.key, file);
    } catch (err) {
      running.delete(id);
      const { code = 'internal', message = '' } = err as { code?: string; message?: string };
      apply(id, { type: 'error', code, message });
    }
  }

  onReset(() => {
    for (const u of running.values()) void u.abort().catch(() => undefined);
    for (const u of list.value) drop(u.id);
    list.value = [];
  });

  return {
    uploads: list as ReadonlySignal<readonly Upload[]>,
    /** The most bytes one file may have (the server checks again). */
    maxBytes: Limits.fileBytesDefault,
    /** Starts uploading `file` into the conversation `key`; returns the upload's local id. */
    attach(key: string, file: Blob, options: AttachOptions = {}): string {
      const id = `u${++counter}`;
      const mime = file.type || 'application/octet-stream';
      const name = (options.name ?? (file as File).name ?? '') || 'file';
      const upload: Upload = {
        id,
        key,
        name: name.slice(0, Limits.fileName),
        size: file.size,
        mime,
        media: options.voice ? 'audio' : mediaOf(mime),
        state: { phase: 'queued' },
        ...(options.voice ? { voice: true } : {}),
        ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
      };
      const refused = checkFile(file, Limits.fileBytesDefault);
      if (refused) upload.state = { phase: 'failed', code: refused.code, message: '', retryable: false };
      list.value = [...list.value, upload];
      if (refused) return id;
      blobs.set(id, file);
      if (upload.media === 'image' && typeof createImageBitmap === 'function') {
        // Its size in pixels, for the box the message reserves; the server's answer has the truth.
        void createImageBitmap(file).then(
          (bitmap) => {
            pixels.set(id, { width: bitmap.width, height: bitmap.height });
            bitmap.close();
          },
          () => undefined, // not decodable here: the server decides, and says so
        );
      }
      void run(id);
      return id;
    },
    /** Stops an upload (the server deletes what it had), or forgets a failed one. */
    cancel(id: string): void {
      apply(id, { type: 'cancel' });
      const tusUpload = running.get(id);
      drop(id);
      if (tusUpload)
        void tusUpload.abort().catch((err: unknown) => console.warn('[Parley] the upload could not be deleted', err));
    },
    /** Starts a failed upload again (the file is kept until it is sent or cancelled). */
    retry(id: string): void {
      const before = find(id)?.state;
      apply(id, { type: 'retry' });
      if (before?.phase === 'failed' && find(id)?.state.phase === 'queued') void run(id);
    },
  };
}
export type Uploads = ReturnType<typeof createUploads>;
