import type { ReadonlySignal } from '@preact/signals-core';
import type { ErrorBody, SessionReady, UserSummary } from '@parley/backend/protocol';
import type { On, Request } from './connection.js';
import type { ConversationAction, Conversations } from './conversations.js';

/**
 * What is on the user's screen. The UI owns it (which chat is open, which are docked) and hands it
 * to the core, which asks it whether a new message counts as unread and what to load on connect.
 */
export interface ChatsOnScreen {
  /** The conversation (local key) can be seen now: on screen, and the tab visible. */
  isVisible(key: string): boolean;
  /** Conversations open in a window, seen or not (their history is loaded on connect). */
  openChats(): string[];
}

/** The conversations as signals: read `state`, change it only through `dispatch` (see conversations.ts). */
export interface ConversationStore {
  readonly state: ReadonlySignal<Conversations>;
  dispatch(action: ConversationAction): void;
}

/** The session's moments, for modules and features to hook into (registration order is call order). */
export interface Lifecycle {
  /** Called on every session:ready; a returned promise (the inbox catching up) delays `onSynced`. */
  onReady(fn: (ready: SessionReady) => unknown): void;
  /** Called once the inbox has caught up after session:ready (counts from the server are then the truth). */
  onSynced(fn: (ready: SessionReady) => void): void;
  /** The user signed out or the session ended: forget everything of theirs (`problem`: why, if worth telling). */
  onReset(fn: (problem: ErrorBody | null) => void): void;
  /** The connection closes for good (shut down, or signed out): stop timers and listeners, send what waits. */
  onStop(fn: () => void): void;
}

/**
 * What a feature gets from the core: the connection's `on` and `request`, the conversations, the
 * user, what is on screen, and the session's moments. A feature adds server events and requests
 * without editing connection.ts or client.ts beyond one `client.use(feature)`.
 */
export interface FeatureContext extends Lifecycle {
  on: On;
  request: Request;
  me: ReadonlySignal<UserSummary | null>;
  conversations: ConversationStore;
  screen: ChatsOnScreen;
}

/**
 * A feature: given the context, it subscribes to its events and returns what it adds (actions,
 * signals). Its UI half, if any, fills named slots (see ui/slots.tsx).
 *
 * @example
 * const echo: Feature<{ ping(): Promise<unknown> }> = ({ request }) => ({
 *   ping: () => request('presence:idle', { idle: false }),
 * });
 * const { ping } = client.use(echo);
 */
export type Feature<Api> = (context: FeatureContext) => Api;
