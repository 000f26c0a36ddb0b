import type { CallEndReason, CallIncoming, CallSignal, IceConfig, UserSummary } from '@parley/backend/protocol';
import type { CallLine } from '../core/call-line.js';
import { createPeer, type Peer } from './call-peer.js';
import {
  chunkRanges,
  createAssembler,
  HIGH_WATER,
  LOW_WATER,
  parseControl,
  sha256Hex,
  type Control,
} from './transfer-chunks.js';

/** What the layer shows of one direct transfer. */
export interface TransferView {
  id: string;
  direction: 'send' | 'receive';
  name: string;
  peerName: string;
  /** `fallback`: the direct link failed; the file goes as a stored upload instead. */
  state: 'connecting' | 'moving' | 'done' | 'fallback' | 'failed';
  progress: number;
  /** The received file (receiver, done). */
  url: string | null;
  error: string | null;
}

/** No open data channel this long after the invite: the sender falls back to the stored upload. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** A finished card stays this long (the receiver's until dismissed with its link). */
const SHOWN_MS = 6000;

interface Entry {
  view: TransferView;
  callId: string | null;
  ice: IceConfig | null;
  peer: Peer | null;
  pending: CallSignal[];
  file?: File;
  peerId: string;
  /** Set once the outcome is known: nothing more happens to it. */
  settled: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

export interface TransfersOptions {
  line: CallLine;
  /** The stored upload (the existing path), for the fallback. */
  upload(peerId: string, file: File): void;
  changed(): void;
}

/**
 * Direct file transfers: `call:invite` with kind `data`; the receiving widget accepts by itself
 * (the server lets only buddies ring); the file goes over an RTCDataChannel in 16 KB messages,
 * then a control message with its SHA-256, which the receiver checks and confirms. Any failure on
 * the sender's side before that confirmation (refused, no channel within 10 s, channel closed
 * early, damaged) sends the file the stored way instead.
 */
export function createTransfers({ line, upload, changed }: TransfersOptions) {
  const entries = new Map<string, Entry>();
  let seq = 0;
  const byCall = (callId: string) => [...entries.values()].find((e) => e.callId === callId);

  const set = (entry: Entry, patch: Partial<TransferView>) => {
    entry.view = { ...entry.view, ...patch };
    changed();
  };
  const dismissLater = (entry: Entry) =>
    setTimeout(() => {
      if (entry.view.url) URL.revokeObjectURL(entry.view.url);
      entries.delete(entry.view.id);
      changed();
    }, SHOWN_MS);

  const teardown = (entry: Entry) => {
    clearTimeout(entry.timer);
    entry.peer?.close();
    entry.peer = null;
  };

  /** The sender's failure: the stored upload takes over (once). */
  const fallBack = (entry: Entry, why: string) => {
    if (entry.settled) return;
    entry.settled = true;
    console.warn(`[Parley] direct transfer of ${entry.view.name} failed (${why}); sending it as an upload`);
    teardown(entry);
    if (entry.callId) void line.request('call:hangup', { callId: entry.callId }).catch(logError('call:hangup'));
    set(entry, { state: 'fallback', error: why });
    upload(entry.peerId, entry.file!);
    dismissLater(entry);
  };
  const logError = (what: string) => (err: unknown) => console.error(`[Parley] ${what} failed`, err);

  const peerFor = (entry: Entry, onChannel?: (c: RTCDataChannel) => void) => {
    const callId = entry.callId!;
    entry.peer = createPeer({
      ice: entry.ice!,
      send: (signal) => void line.request('call:signal', { callId, signal }).catch(logError('call:signal')),
      onState: (state) => {
        if (state === 'failed') onFailure(entry, 'the connection failed');
      },
      ...(onChannel ? { onDataChannel: onChannel } : {}),
      onError: (err) => onFailure(entry, err instanceof Error ? err.message : String(err)),
    });
    for (const s of entry.pending.splice(0)) entry.peer.handle(s);
    return entry.peer;
  };
  const onFailure = (entry: Entry, why: string) => {
    if (entry.view.direction === 'send') return fallBack(entry, why);
    if (entry.settled) return;
    entry.settled = true;
    teardown(entry);
    set(entry, { state: 'failed', error: why });
    dismissLater(entry);
  };

  /** Sends every chunk, pausing while the channel's buffer is full, then the SHA-256. */
  const pump = async (entry: Entry, channel: RTCDataChannel) => {
    const file = entry.file!;
    channel.bufferedAmountLowThreshold = LOW_WATER;
    const hash = sha256Hex(file);
    let sent = 0;
    for (const [start, end] of chunkRanges(file.size)) {
      if (entry.settled) return;
      if (channel.bufferedAmount > HIGH_WATER) {
        await new Promise<void>((resolve) =>
          channel.addEventListener('bufferedamountlow', () => resolve(), { once: true }),
        );
      }
      if (channel.readyState !== 'open') throw new Error('the channel closed early');
      channel.send(await file.slice(start, end).arrayBuffer());
      sent = end;
      set(entry, { progress: sent / file.size });
    }
    channel.send(JSON.stringify({ type: 'done', sha256: await hash } satisfies Control));
  };

  return {
    owns: (callId: string) => byCall(callId) !== undefined,
    list: () => [...entries.values()].map((e) => e.view),

    /** Offers `file` to `to` directly; the stored upload takes over if that fails. */
    async send(to: UserSummary, file: File) {
      const entry: Entry = {
        view: {
          id: `t${++seq}`,
          direction: 'send',
          name: file.name,
          peerName: to.displayName,
          state: 'connecting',
          progress: 0,
          url: null,
          error: null,
        },
        callId: null,
        ice: null,
        peer: null,
        pending: [],
        file,
        peerId: to.id,
        settled: false,
      };
      entries.set(entry.view.id, entry);
      changed();
      entry.timer = setTimeout(() => fallBack(entry, 'no direct connection in time'), CONNECT_TIMEOUT_MS);
      try {
        const reply = await line.request('call:invite', {
          to: to.id,
          kind: 'data',
          transfer: { name: file.name, size: file.size, mime: file.type || 'application/octet-stream' },
        });
        entry.callId = reply.callId;
        entry.ice = reply.ice;
        if (entry.settled) void line.request('call:hangup', { callId: reply.callId }).catch(logError('call:hangup'));
      } catch (err) {
        fallBack(entry, (err as { code?: string }).code ?? (err as Error).message);
      }
    },

    /** The receiver accepted: connect, open the channel, send. */
    accepted(callId: string) {
      const entry = byCall(callId)!;
      if (entry.settled) return;
      const peer = peerFor(entry);
      const channel = peer.pc.createDataChannel('file', { ordered: true });
      channel.binaryType = 'arraybuffer';
      channel.addEventListener('open', () => {
        clearTimeout(entry.timer);
        set(entry, { state: 'moving' });
        pump(entry, channel).catch((err: unknown) => fallBack(entry, err instanceof Error ? err.message : String(err)));
      });
      channel.addEventListener('message', (e: MessageEvent<unknown>) => {
        const control = typeof e.data === 'string' ? parseControl(e.data) : null;
        if (control?.type === 'verified') {
          entry.settled = true;
          teardown(entry);
          set(entry, { state: 'done', progress: 1 });
          void line.request('call:hangup', { callId }).catch(logError('call:hangup'));
          dismissLater(entry);
        } else if (control?.type === 'corrupt') fallBack(entry, 'the file arrived damaged');
      });
      channel.addEventListener('close', () => fallBack(entry, 'the channel closed early'));
      peer.offer();
    },

    /** A buddy offers a file: accept it by ourselves and receive it. */
    incoming(data: CallIncoming) {
      const offer = data.transfer;
      if (!offer) return;
      const entry: Entry = {
        view: {
          id: `t${++seq}`,
          direction: 'receive',
          name: offer.name,
          peerName: data.from.displayName,
          state: 'connecting',
          progress: 0,
          url: null,
          error: null,
        },
        callId: data.callId,
        ice: data.ice,
        peer: null,
        pending: [],
        peerId: data.from.id,
        settled: false,
      };
      entries.set(entry.view.id, entry);
      changed();
      line.request('call:answer', { callId: data.callId, accept: true }).then(
        (reply) => {
          if (reply.ice) entry.ice = reply.ice;
          if (entry.settled) return;
          peerFor(entry, (channel) => {
            channel.binaryType = 'arraybuffer';
            const parts = createAssembler(offer.size, offer.mime);
            set(entry, { state: 'moving' });
            channel.addEventListener('message', (e: MessageEvent<ArrayBuffer | string>) => {
              if (typeof e.data !== 'string') {
                try {
                  set(entry, { progress: parts.add(e.data) });
                } catch (err) {
                  channel.send(JSON.stringify({ type: 'corrupt' } satisfies Control));
                  onFailure(entry, (err as Error).message);
                }
                return;
              }
              const control = parseControl(e.data);
              if (control?.type !== 'done') return;
              parts.finish(control.sha256).then(
                (blob) => {
                  channel.send(JSON.stringify({ type: 'verified' } satisfies Control));
                  entry.settled = true;
                  set(entry, { state: 'done', progress: 1, url: URL.createObjectURL(blob) });
                },
                (err: unknown) => {
                  channel.send(JSON.stringify({ type: 'corrupt' } satisfies Control));
                  onFailure(entry, (err as Error).message);
                },
              );
            });
            channel.addEventListener('close', () => {
              if (!entry.settled) onFailure(entry, 'the channel closed early');
            });
          });
        },
        (err: unknown) => onFailure(entry, (err as Error).message),
      );
    },

    signal(callId: string, signal: CallSignal) {
      const entry = byCall(callId)!;
      if (entry.peer) entry.peer.handle(signal);
      else entry.pending.push(signal);
    },

    ended(callId: string, reason: CallEndReason) {
      const entry = byCall(callId)!;
      // The sender hangs up once the receiver confirmed: that is the normal end.
      if (!entry.settled) onFailure(entry, `the transfer ended (${reason})`);
      else teardown(entry);
    },

    /** The receiver's card goes with its link. */
    dismiss(id: string) {
      const entry = entries.get(id);
      if (!entry) return;
      if (entry.view.url) URL.revokeObjectURL(entry.view.url);
      entries.delete(id);
      changed();
    },

    stop() {
      for (const entry of entries.values()) {
        entry.settled = true;
        teardown(entry);
        if (entry.view.url) URL.revokeObjectURL(entry.view.url);
      }
      entries.clear();
    },
  };
}
export type Transfers = ReturnType<typeof createTransfers>;
