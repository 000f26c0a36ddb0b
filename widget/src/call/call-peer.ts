import type { CallSignal, IceConfig } from '@parley/backend/protocol';

/** A test page may force the relay path: `window.parleyCallTest = { iceTransportPolicy: 'relay' }`. */
interface CallTestHook {
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Filled in by the call chunk when the hook is present: the live connection, for getStats(). */
  pc?: RTCPeerConnection | null;
}
export const testHook = (): CallTestHook | undefined =>
  (globalThis as { parleyCallTest?: CallTestHook }).parleyCallTest;

export interface PeerOptions {
  ice: IceConfig;
  /** Sends a signal to the other device (call:signal). */
  send(signal: CallSignal): void;
  onState(state: RTCPeerConnectionState): void;
  onTrack?(stream: MediaStream): void;
  onDataChannel?(channel: RTCDataChannel): void;
  /** Something in the negotiation failed. */
  onError(err: unknown): void;
}

/**
 * One RTCPeerConnection and its signalling: the caller calls `offer()` after call:accepted, the
 * callee answers the offer that comes in; ICE candidates wait until the remote description is set.
 * Signals are handled one after another, in the order they came.
 */
export function createPeer(options: PeerOptions) {
  const hook = testHook();
  const pc = new RTCPeerConnection({
    iceServers: options.ice.iceServers,
    ...(hook?.iceTransportPolicy ? { iceTransportPolicy: hook.iceTransportPolicy } : {}),
  });
  if (hook) hook.pc = pc;
  const waiting: RTCIceCandidateInit[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  const inOrder = (fn: () => Promise<unknown>) => {
    chain = chain.then(fn).catch(options.onError);
  };
  pc.onicecandidate = (e) =>
    options.send({ type: 'candidate', candidate: e.candidate ? (e.candidate.toJSON() as never) : null });
  pc.onconnectionstatechange = () => options.onState(pc.connectionState);
  pc.ontrack = (e) => options.onTrack?.(e.streams[0] ?? new MediaStream([e.track]));
  pc.ondatachannel = (e) => options.onDataChannel?.(e.channel);
  const flush = async () => {
    for (const c of waiting.splice(0)) await pc.addIceCandidate(c);
  };

  return {
    pc,
    /** The caller's side: make and send the offer. */
    offer() {
      inOrder(async () => {
        await pc.setLocalDescription(await pc.createOffer());
        options.send({ type: 'offer', sdp: pc.localDescription!.sdp });
      });
    },
    handle(signal: CallSignal) {
      inOrder(async () => {
        if (signal.type === 'offer') {
          await pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
          await flush();
          await pc.setLocalDescription(await pc.createAnswer());
          options.send({ type: 'answer', sdp: pc.localDescription!.sdp });
        } else if (signal.type === 'answer') {
          await pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
          await flush();
        } else if (signal.candidate) {
          if (pc.remoteDescription) await pc.addIceCandidate(signal.candidate);
          else waiting.push(signal.candidate);
        }
      });
    },
    close() {
      pc.onconnectionstatechange = null;
      pc.close();
      if (hook?.pc === pc) hook.pc = null;
    },
  };
}
export type Peer = ReturnType<typeof createPeer>;
