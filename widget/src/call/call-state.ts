import type { CallEndReason, CallMedia, UserSummary } from '@parley/backend/protocol';

/**
 * One call as the screen shows it, and how it moves: a pure reducer, unit-tested
 * (call-state.test.ts). The WebRTC side (call-peer.ts) and the server's events feed it actions.
 *
 * outgoing (ringing the callee) → connecting (answered; media being negotiated) → connected ⇄
 * reconnecting; incoming (ringing here) → connecting …; any → ended (with why).
 */
export type CallPhase = 'outgoing' | 'incoming' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'ended';

/** Why the call is over as this device tells it: the server's reason, or a refusal of the invite. */
export type EndCause = CallEndReason | 'unavailable' | 'busy' | 'refused' | 'media' | 'error';

export interface CallState {
  callId: string | null;
  peer: UserSummary;
  media: CallMedia;
  direction: 'out' | 'in';
  phase: CallPhase;
  /** When the call was answered (ms since epoch): the timer counts from here. */
  answeredAt: number | null;
  /** Set once ended. */
  cause: EndCause | null;
  /** A server message or an error's text, for `error`. */
  detail: string | null;
  durationMs: number | null;
}

export type CallAction =
  | { type: 'invited'; callId: string }
  | { type: 'accepted'; at: number }
  | { type: 'connection'; state: RTCPeerConnectionState }
  | { type: 'ended'; cause: EndCause; detail?: string; durationMs?: number; at: number };

export const outgoing = (peer: UserSummary, media: CallMedia): CallState => ({
  callId: null,
  peer,
  media,
  direction: 'out',
  phase: 'outgoing',
  answeredAt: null,
  cause: null,
  detail: null,
  durationMs: null,
});

export const incoming = (callId: string, peer: UserSummary, media: CallMedia): CallState => ({
  ...outgoing(peer, media),
  callId,
  direction: 'in',
  phase: 'incoming',
});

/** The invite's refusal codes (call:invite) as the cause shown. */
export function refusalCause(code: string | undefined): EndCause {
  switch (code) {
    case 'callee_unavailable':
      return 'unavailable';
    case 'callee_busy':
      return 'busy';
    case 'forbidden':
    case 'blocked':
    case 'not_found':
      return 'refused';
    default:
      return 'error';
  }
}

export function reduceCall(state: CallState, action: CallAction): CallState {
  if (state.phase === 'ended') return state; // nothing revives an ended call
  switch (action.type) {
    case 'invited':
      return state.phase === 'outgoing' ? { ...state, callId: action.callId } : state;
    case 'accepted':
      return state.phase === 'outgoing' || state.phase === 'incoming'
        ? { ...state, phase: 'connecting', answeredAt: action.at }
        : state;
    case 'connection': {
      if (state.phase === 'outgoing' || state.phase === 'incoming') return state;
      const phase: CallPhase | null =
        action.state === 'connected'
          ? 'connected'
          : action.state === 'disconnected'
            ? 'reconnecting'
            : action.state === 'failed'
              ? 'failed'
              : action.state === 'connecting' || action.state === 'new'
                ? state.phase === 'connected' || state.phase === 'reconnecting'
                  ? 'reconnecting'
                  : 'connecting'
                : null;
      return phase && phase !== state.phase ? { ...state, phase } : state;
    }
    case 'ended':
      return {
        ...state,
        phase: 'ended',
        cause: action.cause,
        detail: action.detail ?? null,
        durationMs: action.durationMs ?? (state.answeredAt === null ? null : action.at - state.answeredAt),
      };
  }
}

/** Calls that end without anything worth telling on this device close at once. */
export const closesSilently = (state: CallState) =>
  state.phase === 'ended' &&
  (state.cause === 'answered_elsewhere' || (state.direction === 'in' && state.answeredAt === null));
