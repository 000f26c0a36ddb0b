import { batch, computed, signal, type ReadonlySignal } from '@preact/signals-core';
import type {
  ChatMessage,
  ErrorBody,
  PresenceChanged,
  ReplyRef,
  RosterEntry,
  SessionReady,
  SiteConfig,
  UserSummary,
} from '@parley/backend/protocol';
import { createConnection, type ConnectionStatus } from './connection.js';
import { reduce, type Conversations } from './conversations.js';
import { createEmitter } from './emitter.js';
import type { ChatsOnScreen, ConversationStore, Feature, FeatureContext, Lifecycle } from './feature.js';
import { createInbox } from './inbox.js';
import { messageChanges } from './message-changes.js';
import { jump } from './jump.js';
import { searchMessages } from './message-search.js';
import { createMessages } from './messages.js';
import { createProfile } from './profile.js';
import { createReceipts } from './receipts.js';
import { rooms } from './rooms.js';
import { createRoster } from './roster.js';
import { createSession } from './session.js';
import { createFileUrls } from './file-urls.js';
import { createUploads } from './uploads.js';
import { signedRequests, type SignAction } from './signed-actions.js';
import type { TokenStorage } from './storage.js';
import { typing } from './typing.js';

export type { ConnectionStatus } from './connection.js';
export { roomIdOf, roomKey, type Conversation, type ShownMessage } from './conversations.js';
export { canDeleteForEveryone, canEdit, canReact } from './message-changes.js';
export { quoteOf } from './conversations.js';
export type { ChatsOnScreen, Feature, FeatureContext } from './feature.js';
export type { Prefs } from './profile.js';
export type { ActionProblem, SignAction } from './signed-actions.js';

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
  /** The site's public settings if already asked for (parley.js does); otherwise `start` asks. */
  siteConfig?: Promise<SiteConfig | null>;
  /** Signs the actions the site requires a token for (see signed-actions.ts); none when the page gave none. */
  signAction?: SignAction;
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
  const hooks = {
    ready: [] as ((ready: SessionReady) => unknown)[],
    synced: [] as ((ready: SessionReady) => void)[],
    reset: [] as ((problem: ErrorBody | null) => void)[],
    stop: [] as (() => void)[],
  };
  const lifecycle: Lifecycle = {
    onReady: (fn) => void hooks.ready.push(fn),
    onSynced: (fn) => void hooks.synced.push(fn),
    onReset: (fn) => void hooks.reset.push(fn),
    onStop: (fn) => void hooks.stop.push(fn),
  };

  /** Ends everything (the host called shutdown): no traffic afterwards. */
  const disconnect = () => {
    for (const fn of hooks.stop) fn();
    connection.close();
  };
  /** The session is over: forget the user's state (`problem` says why, if it is worth telling). */
  const end = (problem: ErrorBody | null) => {
    batch(() => {
      connection.status.value = 'signed-out';
      conversations.dispatch({ type: 'reset' });
      for (const fn of hooks.reset) fn(problem);
    });
    disconnect();
  };

  const connection = createConnection(options.server, end);
  const session = createSession(options, connection, end, lifecycle);
  const profile = createProfile(connection, lifecycle, options.site, options.awayAfterMs);
  const roster = createRoster(connection, lifecycle);
  const receipts = createReceipts(connection, conversations, lifecycle);
  // Requests that perform an action the site wants signed carry the page's token.
  const signed = signedRequests(connection.request, options.signAction, lifecycle);
  const context: FeatureContext = {
    ...lifecycle,
    on: connection.on,
    request: signed.request,
    me: profile.me,
    conversations,
    screen,
  };
  /** Adds a feature: it subscribes to its events through the context and returns what it adds. */
  const use = <Api>(feature: Feature<Api>): Api => feature(context);
  const inbox = createInbox({
    site: options.site,
    connection,
    lifecycle,
    conversations,
    screen,
    receipts,
    delivered: (clientId) => messages.delivered(clientId),
    arrived(stored) {
      const message = { ...stored, body: stored.content.kind === 'text' ? stored.content.text : '' };
      const from = message.roomId ? roomsApi.member(message.roomId, message.senderId) : roster.user(message.senderId);
      events.emit('message', { from, message });
      if (message.roomId && message.mentions?.includes(profile.me.value?.id ?? '')) {
        events.emit('mention', { roomId: message.roomId, from, message });
      }
    },
  });
  const messages = createMessages(options.site, connection, conversations, profile.me, lifecycle, (entry) =>
    inbox.receive(entry),
  );
  const uploads = createUploads(
    {
      server: options.server,
      site: options.site,
      token: session.sessionToken,
      sendFile: (key, file) => messages.sendFile(key, file),
    },
    lifecycle,
  );
  const fileUrls = createFileUrls(options.server, connection.request);
  lifecycle.onReset(() => fileUrls.clear());
  const typingApi = use(typing);
  const changes = use(messageChanges);
  const roomsApi = use(rooms((key) => void messages.loadHistory(key)));
  const jumpApi = use(jump);

  connection.on('session:ready', (ready) => {
    let waits: unknown[] = [];
    batch(() => {
      connection.status.value = 'online';
      waits = hooks.ready.map((fn) => fn(ready));
    });
    // Once caught up, the server's unread counts and markers are the truth.
    void Promise.all(waits).then(() => hooks.synced.forEach((fn) => fn(ready)));
    for (const key of view.openChats()) void messages.loadHistory(key);
    events.emit('ready', { user: ready.user });
  });
  connection.on('presence:changed', (change) => {
    if (change.userId !== profile.me.value?.id) events.emit('presence', change);
  });

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
    status: connection.status as ReadonlySignal<ConnectionStatus>,
    roster: roster.entries as ReadonlySignal<RosterEntry[]>,
    conversations: state as ReadonlySignal<Conversations>,
    unreadTotal,
    ...session,
    ...profile,
    me: profile.me as ReadonlySignal<UserSummary | null>,
    ...roomsApi,
    disconnect,
    request: signed.request,
    /** Why the last action the site wants signed failed (the panel says so); null when none did. */
    actionProblem: signed.actionProblem,
    dismissActionProblem: signed.dismissActionProblem,
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
    /** Sends text to a user, or to a room when `key` is a room key; with `replyTo`, as a reply quoting it. */
    send(key: string, text: string, replyTo?: ReplyRef) {
      messages.send(key, text, replyTo);
      typingApi.sent(key);
    },
    /** Edits, deletions, reactions and earlier texts of messages already sent (see message-changes.ts). */
    ...changes,
    retry: messages.retry,
    /** Files on their way (pending bubbles), and attaching, cancelling and retrying them. */
    uploads: uploads.uploads,
    maxFileBytes: uploads.maxBytes,
    attach: uploads.attach,
    cancelUpload: uploads.cancel,
    retryUpload: uploads.retry,
    /** Signed URLs of a file sent in the conversation `key` (absolute; cached until they expire). */
    fileUrls: (key: string, fileId: string, fresh = false) => fileUrls.get(key, fileId, fresh),
    loadHistory: messages.loadHistory,
    /** Jumps and the history windows they open, per conversation (see core/jump.ts). */
    jumps: jumpApi.jumps,
    /** Shows a message in its place, highlighted, however far back (a search result, a reply's quote). */
    jumpTo: jumpApi.jumpTo,
    pageWindow: jumpApi.pageWindow,
    jumpToLatest: jumpApi.jumpToLatest,
    /** One page of a conversation's messages containing a text, newest first (`before`: page on). */
    searchMessages: searchMessages(connection.request),
    typing: typingApi.typing,
    /** A buddy, or a user the server finds, by username (`openChat` from the host). */
    findUser: roster.find,
  };
}
