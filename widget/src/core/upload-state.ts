/**
 * One upload's life as a pure state machine (the unit tests drive it; uploads.ts applies it):
 *
 *   queued ──progress──▶ uploading ──success──▶ done
 *      │                    │
 *      └──────error─────────┴──▶ failed ──retry (if retryable)──▶ queued
 *   any state but done ──cancel──▶ cancelled
 *
 * `done` and `cancelled` are final: a late progress or error event from a request still in flight
 * changes nothing.
 */
import { ErrorCode } from '@parley/backend/protocol/constants';

export type UploadPhase =
  | { phase: 'queued' }
  | { phase: 'uploading'; sent: number; total: number }
  | { phase: 'failed'; code: string; message: string; retryable: boolean }
  | { phase: 'done'; fileId: string }
  | { phase: 'cancelled' };

export type UploadEvent =
  | { type: 'progress'; sent: number; total: number }
  | { type: 'success'; fileId: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'cancel' }
  | { type: 'retry' };

/** Refusals that the same file will meet again: retrying them is pointless. */
const FINAL: ReadonlySet<string> = new Set([
  ErrorCode.TooLarge,
  ErrorCode.UnsupportedFile,
  ErrorCode.QuotaExceeded,
  ErrorCode.Forbidden,
  ErrorCode.NotFound,
  ErrorCode.BadRequest,
]);

export const retryable = (code: string): boolean => !FINAL.has(code);

export function nextUpload(state: UploadPhase, event: UploadEvent): UploadPhase {
  if (state.phase === 'done' || state.phase === 'cancelled') return state;
  switch (event.type) {
    case 'cancel':
      return { phase: 'cancelled' };
    case 'progress': {
      if (state.phase === 'failed') return state;
      const total = Math.max(0, event.total);
      // Progress only grows (a resumed upload reports from its offset again).
      const before = state.phase === 'uploading' ? state.sent : 0;
      return { phase: 'uploading', sent: Math.min(total, Math.max(before, event.sent)), total };
    }
    case 'success':
      return state.phase === 'failed' ? state : { phase: 'done', fileId: event.fileId };
    case 'error':
      return state.phase === 'failed'
        ? state
        : { phase: 'failed', code: event.code, message: event.message, retryable: retryable(event.code) };
    case 'retry':
      return state.phase === 'failed' && state.retryable ? { phase: 'queued' } : state;
  }
}

/** Whole percent sent, for the progress bar (0 until the first progress event). */
export function percentOf(state: UploadPhase): number {
  if (state.phase === 'done') return 100;
  if (state.phase !== 'uploading' || state.total === 0) return 0;
  return Math.floor((state.sent / state.total) * 100);
}

/**
 * What stops a file before any byte is sent: larger than the limit (`too_large`), or empty
 * (`unsupported_file`). Null when it may go.
 */
export function checkFile(file: { size: number }, maxBytes: number): { code: string } | null {
  if (file.size > maxBytes) return { code: ErrorCode.TooLarge };
  if (file.size === 0) return { code: ErrorCode.UnsupportedFile };
  return null;
}
