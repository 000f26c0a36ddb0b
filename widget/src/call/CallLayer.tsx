import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDuration } from '../core/file-format.js';
import type { CallState } from './call-state.js';
import type { CallTranslate } from './strings.js';
import type { TransferView } from './transfers.js';

/** The call on screen: its state and the streams. */
export interface LiveCall {
  state: CallState;
  local: MediaStream | null;
  remote: MediaStream | null;
  muted: boolean;
  cameraOff: boolean;
}

export interface CallActions {
  accept(): void;
  decline(): void;
  hangUp(): void;
  toggleMute(): void;
  toggleCamera(): void;
  close(): void;
  dismissTransfer(id: string): void;
}

interface Props {
  call: LiveCall | null;
  transfers: TransferView[];
  t: CallTranslate;
  actions: CallActions;
}

/** Everything the call chunk shows: the incoming banner or the call, and direct transfers. */
export function CallLayer({ call, transfers, t, actions }: Props) {
  return (
    <>
      {call &&
        (call.state.phase === 'incoming' ? (
          <Banner call={call} t={t} actions={actions} />
        ) : (
          <InCall call={call} t={t} actions={actions} />
        ))}
      {transfers.map((x) => (
        <Transfer key={x.id} transfer={x} t={t} onDismiss={() => actions.dismissTransfer(x.id)} />
      ))}
    </>
  );
}

/** Ringing: who calls, and how; Accept takes the focus (an alert dialog), Decline beside it. */
function Banner({ call, t, actions }: { call: LiveCall; t: CallTranslate; actions: CallActions }) {
  const accept = useRef<HTMLButtonElement>(null);
  useEffect(() => accept.current?.focus(), []);
  const name = call.state.peer.displayName;
  return (
    <div
      class="call-card incoming"
      role="alertdialog"
      aria-labelledby="parley-call-title"
      data-phase="incoming"
      onKeyDown={(e) => {
        if (e.key === 'Escape') actions.decline();
      }}
    >
      <h2 id="parley-call-title">{t(call.state.media === 'video' ? 'incomingVideo' : 'incomingVoice', { name })}</h2>
      <div class="call-controls">
        <button ref={accept} type="button" class="accept" onClick={actions.accept}>
          {t('acceptCall')}
        </button>
        <button type="button" class="danger" onClick={actions.decline}>
          {t('declineCall')}
        </button>
      </div>
    </div>
  );
}

function statusText(call: LiveCall, t: CallTranslate): string {
  const { state } = call;
  const name = state.peer.displayName;
  switch (state.phase) {
    case 'outgoing':
      return t('calling');
    case 'connecting':
      return t('callConnecting');
    case 'connected':
      return t('callConnected');
    case 'reconnecting':
      return t('callReconnecting');
    case 'failed':
      return t('callFailed');
    default:
      switch (state.cause) {
        case 'declined':
          return t('callDeclined');
        case 'timeout':
          return t('callNoAnswer');
        case 'cancelled':
          return t('callCancelled');
        case 'unavailable':
          return t('callUnavailable', { name });
        case 'busy':
          return t('callBusy', { name });
        case 'refused':
          return t('callRefused', { name });
        case 'disconnected':
          return t('callLost');
        case 'media':
          return t('callMediaDenied');
        case 'error':
          return t('callProblem', { reason: state.detail ?? '' });
        default:
          return t('callEnded');
      }
  }
}

/** The call: remote video (or audio), a small local preview, status and timer, and the controls. */
function InCall({ call, t, actions }: { call: LiveCall; t: CallTranslate; actions: CallActions }) {
  const { state } = call;
  const name = state.peer.displayName;
  const video = state.media === 'video';
  const ended = state.phase === 'ended';
  const hangUp = useRef<HTMLButtonElement>(null);
  useEffect(() => hangUp.current?.focus(), []);
  return (
    <section
      class="call-card in-call"
      aria-label={t(video ? 'callWith' : 'voiceCallWith', { name })}
      data-phase={state.phase}
    >
      <h2 dir="auto">{name}</h2>
      {video ? (
        <div class="call-media">
          <Media kind="video" class="remote" stream={call.remote} label={t('remoteVideo', { name })} />
          {call.local && !ended && (
            <Media kind="video" class="local" stream={call.local} muted label={t('localVideo')} />
          )}
        </div>
      ) : (
        <Media kind="audio" stream={call.remote} label={t('voiceCallWith', { name })} />
      )}
      <p class="call-status" data-phase={state.phase}>
        <span role="status">{statusText(call, t)}</span>
        {state.answeredAt !== null && !ended && <Timer since={state.answeredAt} />}
        {ended && state.durationMs !== null && state.answeredAt !== null && (
          <span class="call-timer">{formatDuration(state.durationMs)}</span>
        )}
      </p>
      <div class="call-controls">
        {ended ? (
          <button type="button" onClick={actions.close}>
            {t('close')}
          </button>
        ) : (
          <>
            <button type="button" aria-pressed={call.muted} disabled={!call.local} onClick={actions.toggleMute}>
              {t('mute')}
            </button>
            {video && (
              <button type="button" aria-pressed={call.cameraOff} disabled={!call.local} onClick={actions.toggleCamera}>
                {t('cameraOff')}
              </button>
            )}
            <button ref={hangUp} type="button" class="danger" onClick={actions.hangUp}>
              {t('hangUp')}
            </button>
          </>
        )}
      </div>
    </section>
  );
}

function Media(props: {
  kind: 'video' | 'audio';
  class?: string;
  stream: MediaStream | null;
  muted?: boolean;
  label: string;
}) {
  const el = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  useEffect(() => {
    const media = el.current;
    if (!media || media.srcObject === props.stream) return;
    media.srcObject = props.stream;
    if (props.stream) {
      media.play().catch((err: unknown) => console.warn('[Parley] the call media did not start playing', err));
    }
  }, [props.stream]);
  const Tag = props.kind;
  return <Tag ref={el} class={props.class} autoplay playsInline muted={props.muted} aria-label={props.label} />;
}

/** m:ss since the answer, every second. */
function Timer({ since }: { since: number }) {
  const [now, setNow] = useState(since);
  useEffect(() => {
    setNow(Date.now());
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);
  return (
    <span class="call-timer" role="timer">
      {formatDuration(Math.max(0, now - since))}
    </span>
  );
}

function Transfer({ transfer: x, t, onDismiss }: { transfer: TransferView; t: CallTranslate; onDismiss(): void }) {
  const title = t(x.direction === 'send' ? 'sendingDirect' : 'receivingDirect', { file: x.name, name: x.peerName });
  const note =
    x.state === 'fallback'
      ? t('directFallback', { reason: x.error ?? '' })
      : x.state === 'failed'
        ? t('directFailed', { reason: x.error ?? '' })
        : x.state === 'done'
          ? t(x.direction === 'send' ? 'sentDirect' : 'receivedDirect')
          : null;
  return (
    <div class="call-card transfer" role="group" aria-label={title} data-state={x.state}>
      <p>{title}</p>
      {x.state !== 'done' && x.state !== 'fallback' && x.state !== 'failed' && (
        <progress max={1} value={x.progress} aria-label={title} />
      )}
      {note && <p role="status">{note}</p>}
      {x.url && (
        <a href={x.url} download={x.name} dir="auto">
          {x.name}
        </a>
      )}
      {x.direction === 'receive' && x.state !== 'connecting' && x.state !== 'moving' && (
        <div class="call-controls">
          <button type="button" onClick={onDismiss}>
            {t('dismiss')}
          </button>
        </div>
      )}
    </div>
  );
}
