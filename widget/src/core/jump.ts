import { batch, signal, type ReadonlySignal } from '@preact/signals-core';
import { conversationKey, keyOfMessage, localKey } from './conversations.js';
import type { Feature } from './feature.js';
import { joinAction, joinsTail, reduceJumps, type JumpAction, type Jumps } from './history-window.js';

/** Messages on each side of a jump target (the server allows up to Limits.aroundPageMax). */
const AROUND = 25;
/** Messages per page when the window grows up or down. */
const PAGE = 50;

export interface JumpApi {
  /** Per conversation (local key): the message jumped to, and the window of history around it. */
  jumps: ReadonlySignal<Jumps>;
  /**
   * Shows the message `messageId` of the conversation `key` in its place, highlighted: where it is
   * loaded already, it is only marked; otherwise the messages around it are loaded and shown
   * instead of the newest ones until the user returns (see {@link JumpApi.jumpToLatest}).
   *
   * @example client.jumpTo(peerId, reply.replyTo.id) // a quote jumps to what it quotes
   */
  jumpTo(key: string, messageId: string): Promise<void>;
  /** Loads the next page above (`older`) or below (`newer`) the window shown in `key`, if any. */
  pageWindow(key: string, direction: 'older' | 'newer'): Promise<void>;
  /** Back to the newest messages: the window closes, the highlight goes. */
  jumpToLatest(key: string): void;
}

/**
 * Jump to a message, however far back (a search result, a reply's quote): the state is the pure
 * reducer of history-window.ts; this feature asks the server (`message:around`, `message:history`
 * with `before` or `after`), joins a window to the tail when they meet, and keeps the window's
 * messages current when they are edited, deleted or hidden.
 */
export const jump: Feature<JumpApi> = ({ on, request, me, conversations, onReset }) => {
  const jumps = signal<Jumps>(new Map());
  const dispatch = (action: JumpAction) => void (jumps.value = reduceJumps(jumps.value, action));

  /** The window of `key` and the tail have met: one stretch from now on. */
  const joinIfMet = (key: string) => {
    const w = jumps.value.get(key)?.window;
    const tail = conversations.state.value.get(key);
    if (!w || !joinsTail(w, tail)) return;
    batch(() => {
      conversations.dispatch(joinAction(key, w, tail));
      dispatch({ type: 'joined', key });
    });
  };

  const codeOf = (err: unknown) => (err as { code?: string }).code ?? 'unavailable';

  // Edits, deletions and reactions reach messages in a window too (the tail has its own path).
  on('inbox:entry', (entry) => {
    const user = me.value?.id;
    if (!user) return;
    if (entry.kind === 'change') {
      const { message } = entry.change;
      dispatch({ type: 'changed', key: keyOfMessage(message, user), message });
    } else if (entry.kind === 'hidden') {
      dispatch({ type: 'hidden', key: localKey(entry.hidden.in), messageId: entry.hidden.messageId });
    }
  });
  onReset(() => dispatch({ type: 'reset' }));

  return {
    jumps,
    async jumpTo(key, messageId) {
      const current = jumps.value.get(key);
      if (current?.window?.messages.some((m) => m.id === messageId)) {
        return dispatch({ type: 'target', key, messageId, inWindow: true });
      }
      if (conversations.state.value.get(key)?.messages.some((m) => m.id === messageId)) {
        return dispatch({ type: 'target', key, messageId, inWindow: false });
      }
      dispatch({ type: 'opening', key, messageId });
      try {
        const around = await request('message:around', { in: conversationKey(key), messageId, limit: AROUND });
        dispatch({ type: 'opened', key, messageId, ...around });
        joinIfMet(key);
      } catch (err) {
        const error = codeOf(err);
        // Gone (deleted, or hidden by the user) is an answer the view shows; anything else is worth a log.
        if (error !== 'not_found') console.warn('[Parley] could not load the message to jump to', err);
        dispatch({ type: 'failed', key, messageId, error });
      }
    },
    async pageWindow(key, direction) {
      const w = jumps.value.get(key)?.window;
      if (!w || w.loading || !(direction === 'older' ? w.hasOlder : w.hasNewer)) return;
      const edge = (direction === 'older' ? w.messages[0] : w.messages.at(-1))?.id;
      if (!edge) return;
      dispatch({ type: 'paging', key, direction, edge });
      try {
        const page = await request('message:history', {
          in: conversationKey(key),
          ...(direction === 'older' ? { before: edge } : { after: edge }),
          limit: PAGE,
        });
        dispatch({ type: 'page', key, direction, edge, messages: page.messages, hasMore: page.hasMore });
        joinIfMet(key);
      } catch (err) {
        console.warn('[Parley] could not load history', err);
        dispatch({ type: 'page-failed', key, direction, edge });
      }
    },
    jumpToLatest(key) {
      dispatch({ type: 'latest', key });
    },
  };
};
