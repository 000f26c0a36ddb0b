import { Limits } from '@parley/backend/protocol/constants';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useWidget } from './context.js';
import { Icon } from './Icon.js';
import type { Recording } from './VoiceRecorder.js';

type RecorderModule = typeof import('./VoiceRecorder.js');
let recorderModule: Promise<RecorderModule> | null = null;
/** The recorder is an on-demand chunk: loaded the first time the microphone is pressed. */
const loadRecorder = () => {
  recorderModule ??= import('./VoiceRecorder.js');
  recorderModule.catch(() => (recorderModule = null));
  return recorderModule;
};

/** Held at least this long, the microphone records while held and sends on release. */
const HOLD_MS = 400;

/**
 * The microphone button of the composer. Tap (or Enter) to start and again to stop and send, or
 * hold to talk and release to send; while recording, a timer and a Discard button. Stops by itself
 * at Limits.voiceMs and sends what it has. The recording uploads like any file, as a voice message
 * with the length the recorder measured.
 */
export function VoiceButton({ peerId, onRecording }: { peerId: string; onRecording(on: boolean): void }) {
  const { client, t } = useWidget();
  const [shown, setShown] = useState<{ startedAt: number; Timer: RecorderModule['RecordingTimer'] } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const phase = useRef<'idle' | 'starting' | 'recording' | 'stopping'>('idle');
  const recording = useRef<Recording | null>(null);
  const pressedAt = useRef<number | null>(null);
  /** The click that ends the press which started recording is not a second tap. */
  const clickOfPress = useRef(false);
  /** Released after a long hold while the microphone was still starting: send as soon as it has started. */
  const stopWhenStarted = useRef(false);

  // Leaving the chat (or the widget closing) discards a recording in progress.
  useEffect(() => () => recording.current?.cancel(), []);

  const ended = () => {
    phase.current = 'idle';
    setShown(null);
    onRecording(false);
  };

  async function finish(send: boolean): Promise<void> {
    const current = recording.current;
    if (!current || phase.current !== 'recording') return;
    phase.current = 'stopping';
    recording.current = null;
    if (!send) {
      current.cancel();
      ended();
      return;
    }
    try {
      const { blob, durationMs } = await current.stop();
      const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-');
      client.attach(peerId, blob, { name: `voice-${stamp}.webm`, voice: true, durationMs: Math.round(durationMs) });
    } catch (err) {
      console.error('[Parley] the recording could not be finished', err);
      setProblem(t('micUnavailable'));
    }
    ended();
  }

  async function begin(): Promise<void> {
    if (phase.current !== 'idle') return;
    phase.current = 'starting';
    stopWhenStarted.current = false;
    setProblem(null);
    try {
      const module = await loadRecorder();
      const started = await module.startRecording({ maxMs: Limits.voiceMs, onLimit: () => void finish(true) });
      recording.current = started;
      phase.current = 'recording';
      setShown({ startedAt: started.startedAt, Timer: module.RecordingTimer });
      onRecording(true);
      if (stopWhenStarted.current) await finish(true);
    } catch (err) {
      phase.current = 'idle';
      console.warn('[Parley] no voice recording', err);
      setProblem((err as { reason?: string }).reason === 'denied' ? t('micDenied') : t('micUnavailable'));
    }
  }

  const isRecording = shown !== null;
  return (
    <>
      {problem && (
        <p class="composer-notice" role="alert">
          {problem}
        </p>
      )}
      {shown && (
        <>
          <button type="button" class="icon" aria-label={t('cancelRecording')} onClick={() => void finish(false)}>
            ×
          </button>
          <shown.Timer startedAt={shown.startedAt} label={t('recording')} />
        </>
      )}
      <button
        type="button"
        class={`icon mic${isRecording ? ' on' : ''}`}
        aria-label={isRecording ? t('stopAndSend') : t('recordVoice')}
        onPointerDown={(e) => {
          if (e.button !== 0 || phase.current !== 'idle') return;
          pressedAt.current = performance.now();
          clickOfPress.current = true;
          e.currentTarget.setPointerCapture?.(e.pointerId);
          void begin();
        }}
        onPointerUp={() => {
          const at = pressedAt.current;
          pressedAt.current = null;
          if (at === null || performance.now() - at < HOLD_MS) return; // a tap: keeps recording
          if (phase.current === 'recording') void finish(true);
          else if (phase.current === 'starting') stopWhenStarted.current = true;
        }}
        onContextMenu={(e) => e.preventDefault()}
        onClick={() => {
          if (clickOfPress.current) {
            clickOfPress.current = false;
            return;
          }
          // The keyboard, or a second tap.
          if (phase.current === 'idle') void begin();
          else if (phase.current === 'recording') void finish(true);
        }}
      >
        {isRecording ? (
          <Icon class="flip-rtl" filled d="M4 12 20 4l-4 16-4-6z" />
        ) : (
          <Icon d="M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3zM5 11a7 7 0 0 0 14 0M12 18v3" />
        )}
      </button>
    </>
  );
}
