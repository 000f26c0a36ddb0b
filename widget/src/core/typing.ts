import { conversationKey, localKey } from './conversations.js';
import type { Feature } from './feature.js';

const SEND_EVERY_MS = 3000;
/** A typer not heard of again for this long is shown as stopped. */
const SHOWN_MS = 6000;

export interface Typing {
  /** The user typed in the composer (or stopped): tell the peer or the room, at most every few seconds. */
  typing(key: string, active: boolean): void;
  /** The user sent what they typed: the server and the others take that as stopped. */
  sent(key: string): void;
}

/** Who is typing where (live only, `typing:changed`), and the user's own typing (`typing:set`). */
export const typing: Feature<Typing> = ({ on, request, conversations, onReset }) => {
  const lastSent = new Map<string, number>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const show = (key: string, userId: string, typing: boolean) => {
    const timer = `${key}\u0000${userId}`;
    clearTimeout(timers.get(timer));
    timers.delete(timer);
    if (typing)
      timers.set(
        timer,
        setTimeout(() => show(key, userId, false), SHOWN_MS),
      );
    conversations.dispatch({ type: 'typing', key, userId, typing });
  };

  on('typing:changed', ({ userId, typing, in: where }) => show(localKey(where), userId, typing));
  onReset(() => {
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
    lastSent.clear();
  });

  return {
    typing(key, active) {
      const now = Date.now();
      const last = lastSent.get(key);
      if (active && last !== undefined && now - last < SEND_EVERY_MS) return;
      if (!active && last === undefined) return;
      if (active) lastSent.set(key, now);
      else lastSent.delete(key);
      // Live only; losing one is harmless.
      request('typing:set', { in: conversationKey(key), typing: active }).catch(() => undefined);
    },
    sent: (key) => void lastSent.delete(key),
  };
};
