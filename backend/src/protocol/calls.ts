/**
 * Calls: voice and video between two mutual buddies, peer to peer (WebRTC). The server relays the
 * signalling live (never stored) and writes one call-log message per call into the conversation.
 * Re-exported by ./index.ts.
 */
import type { UserSummary } from './basics.js';

export type CallMedia = 'audio' | 'video';
/**
 * What a call invitation is for: a voice or video call, or `data`: a direct file transfer over a
 * data channel (no call log; the file is described in `transfer`).
 */
export type CallKind = CallMedia | 'data';

/** What the conversation keeps of a call (a message of kind `call`, sent as from the caller). */
export interface CallLog {
  callId: string;
  media: CallMedia;
  /**
   * `completed`: answered, then hung up (`durationMs` from answer to hang-up); `missed`: nobody
   * answered in time, the caller gave up, or the callee had no device online; `declined`; `failed`:
   * answered but a device went away without hanging up.
   */
  outcome: 'completed' | 'missed' | 'declined' | 'failed';
  durationMs?: number;
}

/** A file offered over a direct link (`call:invite` with kind `data`). */
export interface TransferOffer {
  name: string;
  size: number;
  mime: string;
}

/** One ICE server as RTCPeerConnection takes it; TURN entries carry short-lived credentials. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** The ICE servers a device uses for a call; TURN credentials stop working at `expiresAt`. */
export interface IceConfig {
  iceServers: IceServer[];
  expiresAt: string | null;
}

/** WebRTC signalling between the two devices of a call, relayed as it is (never stored). */
export type CallSignal =
  | { type: 'offer'; sdp: string }
  | { type: 'answer'; sdp: string }
  | {
      type: 'candidate';
      /** RTCIceCandidateInit; null: end of candidates. */
      candidate: {
        candidate: string;
        sdpMid?: string | null;
        sdpMLineIndex?: number | null;
        usernameFragment?: string | null;
      } | null;
    };

/** A call rings on every device of the callee. */
export interface CallIncoming {
  callId: string;
  from: UserSummary;
  kind: CallKind;
  /** Set for kind `data`: the file offered. */
  transfer?: TransferOffer;
  /** ICE servers for this device, should it accept. */
  ice: IceConfig;
}

/**
 * Why a call is over, as each device hears it: `declined`, `cancelled` (the caller gave up before
 * an answer), `timeout` (nobody answered within 45 s), `hangup` (either side, after an answer),
 * `answered_elsewhere` (to the callee's other devices: they stop ringing), `disconnected` (the
 * other device went away).
 */
export type CallEndReason = 'declined' | 'cancelled' | 'timeout' | 'hangup' | 'answered_elsewhere' | 'disconnected';

export interface CallEnded {
  callId: string;
  reason: CallEndReason;
  /** Answered calls: from the answer to the end. */
  durationMs?: number;
}
