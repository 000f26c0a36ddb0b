/**
 * The call chunk, loaded on demand by the core (runtime.ts) when the user starts a call or one
 * rings: the WebRTC connection, the camera and microphone, the incoming-call banner with its ring,
 * and the in-call view. It renders into a layer of its own in the widget's shadow root, above the
 * page, so it works with the panel closed (or never loaded).
 */
import { effect, signal } from '@preact/signals-core';
import type { CallIncoming, CallMedia, CallSignal, IceConfig, UserSummary } from '@parley/backend/protocol';
import { render } from 'preact';
import type { CallEvent, CallLine } from '../core/call-line.js';
import { createPeer, type Peer } from './call-peer.js';
import {
  closesSilently,
  incoming,
  outgoing,
  reduceCall,
  refusalCause,
  type CallAction,
  type EndCause,
} from './call-state.js';
import { textDirection } from '../i18n.js';
import { CallLayer, type LiveCall } from './CallLayer.js';
import css from './call.css?inline';
import { startRing } from './ring.js';
import { callTranslator } from './strings.js';
import { createTransfers, type Transfers } from './transfers.js';

export interface CallsOptions {
  line: CallLine;
  locale: { readonly value: string };
  /** Where the layer goes: the widget's shadow root. */
  root: ShadowRoot;
  /** The stored upload, for a direct transfer that fails. */
  upload(peerId: string, file: File): void;
}

/** How long an ended call stays on screen with its reason. */
const ENDED_SHOWN_MS = 5000;

export function startCalls({ line, locale, root, upload }: CallsOptions) {
  const live = signal<LiveCall | null>(null);
  let peer: Peer | null = null;
  let ice: IceConfig | null = null;
  let local: Promise<MediaStream> | null = null;
  let pending: CallSignal[] = [];
  let stopRing: () => void = () => undefined;
  let clearTimer: ReturnType<typeof setTimeout> | undefined;
  /** Who had the focus before the layer took it, to give it back. */
  let returnFocus: HTMLElement | null = null;

  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  const layer = document.createElement('div');
  layer.className = 'call-layer';
  root.append(layer);

  const transfers: Transfers = createTransfers({ line, upload, changed: () => draw() });

  const update = (patch: Partial<LiveCall>) => {
    if (live.value) live.value = { ...live.value, ...patch };
  };
  const dispatch = (action: CallAction) => {
    if (live.value) update({ state: reduceCall(live.value.state, action) });
  };
  const busy = () => live.value !== null && live.value.state.phase !== 'ended';
  const isThis = (callId: string) => live.value?.state.callId === callId;

  const takeFocus = () => {
    const active = root.activeElement ?? document.activeElement;
    if (!returnFocus && active instanceof HTMLElement && !layer.contains(active)) returnFocus = active;
  };
  const close = () => {
    clearTimeout(clearTimer);
    const hadFocus = layer.contains(root.activeElement);
    live.value = null;
    if (hadFocus && returnFocus?.isConnected) returnFocus.focus();
    returnFocus = null;
  };

  /** Ends the call here: connection, media and ring stop; the reason stays on screen a moment. */
  const end = (cause: EndCause, extra: { detail?: string; durationMs?: number; silent?: boolean } = {}) => {
    stopRing();
    stopRing = () => undefined;
    peer?.close();
    peer = null;
    pending = [];
    ice = null;
    const media = local;
    local = null;
    void media?.then(
      (stream) => stream.getTracks().forEach((t) => t.stop()),
      () => undefined, // the failure was shown when it happened
    );
    const current = live.value;
    if (!current) return;
    dispatch({ type: 'ended', cause, at: Date.now(), ...extra });
    update({ local: null, remote: null });
    if (extra.silent || closesSilently(live.value!.state)) return close();
    clearTimeout(clearTimer);
    clearTimer = setTimeout(() => {
      if (live.value?.state.phase === 'ended') close();
    }, ENDED_SHOWN_MS);
  };

  const getMedia = (media: CallMedia) => {
    const asked = navigator.mediaDevices.getUserMedia({ audio: true, video: media === 'video' });
    asked.then(
      (stream) => {
        if (local === asked) update({ local: stream });
      },
      (err: unknown) => {
        console.error('[Parley] camera or microphone refused', err);
        if (local === asked) void hangUp('media');
      },
    );
    return asked;
  };

  /** The connection, once both media and ICE servers are there; signals that came early go in. */
  const connect = async (caller: boolean) => {
    const media = local;
    if (!media || !ice) return;
    const stream = await media;
    if (local !== media || !ice) return; // ended meanwhile
    const callId = live.value!.state.callId!;
    peer = createPeer({
      ice,
      send: (signal) =>
        void line.request('call:signal', { callId, signal }).catch((err: unknown) => {
          console.error('[Parley] call:signal failed', err);
        }),
      onState: (state) => {
        dispatch({ type: 'connection', state });
      },
      onTrack: (remote) => update({ remote }),
      onError: (err) => {
        console.error('[Parley] the call could not be set up', err);
        void hangUp('error', err instanceof Error ? err.message : String(err));
      },
    });
    for (const track of stream.getTracks()) peer.pc.addTrack(track, stream);
    for (const s of pending.splice(0)) peer.handle(s);
    if (caller) peer.offer();
  };

  /** This side ends the call: a cancel before the answer, a hang-up after (or a decline). */
  const hangUp = async (cause: EndCause = 'hangup', detail?: string) => {
    const state = live.value?.state;
    if (!state || state.phase === 'ended') return close();
    const callId = state.callId;
    end(cause, { ...(detail ? { detail } : {}), silent: cause === 'hangup' });
    if (callId) {
      await line.request('call:hangup', { callId }).catch((err: unknown) => {
        console.error('[Parley] call:hangup failed', err);
      });
    }
  };

  const calls = {
    /** Calls a buddy: rings all their devices; the camera and microphone start meanwhile. */
    async start(to: UserSummary, media: CallMedia) {
      if (busy()) return;
      clearTimeout(clearTimer);
      takeFocus();
      live.value = { state: outgoing(to, media), local: null, remote: null, muted: false, cameraOff: false };
      const asked = getMedia(media);
      local = asked;
      try {
        const reply = await line.request('call:invite', { to: to.id, kind: media });
        if (local !== asked) {
          // Hung up before the server answered: cancel the call it has just made.
          await line.request('call:hangup', { callId: reply.callId });
          return;
        }
        ice = reply.ice;
        dispatch({ type: 'invited', callId: reply.callId });
      } catch (err) {
        const code = (err as { code?: string }).code;
        console.warn('[Parley] call:invite refused', err);
        if (local === asked) end(refusalCause(code), { detail: (err as Error).message });
      }
    },
    accept() {
      const state = live.value?.state;
      if (!state || state.phase !== 'incoming' || !state.callId) return;
      stopRing();
      stopRing = () => undefined;
      dispatch({ type: 'accepted', at: Date.now() });
      const asked = getMedia(state.media);
      local = asked;
      const callId = state.callId;
      line.request('call:answer', { callId, accept: true }).then(
        (reply) => {
          if (!isThis(callId)) return;
          if (reply.ice) ice = reply.ice;
          void connect(false);
        },
        (err: unknown) => {
          console.error('[Parley] call:answer failed', err);
          if (isThis(callId)) end('error', { detail: (err as Error).message });
        },
      );
    },
    decline() {
      const state = live.value?.state;
      if (!state?.callId) return;
      const callId = state.callId;
      end('declined', { silent: true });
      void line.request('call:answer', { callId, accept: false }).catch((err: unknown) => {
        console.error('[Parley] call:answer (decline) failed', err);
      });
    },
    hangUp: () => void hangUp(),
    toggleMute() {
      const call = live.value;
      if (!call?.local) return;
      for (const t of call.local.getAudioTracks()) t.enabled = call.muted;
      update({ muted: !call.muted });
    },
    toggleCamera() {
      const call = live.value;
      if (!call?.local) return;
      for (const t of call.local.getVideoTracks()) t.enabled = call.cameraOff;
      update({ cameraOff: !call.cameraOff });
    },
    close,
    /** Sends a file straight to an online buddy; falls back to the stored upload when that fails. */
    sendDirect: transfers.send,
    dismissTransfer: transfers.dismiss,
  };

  const ring = (data: CallIncoming) => {
    if (data.kind === 'data') return transfers.incoming(data);
    if (busy()) return; // the server says busy to the caller; this device keeps its call
    clearTimeout(clearTimer);
    takeFocus();
    ice = data.ice;
    pending = [];
    live.value = {
      state: incoming(data.callId, data.from, data.kind),
      local: null,
      remote: null,
      muted: false,
      cameraOff: false,
    };
    stopRing = startRing();
  };

  const draw = () => {
    // Mirrored for a right-to-left locale, like the panel; the layer keeps its corner.
    layer.dir = textDirection(locale.value);
    layer.lang = locale.value;
    render(
      <CallLayer call={live.value} transfers={transfers.list()} t={callTranslator(locale.value)} actions={calls} />,
      layer,
    );
  };
  const stopDrawing = effect(draw);
  // Last: events held by the core (the call that woke this chunk) are delivered at once.
  line.attach((e: CallEvent) => {
    switch (e.event) {
      case 'call:incoming':
        return ring(e.data);
      case 'call:accepted':
        if (transfers.owns(e.data.callId)) return transfers.accepted(e.data.callId);
        if (!isThis(e.data.callId)) return;
        dispatch({ type: 'accepted', at: Date.now() });
        return void connect(true);
      case 'call:signal':
        if (transfers.owns(e.data.callId)) return transfers.signal(e.data.callId, e.data.signal);
        if (!isThis(e.data.callId)) return;
        if (peer) peer.handle(e.data.signal);
        else pending.push(e.data.signal);
        return;
      case 'reset':
        transfers.stop();
        if (live.value) end('disconnected', { silent: true });
        return draw();
      case 'call:ended':
        if (transfers.owns(e.data.callId)) return transfers.ended(e.data.callId, e.data.reason);
        if (!isThis(e.data.callId)) return;
        return end(e.data.reason, e.data.durationMs === undefined ? {} : { durationMs: e.data.durationMs });
    }
  });

  return {
    ...calls,
    stop() {
      void hangUp();
      transfers.stop();
      stopDrawing();
      render(null, layer);
      layer.remove();
      root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== sheet);
    },
  };
}
export type Calls = ReturnType<typeof startCalls>;
