import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecorderError, startRecording } from './VoiceRecorder.js';

/** MediaRecorder as far as the recorder uses it: start and stop events, one chunk of data. */
class FakeRecorder {
  static isTypeSupported = (type: string) => type === 'audio/webm;codecs=opus';
  state: 'inactive' | 'recording' = 'inactive';
  mimeType: string;
  onstart: (() => void) | null = null;
  onstop: (() => void) | null = null;
  ondataavailable: ((e: { data: Blob }) => void) | null = null;
  constructor(_stream: unknown, options?: { mimeType?: string }) {
    this.mimeType = options?.mimeType ?? '';
  }
  start() {
    this.state = 'recording';
    queueMicrotask(() => this.onstart?.());
  }
  stop() {
    this.state = 'inactive';
    this.ondataavailable?.({ data: new Blob(['opus'], { type: this.mimeType }) });
    queueMicrotask(() => this.onstop?.());
  }
}

const track = { stop: vi.fn() };
let getUserMedia: ReturnType<typeof vi.fn>;

beforeEach(() => {
  vi.useFakeTimers();
  getUserMedia = vi.fn(async () => ({ getTracks: () => [track] }));
  vi.stubGlobal('navigator', { mediaDevices: { getUserMedia } });
  vi.stubGlobal('MediaRecorder', FakeRecorder);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  track.stop.mockClear();
});

describe('the voice recorder', () => {
  it('measures the length itself, from its start to the stop, and releases the microphone', async () => {
    const recording = await startRecording({ maxMs: 300_000, onLimit: () => {} });
    vi.advanceTimersByTime(2_000);
    const { blob, durationMs } = await recording.stop();
    expect(durationMs).toBeGreaterThanOrEqual(1_990);
    expect(durationMs).toBeLessThan(2_100);
    expect(blob.type).toBe('audio/webm;codecs=opus');
    expect(track.stop).toHaveBeenCalled();
  });

  it('calls for the hard stop at the limit, and never reports more than the limit', async () => {
    const onLimit = vi.fn();
    const recording = await startRecording({ maxMs: 1_000, onLimit });
    vi.advanceTimersByTime(999);
    expect(onLimit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onLimit).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500); // the stop arrives a little late
    expect((await recording.stop()).durationMs).toBe(1_000);
  });

  it('says "denied" when the microphone is refused, "unavailable" without MediaRecorder', async () => {
    getUserMedia.mockRejectedValueOnce(Object.assign(new Error('no'), { name: 'NotAllowedError' }));
    await expect(startRecording({ maxMs: 1_000, onLimit: () => {} })).rejects.toEqual(new RecorderError('denied'));
    vi.stubGlobal('MediaRecorder', undefined);
    await expect(startRecording({ maxMs: 1_000, onLimit: () => {} })).rejects.toMatchObject({ reason: 'unavailable' });
  });
});
