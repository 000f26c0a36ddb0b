import type { ChatMessage } from '@parley/backend/protocol';
import type { Conversation, ConversationAction } from './conversations.js';

/**
 * Jumping to a message, as a pure reducer beside the conversations' one (conversations.ts).
 *
 * A conversation normally shows its live tail: the newest messages, older pages added as the user
 * scrolls up. A jump to a message the tail holds only marks it (the target). A jump to one further
 * back opens a window: the messages around it (`message:around`), paged on both sides
 * (`message:history` with `before` and `after`) while the tail stays as it is and keeps receiving
 * new messages. Once the window reaches the tail (pages overlap, or nothing is newer), the two are
 * one stretch: the window's messages join the tail (see {@link joinAction}) and the window closes.
 */

/** A stored message, as the view shows it (a ShownMessage) and the protocol names it (a ChatMessage). */
export type StoredMessage = ChatMessage & { state: 'sent' };

/** A stretch of history around a jump target, not joined to the live tail (yet). */
export interface HistoryWindow {
  /** Oldest first. */
  messages: StoredMessage[];
  hasOlder: boolean;
  hasNewer: boolean;
  /** A page being loaded on that side. */
  loading: 'older' | 'newer' | null;
}

export interface Jump {
  /** The message jumped to (highlighted), if any. */
  target: string | null;
  /** Counts jumps, so the view scrolls to the target again when the same one is chosen twice. */
  nonce: number;
  /** The message whose surroundings are being loaded (the window opens when they come). */
  opening: string | null;
  /** History around the target, when the tail does not hold it; null shows the tail. */
  window: HistoryWindow | null;
  /** Why the last jump failed (an error code, e.g. `not_found`), until the next one. */
  error: string | null;
}

export type Jumps = ReadonlyMap<string, Jump>;

export type JumpAction =
  /** Highlight a message already on hand: in the window (`inWindow`), or in the tail (the window closes). */
  | { type: 'target'; key: string; messageId: string; inWindow: boolean }
  /** Loading the surroundings of a message the view does not hold. */
  | { type: 'opening'; key: string; messageId: string }
  /** The answer to `message:around` (ignored unless it is for the jump still under way). */
  | { type: 'opened'; key: string; messageId: string; messages: ChatMessage[]; hasOlder: boolean; hasNewer: boolean }
  | { type: 'failed'; key: string; messageId: string; error: string }
  /** Loading the page beyond `edge`, the window's oldest (`older`) or newest (`newer`) message. */
  | { type: 'paging'; key: string; direction: 'older' | 'newer'; edge: string }
  /** That page (ignored if the window has changed since); `hasMore`: there is more beyond it. */
  | { type: 'page'; key: string; direction: 'older' | 'newer'; edge: string; messages: ChatMessage[]; hasMore: boolean }
  | { type: 'page-failed'; key: string; direction: 'older' | 'newer'; edge: string }
  /** A message changed (edit, deletion, reaction): the copy with the higher `rev` wins. */
  | { type: 'changed'; key: string; message: ChatMessage }
  /** The user deleted a message for themselves. */
  | { type: 'hidden'; key: string; messageId: string }
  /** The window joined the tail: the tail shows everything now; the target stays highlighted. */
  | { type: 'joined'; key: string }
  /** Back to the live tail: no window, no target. */
  | { type: 'latest'; key: string }
  | { type: 'reset' };

const idle: Jump = { target: null, nonce: 0, opening: null, window: null, error: null };
const sent = (m: ChatMessage): StoredMessage => ({ ...m, state: 'sent' });
const edgeOf = (w: HistoryWindow, direction: 'older' | 'newer') =>
  (direction === 'older' ? w.messages[0] : w.messages.at(-1))?.id ?? null;

/** `incoming` added to `messages` (by id, the higher `rev` winning), oldest first. */
function merge(messages: StoredMessage[], incoming: ChatMessage[]): StoredMessage[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  for (const m of incoming) {
    const known = byId.get(m.id);
    if (!known || (m.rev ?? 0) >= (known.rev ?? 0)) byId.set(m.id, sent(m));
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function next(j: Jump, action: Exclude<JumpAction, { type: 'reset' }>): Jump {
  const w = j.window;
  switch (action.type) {
    case 'target':
      return {
        target: action.messageId,
        nonce: j.nonce + 1,
        opening: null,
        window: action.inWindow ? w : null,
        error: null,
      };
    case 'opening':
      return { ...j, opening: action.messageId, error: null };
    case 'opened':
      if (j.opening !== action.messageId) return j;
      return {
        target: action.messageId,
        nonce: j.nonce + 1,
        opening: null,
        window: {
          messages: merge([], action.messages),
          hasOlder: action.hasOlder,
          hasNewer: action.hasNewer,
          loading: null,
        },
        error: null,
      };
    case 'failed':
      return j.opening === action.messageId ? { ...j, opening: null, error: action.error } : j;
    case 'paging':
      if (!w || w.loading || edgeOf(w, action.direction) !== action.edge) return j;
      return { ...j, window: { ...w, loading: action.direction } };
    case 'page': {
      if (!w || edgeOf(w, action.direction) !== action.edge) return j;
      const more = action.direction === 'older' ? { hasOlder: action.hasMore } : { hasNewer: action.hasMore };
      return { ...j, window: { ...w, ...more, messages: merge(w.messages, action.messages), loading: null } };
    }
    case 'page-failed':
      return w?.loading === action.direction ? { ...j, window: { ...w, loading: null } } : j;
    case 'changed': {
      const known = w?.messages.find((m) => m.id === action.message.id);
      if (!w || !known || (known.rev ?? 0) >= (action.message.rev ?? 0)) return j;
      return { ...j, window: { ...w, messages: merge(w.messages, [action.message]) } };
    }
    case 'hidden':
      if (!w?.messages.some((m) => m.id === action.messageId)) return j;
      return { ...j, window: { ...w, messages: w.messages.filter((m) => m.id !== action.messageId) } };
    case 'joined':
      return w ? { ...j, window: null } : j;
    case 'latest':
      return j.target || w || j.opening || j.error ? { ...idle, nonce: j.nonce } : j;
  }
}

/** The jumps after `action` (the same object when nothing changed, so a signal holding it does not fire). */
export function reduceJumps(state: Jumps, action: JumpAction): Jumps {
  if (action.type === 'reset') return state.size ? new Map() : state;
  const current = state.get(action.key) ?? idle;
  const updated = next(current, action);
  if (updated === current) return state;
  const result = new Map(state);
  if (updated.target || updated.window || updated.opening || updated.error) result.set(action.key, updated);
  else result.delete(action.key);
  return result;
}

/** The tail's oldest stored message (its messages are sorted: stored ones first, oldest first). */
const tailStart = (tail: Conversation | undefined) => tail?.messages.find((m) => m.id !== null)?.id ?? null;

/**
 * Whether the window and the tail are one stretch now: nothing is newer than the window, or the
 * window reaches the oldest message the tail holds. (The tail is always an unbroken run up to the
 * newest message: history pages back from it, and live messages after it.)
 */
export function joinsTail(w: HistoryWindow, tail: Conversation | undefined): boolean {
  if (!w.hasNewer) return true;
  const start = tailStart(tail);
  const newest = w.messages.at(-1)?.id;
  return start !== null && newest !== undefined && newest >= start;
}

/**
 * The conversations' action that adds a joined window's messages to the tail. If the window went
 * further back than the tail, whether there is older history is now the window's to say.
 */
export function joinAction(key: string, w: HistoryWindow, tail: Conversation | undefined): ConversationAction {
  const start = tailStart(tail);
  const oldest = w.messages[0]?.id;
  const older = !tail?.historyLoaded || start === null || (oldest !== undefined && oldest < start);
  return { type: 'history', key, messages: w.messages, hasMore: w.hasOlder, older, readBy: [] };
}
