import { describe, expect, it } from 'vitest';
import { checkFile, nextUpload, percentOf, type UploadEvent, type UploadPhase } from './upload-state.js';

const run = (...events: UploadEvent[]): UploadPhase =>
  events.reduce<UploadPhase>((s, e) => nextUpload(s, e), { phase: 'queued' });

describe('the upload state machine', () => {
  it('goes queued → uploading → done, with progress that only grows', () => {
    const s = run({ type: 'progress', sent: 50, total: 100 }, { type: 'progress', sent: 20, total: 100 });
    expect(s).toEqual({ phase: 'uploading', sent: 50, total: 100 });
    expect(percentOf(s)).toBe(50);
    const done = nextUpload(s, { type: 'success', fileId: 'f1' });
    expect(done).toEqual({ phase: 'done', fileId: 'f1' });
    expect(percentOf(done)).toBe(100);
  });

  it('fails with the server’s code and message; retries only what can succeed', () => {
    const network = run({ type: 'progress', sent: 1, total: 9 }, { type: 'error', code: 'unavailable', message: '' });
    expect(network).toMatchObject({ phase: 'failed', retryable: true });
    expect(nextUpload(network, { type: 'retry' })).toEqual({ phase: 'queued' });

    const big = run({ type: 'error', code: 'too_large', message: 'The file is larger than 10 MB.' });
    expect(big).toEqual({
      phase: 'failed',
      code: 'too_large',
      message: 'The file is larger than 10 MB.',
      retryable: false,
    });
    expect(nextUpload(big, { type: 'retry' })).toBe(big);
    expect(run({ type: 'error', code: 'quota_exceeded', message: '' })).toMatchObject({ retryable: false });
    expect(run({ type: 'error', code: 'unsupported_file', message: '' })).toMatchObject({ retryable: false });
  });

  it('ignores what arrives after the end: cancelled and done are final', () => {
    const cancelled = run({ type: 'progress', sent: 1, total: 9 }, { type: 'cancel' });
    expect(cancelled).toEqual({ phase: 'cancelled' });
    expect(nextUpload(cancelled, { type: 'success', fileId: 'late' })).toBe(cancelled);
    expect(nextUpload(cancelled, { type: 'error', code: 'internal', message: '' })).toBe(cancelled);
    const done = run({ type: 'success', fileId: 'f' });
    expect(nextUpload(done, { type: 'cancel' })).toBe(done);
    expect(nextUpload(done, { type: 'progress', sent: 0, total: 1 })).toBe(done);
  });

  it('keeps a failure until retried (a late progress event does not revive it)', () => {
    const failed = run({ type: 'error', code: 'unavailable', message: '' });
    expect(nextUpload(failed, { type: 'progress', sent: 5, total: 9 })).toBe(failed);
    expect(nextUpload(failed, { type: 'success', fileId: 'x' })).toBe(failed);
  });
});

describe('checkFile', () => {
  it('stops a file over the limit, and an empty one, before any byte is sent', () => {
    expect(checkFile({ size: 10 }, 10)).toBeNull();
    expect(checkFile({ size: 11 }, 10)).toEqual({ code: 'too_large' });
    expect(checkFile({ size: 0 }, 10)).toEqual({ code: 'unsupported_file' });
  });
});
