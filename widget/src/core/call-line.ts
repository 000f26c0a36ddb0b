import type { ServerToClientEvents } from '@parley/backend/protocol';
import type { Feature } from './feature.js';
import type { Request } from './connection.js';

type CallEventName = 'call:incoming' | 'call:accepted' | 'call:signal' | 'call:ended';
/** One server event of a call, as the call chunk receives it. */
export type CallEvent =
  | {
      [E in CallEventName]: { event: E; data: Parameters<ServerToClientEvents[E]>[0] };
    }[CallEventName]
  /** The user signed out or the session ended: every call and transfer of theirs is over. */
  | { event: 'reset' };

/** What the call chunk gets from the core: requests, and the call events once it is there. */
export interface CallLine {
  request: Request;
  /** The call chunk takes the events from now on; those that came before it loaded first. */
  attach(sink: (e: CallEvent) => void): void;
}

/**
 * The core's half of calls, kept tiny: it listens for the call events from the moment the socket is
 * up (the panel may never load), holds them until the call chunk is there, and asks for that chunk
 * (`wake`) when a call rings. Everything else (WebRTC, media, the banner) is in the chunk.
 */
export const callLine =
  (wake: () => void): Feature<CallLine> =>
  ({ on, request, onReset }) => {
    let sink: ((e: CallEvent) => void) | null = null;
    const held: CallEvent[] = [];
    const deliver = (e: CallEvent) => {
      if (sink) return sink(e);
      held.push(e);
      if (e.event === 'call:incoming') wake();
    };
    on('call:incoming', (data) => deliver({ event: 'call:incoming', data }));
    on('call:accepted', (data) => deliver({ event: 'call:accepted', data }));
    on('call:signal', (data) => deliver({ event: 'call:signal', data }));
    on('call:ended', (data) => deliver({ event: 'call:ended', data }));
    onReset(() => {
      held.length = 0;
      sink?.({ event: 'reset' });
    });
    return {
      request,
      attach(next) {
        sink = next;
        for (const e of held.splice(0)) next(e);
      },
    };
  };
