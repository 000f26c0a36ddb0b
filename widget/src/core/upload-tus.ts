/**
 * The upload chunk, loaded on demand the first time the user attaches a file (uploads.ts imports
 * it with `import()`): tus 1.0.0 through tus-js-client, which resumes on its own after network
 * errors (`retryDelays`). The server answers the last PATCH only once it has stored and checked
 * the file, so success here means the file can be sent. See docs/protocol.md, "Files".
 */
import { DetailedError, Upload } from 'tus-js-client';

export interface TusStart {
  /** `<server>/api/v1/sites/<site>/uploads` */
  endpoint: string;
  /** The widget's session token. */
  token: string;
  file: Blob;
  /** Upload-Metadata: name, conversation, and for voice messages voice=1 and durationMs. */
  metadata: Record<string, string>;
  onProgress(sent: number, total: number): void;
}

export interface TusUpload {
  /** The file id (the last segment of the upload's URL) once stored; rejects with an UploadFailure. */
  done: Promise<string>;
  /** Stops, and asks the server to delete what it has (tus termination). */
  abort(): Promise<void>;
}

/** Why an upload failed: the server's code and message, or `unavailable` with no message. */
export class UploadFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The server's `{ ok: false, error: { code, message } }` from a refused request, if it sent one. */
function failureOf(err: Error): UploadFailure {
  const response = err instanceof DetailedError ? err.originalResponse : null;
  if (!response) return new UploadFailure('unavailable', '');
  let body: unknown;
  try {
    body = JSON.parse(response.getBody());
  } catch {
    body = null;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string')
    return new UploadFailure(error.code, typeof error.message === 'string' ? error.message : '');
  const status = response.getStatus();
  const code =
    status === 413 ? 'too_large' : status === 429 ? 'quota_exceeded' : status === 422 ? 'unsupported_file' : 'internal';
  return new UploadFailure(code, '');
}

export function startUpload({ endpoint, token, file, metadata, onProgress }: TusStart): TusUpload {
  let upload!: Upload;
  const done = new Promise<string>((resolve, reject) => {
    upload = new Upload(file, {
      endpoint,
      headers: { Authorization: `Bearer ${token}` },
      metadata,
      // Resumed after a network error: immediately, then after 1, 3, 5 and 10 s.
      retryDelays: [0, 1000, 3000, 5000, 10000],
      // The server cuts a request that takes longer than HTTP_REQUEST_TIMEOUT_MS (30 s): pieces
      // of 2 MB finish well inside it on a slow line, and a dropped piece costs little to resend.
      chunkSize: 2 * 1024 * 1024,
      // The host page's localStorage is not ours to fill with upload fingerprints.
      storeFingerprintForResuming: false,
      onProgress,
      onError: (err) => reject(failureOf(err)),
      onSuccess: () => {
        const id = upload.url ? new URL(upload.url, endpoint).pathname.split('/').filter(Boolean).at(-1) : undefined;
        if (id) resolve(decodeURIComponent(id));
        else reject(new UploadFailure('internal', ''));
      },
    });
    upload.start();
  });
  return { done, abort: () => upload.abort(true) };
}
