/**
 * The voice recorder, an on-demand chunk (ChatView imports it when the microphone is first
 * pressed): MediaRecorder with Opus in WebM, a running timer, and a hard stop at the limit. It
 * measures the length itself (performance.now from the recorder's start to the stop), because
 * Chromium writes no duration into MediaRecorder's WebM and reports it as Infinity.
 */
import { useEffect, useState } from 'preact/hooks';
import { formatDuration } from '../core/file-format.js';

export interface Recorded {
  blob: Blob;
  /** From the recorder's start event to the stop, in milliseconds. */
  durationMs: number;
}

export interface Recording {
  /** performance.now() when the recorder started. */
  startedAt: number;
  /** Stops and hands back the recording. */
  stop(): Promise<Recorded>;
  /** Stops and throws the recording away. */
  cancel(): void;
}

/** Why no recording could start: the user or browser refused the microphone, or cannot record. */
export class RecorderError extends Error {
  constructor(readonly reason: 'denied' | 'unavailable') {
    super(reason === 'denied' ? 'microphone access denied' : 'recording is not available');
  }
}

const MIME = 'audio/webm;codecs=opus';

/** Asks for the microphone and starts recording; `onLimit` is called once `maxMs` have passed. */
export async function startRecording({ maxMs, onLimit }: { maxMs: number; onLimit(): void }): Promise<Recording> {
  if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined')
    throw new RecorderError('unavailable');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) {
    const name = (err as DOMException).name;
    throw new RecorderError(name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'unavailable');
  }
  const release = () => stream.getTracks().forEach((track) => track.stop());
  let recorder: MediaRecorder;
  try {
    recorder = new MediaRecorder(stream, MediaRecorder.isTypeSupported(MIME) ? { mimeType: MIME } : undefined);
  } catch {
    release();
    throw new RecorderError('unavailable');
  }
  const chunks: Blob[] = [];
  recorder.ondataavailable = (e) => {
    if (e.data.size > 0) chunks.push(e.data);
  };
  await new Promise<void>((resolve) => {
    recorder.onstart = () => resolve();
    recorder.start();
  });
  const startedAt = performance.now();
  const limit = setTimeout(onLimit, maxMs);
  const stopped = () =>
    new Promise<void>((resolve) => {
      recorder.onstop = () => resolve();
      if (recorder.state === 'inactive') resolve();
      else recorder.stop();
    });
  return {
    startedAt,
    async stop() {
      const durationMs = Math.min(maxMs, performance.now() - startedAt);
      clearTimeout(limit);
      await stopped();
      release();
      return { blob: new Blob(chunks, { type: recorder.mimeType || 'audio/webm' }), durationMs };
    },
    cancel() {
      clearTimeout(limit);
      void stopped().then(release);
    },
  };
}

/** "Recording 0:03" with a live dot; ticks a few times a second. */
export function RecordingTimer({ startedAt, label }: { startedAt: number; label: string }) {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const id = setInterval(() => setNow(performance.now()), 250);
    return () => clearInterval(id);
  }, []);
  const time = formatDuration(Math.max(0, now - startedAt));
  return (
    <span class="recording" role="timer" aria-label={`${label} ${time}`}>
      <span class="dot" aria-hidden="true" />
      <span aria-hidden="true">
        {label} {time}
      </span>
    </span>
  );
}
