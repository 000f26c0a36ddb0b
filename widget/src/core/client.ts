import { batch, computed, signal, type ReadonlySignal } from '@preact/signals-core';
import type { ChatMessage, ErrorBody, PresenceChanged, SessionReady, UserSummary } from '@parley/backend/protocol';
import { createConnection } from './connection.js';
import { reduce, type Conversations } from './conversations.js';
import { createEmitter } from './emitter.js';
import type { ChatsOnScreen, ConversationStore, Feature, FeatureContext } from './feature.js';
import { createInbox } from './inbox.js';
import { createMessages } from './messages.js';
import { createProfile } from './profile.js';
import { createReceipts } from './receipts.js';
import { rooms } from './rooms.js';
import { createRoster } from './roster.js';
import { createSession } from './session.js';
import type { TokenStorage } from './storage.js';
import { typing } from './typing.js';

export type { ConnectionStatus } from './connection.js';
export { roomIdOf, roomKey, type Conversation, type ShownMessage } from './conversations.js';
export type { ChatsOnScreen, Feature, FeatureContext } from './feature.js';
export type { Prefs } from './profile.js';

/** A message as the host page gets it: `body` is the text of `content` ("" for other kinds), as before protocol 2. */
export type HostMessage = ChatMessage & { body: string };

/** Events a host page can listen to with `Parley('on', name, handler)`. */
export interface HostEvents {
  ready: { user: UserSummary };
  message: { from: UserSummary | null; message: HostMessage };
  unread: { count: number };
  /** Someone mentioned the user (`@username`) in a room. */
  mention: { roomId: string; from: UserSummary | null; message: HostMessage };
  presence: PresenceChanged;
  open: Record<string, never>;
  close: Record<string, never>;
}

export interface ClientOptions {
  /** Origin of the Parley server (where parley.js came from). */
  server: string;
  site: string;
  /** After this long without input in any tab, an `online` user shows as away; 0 never. */
  awayAfterMs?: number;
  /** Where the session token is kept; default `local` (see tokenStore). */
  tokenStorage?: TokenStorage;
}

/** The widget's headless core, as the UI and the host API see it (see {@link createClient}). */
export type ParleyClient = ReturnType<typeof createClient>;

/**
 * The widget's headless core: wires the connection, session, profile, roster, inbox, messages,
 * receipts and the features (rooms, typing) together, and exposes their signals and actions. No
 * JSX; which chats are on screen is the UI's, handed in with `attachView`.
 */
export function createClient(options: ClientOptions) {
  const events = createEmitter<HostEvents>();
  const state = signal<Conversations>(new Map());
  const conversations: ConversationStore = { state, dispatch: (a) => void (state.value = reduce(state.value, a)) };
  let view: ChatsOnScreen = { isVisible: () => false, openChats: () => [] };
  const screen: ChatsOnScreen = {
    isVisible: (key) =>
      (typeof document === 'undefined' || document.visibilityState === 'visible') && view.isVisible(key),
    openChats: () => view.openChats(),
  };
  const synced: ((ready: SessionReady) => void)[] = [];
  const resets: (() => void)[] = [];

  const connection = createConnection(options.server, (problem) => end(problem));
  const session = createSession(options, connection, (problem) => end(problem));
  const profile = createProfile(connection, options.site, options.awayAfterMs);
  const roster = createRoster(connection);
  const messages = createMessages(connection, conversations, profile.me);
  const receipts = createReceipts(connection, conversations);
  const context: FeatureContext = {
    on: connection.on,
    request: connection.request,
    me: profile.me,
    conversations,
    screen,
    onSynced: (fn) => void synced.push(fn),
    onReset: (fn) => void resets.push(fn),
  };
  /** Adds a feature: it subscribes to its events through the context and returns what it adds. */
  const use = <Api>(feature: Feature<Api>): Api => feature(context);
  const typingApi = use(typing);
  const roomsApi = use(rooms((key) => void messages.loadHistory(key)));
  const inbox = createInbox({
    connection,
    conversations,
    screen,
    receipts,
    delivered: (clientId) => messages.delivered(clientId),
    arrived(stored) {
      const message = { ...stored, body: stored.content.kind === 'text' ? stored.content.text : '' };
      const from = message.roomId ? roomsApi.member(message.roomId, message.senderId) : roster.user(message.senderId);
      events.emit('message', { from, message });
      const me = profile.me.value?.id ?? '';
      if (message.roomId && message.mentions?.includes(me)) {
        events.emit('mention', { roomId: message.roomId, from, message });
      }
    },
  });

  connection.on('session:ready', (ready) => {
    batch(() => {
      connection.status.value = 'online';
      roster.entries.value = ready.roster;
      profile.ready(ready);
      session.ready(ready);
    });
    receipts.start();
    const caughtUp = inbox.ready(options.site, ready);
    messages.ready(options.site, ready.user.id);
    // Once caught up, the server's unread counts and markers are the truth.
    void caughtUp.then(() => {
      void inbox.loadConversations();
      for (const fn of synced) fn(ready);
    });
    for (const key of view.openChats()) void messages.loadHistory(key);
    events.emit('ready', { user: ready.user });
  });
  connection.on('presence:changed', (change) => {
    if (change.userId !== profile.me.value?.id) events.emit('presence', change);
  });

  /** Ends everything (the host called shutdown): no traffic afterwards. */
  const disconnect = () => {
    profile.stop();
    receipts.stop();
    connection.close();
  };

  /** The session is over: forget the user's state (`problem` says why, if it is worth telling). */
  function end(problem: ErrorBody | null): void {
    receipts.clear();
    disconnect();
    inbox.reset();
    messages.reset();
    batch(() => {
      session.forget(problem);
      connection.status.value = 'signed-out';
      profile.reset();
      roster.entries.value = [];
      conversations.dispatch({ type: 'reset' });
      for (const fn of resets) fn();
    });
  }

  const unreadTotal = computed(() => {
    let total = 0;
    for (const c of state.value.values()) total += c.unread;
    return total;
  });
  let lastUnread = 0;
  unreadTotal.subscribe((count) => {
    if (count !== lastUnread) events.emit('unread', { count });
    lastUnread = count;
  });

  return {
    events,
    status: connection.status as ReadonlySignal<typeof connection.status.value>,
    me: profile.me as ReadonlySignal<UserSummary | null>,
    myPresence: profile.myPresence,
    settings: profile.settings,
    prefs: profile.prefs,
    roster: roster.entries as ReadonlySignal<typeof roster.entries.value>,
    conversations: state as ReadonlySignal<Conversations>,
    unreadTotal,
    siteConfig: session.siteConfig,
    /** The last problem worth telling the user about (sign-in refused, server unreachable). */
    problem: session.problem,
    ...roomsApi,
    start: () => session.start(),
    login: session.login,
    register: session.register,
    loginWithIdentity: session.loginWithIdentity,
    logout: session.logout,
    disconnect,
    request: connection.request,
    use,
    /** The UI says which chats are on screen (see ChatsOnScreen). */
    attachView(screen: ChatsOnScreen) {
      view = screen;
    },
    /** A chat came into view: load its history, clear its unread count, tell the peer. */
    viewed(key: string) {
      void messages.loadHistory(key);
      receipts.markRead(key);
    },
    /** Sends text to a user, or to a room when `key` is a room key. */
    send(key: string, text: string) {
      messages.send(key, text);
      typingApi.sent(key);
    },
    retry: messages.retry,
    loadHistory: messages.loadHistory,
    typing: typingApi.typing,
    /** A buddy, or a user the server finds, by username (`openChat` from the host). */
    findUser: roster.find,
    setPresence: profile.setPresence,
    updateProfile: profile.updateProfile,
    resendEmailConfirmation: profile.resendEmailConfirmation,
    setPrefs: profile.setPrefs,
  };
}
