import { batch, computed, signal } from '@preact/signals-core';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@parley/backend/protocol/constants';
import type {
  ChatMessage,
  ChosenPresence,
  ClientEventName,
  ClientToServerEvents,
  ErrorBody,
  HandshakeAuth,
  InboxEntry,
  LoginResponse,
  OwnPresence,
  Payload,
  PresenceChanged,
  PublicRoom,
  ReplyData,
  Result,
  RoomInfo,
  RoomSummary,
  RoomSeen,
  RosterEntry,
  SessionEnded,
  ServerToClientEvents,
  SiteConfig,
  UserSettings,
  UserSummary,
} from '@parley/backend/protocol';
import { Emitter } from './emitter.js';
import { InboxCursor } from './inbox-cursor.js';
import { Outbox } from './outbox.js';
import { IdleWatcher } from './idle.js';
import { ReceiptThrottle, type ReceiptKind } from './receipt-throttle.js';
import { storage, tokenStore, type KeyValueStore, type TokenStorage } from './storage.js';

export type ConnectionStatus = 'signed-out' | 'connecting' | 'online' | 'offline';

/** A message as the widget shows it: stored ones and the user's own not yet acknowledged. */
export interface ShownMessage extends Omit<ChatMessage, 'id' | 'createdAt' | 'conversationId'> {
  id: string | null;
  createdAt: string;
  state: 'sent' | 'pending' | 'failed';
  error?: string;
}

export interface Conversation {
  /** The peer's user id, or `room:<roomId>` for a room (see {@link roomKey}). */
  peerId: string;
  /** Oldest first; keyed by sender and client id, so each message appears once. */
  messages: ShownMessage[];
  unread: number;
  historyLoaded: boolean;
  hasMoreHistory: boolean;
  loadingHistory: boolean;
  /** How far the peer has received and read this user's messages (message ids). */
  peerDeliveredUpTo: string | null;
  peerReadUpTo: string | null;
  /** Who is typing here now, by user id: the peer, or members of a room (live only; clears itself). */
  typing: string[];
  /** The newest message, for the list of recent conversations (also when not loaded). */
  last: ShownMessage | null;
  /** Unread messages that mention this user (rooms). */
  mentioned: number;
  /** Rooms: how far each other member has read, by user id (message ids). */
  seenBy: Readonly<Record<string, string>>;
}

/** Rooms share the conversations map with one-to-one chats under this key. */
export const roomKey = (roomId: string) => `room:${roomId}`;
export const roomIdOf = (key: string): string | null => (key.startsWith('room:') ? key.slice(5) : null);

export interface Prefs {
  sound: boolean;
  notifications: boolean;
}

/** Events a host page can listen to with `Parley('on', name, handler)`. */
export interface HostEvents {
  ready: { user: UserSummary };
  message: { from: UserSummary | null; message: ChatMessage };
  unread: { count: number };
  /** Someone mentioned the user (`@username`) in a room. */
  mention: { roomId: string; from: UserSummary | null; message: ChatMessage };
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

/** 128 random bits. Not crypto.randomUUID: that exists only in secure contexts, and hosts may be http. */
function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const keyOf = (m: { senderId: string; clientId: string }) => `${m.senderId}\u0000${m.clientId}`;
const later = (a: string | null, b: string) => (a && a > b ? a : b);
const TYPING_SEND_EVERY_MS = 3000;
const DEFAULT_AWAY_AFTER_MS = 5 * 60_000;
const TYPING_SHOWN_MS = 6000;

function emptyConversation(peerId: string): Conversation {
  return {
    peerId,
    messages: [],
    unread: 0,
    historyLoaded: false,
    hasMoreHistory: false,
    loadingHistory: false,
    peerDeliveredUpTo: null,
    peerReadUpTo: null,
    typing: [],
    last: null,
    mentioned: 0,
    seenBy: {},
  };
}

/** Stored messages in server order (ids sort by time), then the ones still on their way. */
function byOrder(a: ShownMessage, b: ShownMessage): number {
  if (a.id && b.id) return a.id < b.id ? -1 : 1;
  if (a.id) return -1;
  if (b.id) return 1;
  return a.createdAt < b.createdAt ? -1 : 1;
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The widget's headless core: session, socket, inbox cursor, outbox, roster and conversations, as
 * signals the UI reads. No JSX here; the UI and the host API call the actions.
 */
/** What the user is told when the server ends their session. */
const SESSION_ENDED: Record<SessionEnded['reason'], string> = {
  logout: 'You were signed out.',
  password_changed: 'Your password was changed. Please sign in again.',
  expired: 'Your session has ended. Please sign in again.',
  site_changed: 'This site’s chat settings changed. Please sign in again.',
};

export class ParleyClient {
  readonly status = signal<ConnectionStatus>('signed-out');
  readonly me = signal<UserSummary | null>(null);
  readonly myPresence = signal<OwnPresence>({ state: 'online', status: '', idle: false });
  readonly roster = signal<RosterEntry[]>([]);
  /** Rooms the user is in or invited to, by room id. */
  readonly rooms = signal<ReadonlyMap<string, RoomInfo>>(new Map());
  /** What the user set about e-mail digests. */
  readonly settings = signal<UserSettings>({ email: null, emailConfirmed: false, emailDigests: true });
  readonly conversations = signal<ReadonlyMap<string, Conversation>>(new Map());
  /** The chat shown in the panel itself, if any. */
  readonly activePeer = signal<string | null>(null);
  /** Chats kept open beside the panel on wide screens, newest last. */
  readonly docked = signal<string[]>([]);
  readonly panelOpen = signal(false);
  readonly siteConfig = signal<SiteConfig | null>(null);
  readonly prefs = signal<Prefs>({ sound: false, notifications: false });
  /** A draft to put in the composer of a chat opened by the host (`openChat(name, { draft })`). */
  readonly drafts = signal<ReadonlyMap<string, string>>(new Map());
  /** The last problem worth telling the user about (sign-in refused, server unreachable). */
  readonly problem = signal<ErrorBody | null>(null);
  readonly unreadTotal = computed(() => {
    let total = 0;
    for (const c of this.conversations.value.values()) total += c.unread;
    return total;
  });

  readonly events = new Emitter<HostEvents>();

  private socket: ClientSocket | null = null;
  private cursor: InboxCursor | null = null;
  private outbox: Outbox | null = null;
  private token: string | null;
  /** Where the token is kept: localStorage, sessionStorage or this page only (`tokenStorage`). */
  private readonly tokens: KeyValueStore;
  private identity: string | null = null;
  private readonly typingSent = new Map<string, number>();
  private readonly typingTimers = new Map<string, number>();
  private readonly receipts = new ReceiptThrottle((peerId, kind, upTo) => {
    const roomId = roomIdOf(peerId);
    (roomId
      ? this.request('room:read', { roomId, upTo })
      : this.request('receipt:send', { with: peerId, kind, upTo })
    ).catch((err: unknown) => console.warn('[Parley] receipt not sent', err));
  });
  /** Tells the server when every tab has gone idle and when the visitor is back (see IdleWatcher). */
  private readonly idleWatcher: IdleWatcher;
  /** A tab being closed or hidden sends the receipts still waiting in the throttle. */
  private readonly flushReceipts = () => this.receipts.flush();

  constructor(private readonly options: ClientOptions) {
    this.idleWatcher = new IdleWatcher(`parley:${options.site}:active`, options.awayAfterMs ?? DEFAULT_AWAY_AFTER_MS, {
      active: () => this.setIdle(false),
      idle: () => this.setIdle(true),
    });
    this.tokens = tokenStore(options.tokenStorage ?? 'local');
    this.token = this.tokens.get(this.tokenKey);
    const saved = storage.get(`parley:${options.site}:prefs`);
    if (saved) {
      try {
        this.prefs.value = { ...this.prefs.value, ...(JSON.parse(saved) as Partial<Prefs>) };
      } catch {
        storage.remove(`parley:${options.site}:prefs`); // unreadable: start from the defaults
      }
    }
    let lastUnread = 0;
    this.unreadTotal.subscribe((count) => {
      if (count !== lastUnread) this.events.emit('unread', { count });
      lastUnread = count;
    });
  }

  private get tokenKey() {
    return `parley:${this.options.site}:token`;
  }

  private api(path: string): string {
    return `${this.options.server}/api/v1/sites/${encodeURIComponent(this.options.site)}${path}`;
  }

  // -------------------------------------------------------------------------------------------
  // Session

  /** Loads the site's public settings and reconnects a remembered session, if there is one. */
  start(): void {
    fetch(this.api('/config'))
      .then((r) => r.json() as Promise<Result<SiteConfig>>)
      .then((result) => {
        if (result.ok) this.siteConfig.value = result.data;
        else console.error(`[Parley] ${result.error.code}: ${result.error.message}`);
      })
      .catch((err: unknown) => console.error('[Parley] cannot reach the chat server', err));
    if (this.token) this.connect();
  }

  async login(username: string, password: string): Promise<boolean> {
    return this.signIn('/sessions', { username, password });
  }

  async register(username: string, password: string, displayName: string): Promise<boolean> {
    return this.signIn('/users', { username, password, ...(displayName.trim() ? { displayName } : {}) });
  }

  /** Silent sign-in with a token the host site's server signed. */
  loginWithIdentity(identity: string): void {
    this.identity = identity;
    this.token = null;
    this.connect();
  }

  private async signIn(path: string, body: unknown): Promise<boolean> {
    this.problem.value = null;
    let result: Result<LoginResponse>;
    try {
      const response = await fetch(this.api(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      result = (await response.json()) as Result<LoginResponse>;
    } catch {
      this.problem.value = { code: 'unavailable', message: 'The chat server cannot be reached.' };
      return false;
    }
    if (!result.ok) {
      this.problem.value = result.error;
      return false;
    }
    this.token = result.data.token;
    this.identity = null;
    this.tokens.set(this.tokenKey, this.token);
    this.connect();
    return true;
  }

  async logout(): Promise<void> {
    const token = this.token;
    this.reset();
    if (token) {
      await fetch(this.api('/sessions/current'), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      }).catch((err: unknown) => console.warn('[Parley] sign-out could not reach the server', err));
    }
  }

  /** Ends everything (the host called shutdown): no traffic afterwards. */
  disconnect(): void {
    this.idleWatcher.stop();
    this.receipts.flush();
    window.removeEventListener('pagehide', this.flushReceipts);
    this.socket?.disconnect();
    this.socket = null;
  }

  private connect(): void {
    this.socket?.disconnect();
    window.addEventListener('pagehide', this.flushReceipts); // adding it twice is a no-op
    const auth: HandshakeAuth = this.identity
      ? { v: PROTOCOL_VERSION, site: this.options.site, identity: this.identity }
      : { v: PROTOCOL_VERSION, site: this.options.site, token: this.token ?? '' };
    const socket: ClientSocket = io(this.options.server, {
      auth,
      transports: ['websocket', 'polling'],
      // Exponential backoff with jitter, so a restarted server is not hit by every client at once.
      reconnectionDelay: 500,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
    });
    this.socket = socket;
    this.status.value = 'connecting';
    let refusals = 0;

    socket.on('connect_error', (err: Error & { data?: ErrorBody }) => {
      const code = err.data?.code;
      if (code && code !== 'internal' && code !== 'unavailable' && code !== 'rate_limited') {
        // Not a network problem: retrying cannot help.
        console.error(`[Parley] connection refused (${code}): ${err.data!.message}`);
        this.reset(err.data!);
        return;
      }
      this.status.value = 'offline';
      // A refusal from the server (as opposed to a network error) is not retried by Socket.IO
      // itself. A node shutting down, a full connection quota or a server fault may pass: retry.
      if (code) {
        refusals++;
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(refusals, 5)) * (0.5 + Math.random());
        setTimeout(() => {
          if (this.socket === socket && !socket.connected) socket.connect();
        }, delay);
      }
    });
    socket.on('connect', () => {
      refusals = 0;
      socket.io.reconnectionDelay(500);
    });
    socket.on('server:shutdown', ({ reconnectWithinMs }) => {
      // A deploy, not a sign-out: the server closes the transport next and Socket.IO reconnects by
      // itself (a load balancer sends it to another node). Spread the herd of reconnecting widgets;
      // pending messages go again after session:ready, with their client ids.
      socket.io.reconnectionDelay(250 + Math.random() * Math.max(0, reconnectWithinMs - 250));
    });
    socket.on('disconnect', () => {
      if (this.socket === socket) this.status.value = 'offline';
    });
    socket.on('session:ended', ({ reason }) => {
      this.reset({
        code: 'unauthorized',
        message: SESSION_ENDED[reason] ?? SESSION_ENDED.logout,
      });
    });
    socket.on('session:ready', (ready) => {
      if (ready.session) {
        // Signed in with an identity token: keep the session it opened for reconnects.
        this.token = ready.session.token;
        this.identity = null;
        this.tokens.set(this.tokenKey, this.token);
        (socket.auth as HandshakeAuth) = { v: PROTOCOL_VERSION, site: this.options.site, token: this.token };
      }
      const cursorKey = `parley:${this.options.site}:${ready.user.id}:seq`;
      const saved = Number(storage.get(cursorKey));
      // A new device starts at the head: conversation:list and history fill its screens instead
      // of a replay of the whole inbox.
      const start = Number.isSafeInteger(saved) && saved > 0 && saved <= ready.inboxHead ? saved : ready.inboxHead;
      const outbox = new Outbox(`parley:${this.options.site}:${ready.user.id}:outbox`);
      batch(() => {
        this.me.value = ready.user;
        this.myPresence.value = ready.presence;
        this.roster.value = ready.roster;
        this.settings.value = ready.settings;
        this.status.value = 'online';
        this.idleWatcher.start();
        this.problem.value = null;
      });
      this.outbox = outbox;
      this.cursor = new InboxCursor(
        start,
        async (after) => this.request('inbox:sync', { after }),
        (entry) => this.applyEntry(entry),
        (position) => storage.set(cursorKey, String(position)),
      );
      for (const m of outbox.all()) this.upsertMessages(m.roomId ? roomKey(m.roomId) : m.recipientId, [m]);
      // Catch up first, then take the server's unread counts and markers as the truth.
      void (this.cursor.sync() ?? Promise.resolve())
        .catch((err: unknown) => console.warn('[Parley] inbox sync failed', err))
        .then(() => Promise.all([this.loadConversations(), this.loadRooms()]));
      this.flushOutbox();
      for (const peer of this.openPeers()) void this.loadHistory(peer);
      this.events.emit('ready', { user: ready.user });
    });
    socket.on('inbox:entry', (entry) => this.cursor?.receive(entry));
    socket.on('presence:changed', (change) => {
      if (change.userId === this.me.value?.id) {
        if (change.chosen) this.myPresence.value = change.chosen;
        return;
      }
      this.roster.value = this.roster.value.map((r) =>
        r.user.id === change.userId ? { ...r, presence: change.presence } : r,
      );
      this.patchRooms((room) =>
        room.members.some((m) => m.user.id === change.userId)
          ? {
              ...room,
              members: room.members.map((m) => (m.user.id === change.userId ? { ...m, presence: change.presence } : m)),
            }
          : room,
      );
      this.events.emit('presence', change);
    });
    socket.on('roster:changed', (change) => {
      const others = this.roster.value.filter(
        (r) => r.user.id !== ('entry' in change ? change.entry.user.id : change.removed),
      );
      this.roster.value = 'entry' in change ? [...others, change.entry] : others;
    });
    socket.on('user:updated', ({ user }) => {
      if (user.id === this.me.value?.id) this.me.value = user;
      this.roster.value = this.roster.value.map((r) => (r.user.id === user.id ? { ...r, user } : r));
    });
    socket.on('typing:changed', ({ userId, typing, roomId }) =>
      this.showTyping(roomId ? roomKey(roomId) : userId, userId, typing),
    );
    socket.on('room:seen', (seen) => this.seen(seen));
    socket.on('room:changed', ({ room }) => {
      const known = this.rooms.value.has(room.id);
      this.patchRooms((r) => r, room);
      // Just joined (or accepted on another tab): fetch what was said.
      if (this.roleIn(room) !== 'invited' && (!known || this.activePeer.value === roomKey(room.id))) {
        void this.loadHistory(roomKey(room.id));
      }
    });
    socket.on('room:removed', ({ roomId }) => {
      const key = roomKey(roomId);
      const rooms = new Map(this.rooms.value);
      rooms.delete(roomId);
      const conversations = new Map(this.conversations.value);
      conversations.delete(key);
      batch(() => {
        this.rooms.value = rooms;
        this.conversations.value = conversations;
        if (this.activePeer.value === key) this.activePeer.value = null;
        this.docked.value = this.docked.value.filter((p) => p !== key);
      });
    });
  }

  /** Maps every known room (and sets `put`, if given). */
  private patchRooms(map: (room: RoomInfo) => RoomInfo, put?: RoomInfo): void {
    const next = new Map([...this.rooms.value].map(([id, room]) => [id, map(room)]));
    if (put) next.set(put.id, put);
    this.rooms.value = next;
  }

  private reset(problem: ErrorBody | null = null): void {
    this.receipts.clear();
    this.disconnect();
    this.token = null;
    this.identity = null;
    this.tokens.remove(this.tokenKey);
    this.cursor = null;
    this.outbox = null;
    batch(() => {
      this.status.value = 'signed-out';
      this.me.value = null;
      this.roster.value = [];
      this.rooms.value = new Map();
      this.conversations.value = new Map();
      this.activePeer.value = null;
      this.docked.value = [];
      this.problem.value = problem;
    });
  }

  /** Emits a request and unwraps its result; throws an Error carrying the server's message. */
  async request<E extends ClientEventName>(event: E, payload: Payload<E>): Promise<ReplyData[E]> {
    const socket = this.socket;
    if (!socket?.connected) throw new Error('Not connected.');
    // Socket.IO's typed emitWithAck cannot be indexed by a generic event; the cast is the seam.
    const timed = socket.timeout(15_000) as unknown as {
      emitWithAck(e: E, p: Payload<E>): Promise<Result<ReplyData[E]>>;
    };
    const result = await timed.emitWithAck(event, payload);
    if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
    return result.data;
  }

  // -------------------------------------------------------------------------------------------
  // Panel and chats

  open(peerId: string | null = this.activePeer.value): void {
    const wasOpen = this.panelOpen.value;
    batch(() => {
      this.panelOpen.value = true;
      this.activePeer.value = peerId;
    });
    if (!wasOpen) this.events.emit('open', {});
    if (peerId) this.viewed(peerId);
  }

  close(): void {
    if (!this.panelOpen.value) return;
    this.panelOpen.value = false;
    this.events.emit('close', {});
  }

  /** Keeps a chat open beside the panel (wide screens); at most three, the oldest goes first. */
  dock(peerId: string): void {
    this.docked.value = [...this.docked.value.filter((p) => p !== peerId), peerId].slice(-3);
    if (this.activePeer.value === peerId) this.activePeer.value = null;
    this.viewed(peerId);
  }

  undock(peerId: string): void {
    this.docked.value = this.docked.value.filter((p) => p !== peerId);
  }

  /** Opens the chat with a user by username (host API); resolves false if there is no such buddy. */
  async openChatWith(username: string, draft?: string): Promise<boolean> {
    let entry = this.roster.value.find((r) => r.user.username === username);
    if (!entry && this.socket?.connected) {
      const found = await this.request('user:search', { query: username }).catch(() => null);
      const user = found?.users.find((u) => u.username === username);
      if (user)
        entry = { user, state: 'accepted', presence: { state: 'offline', status: '', lastSeenAt: null }, group: null };
    }
    if (!entry) return false;
    if (draft !== undefined) {
      const next = new Map(this.drafts.value);
      next.set(entry.user.id, draft);
      this.drafts.value = next;
    }
    this.open(entry.user.id);
    return true;
  }

  takeDraft(peerId: string): string | undefined {
    const draft = this.drafts.value.get(peerId);
    if (draft !== undefined) {
      const next = new Map(this.drafts.value);
      next.delete(peerId);
      this.drafts.value = next;
    }
    return draft;
  }

  /** A chat came into view: load its history, clear its unread count, tell the peer. */
  viewed(peerId: string): void {
    void this.loadHistory(peerId);
    this.markRead(peerId);
  }

  private openPeers(): string[] {
    const peers = [...this.docked.value];
    if (this.activePeer.value) peers.push(this.activePeer.value);
    return peers;
  }

  private isVisible(peerId: string): boolean {
    if (typeof document !== 'undefined' && document.visibilityState !== 'visible') return false;
    return (this.panelOpen.value && this.activePeer.value === peerId) || this.docked.value.includes(peerId);
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  /** Sends to a user, or to a room when `peerId` is a {@link roomKey}. */
  send(peerId: string, body: string): void {
    const me = this.me.value;
    const text = body.trim();
    if (!me || !text) return;
    const roomId = roomIdOf(peerId);
    const message: ShownMessage = {
      id: null,
      clientId: newClientId(),
      senderId: me.id,
      recipientId: roomId ? '' : peerId,
      body: text,
      createdAt: new Date().toISOString(),
      state: 'pending',
      ...(roomId ? { roomId } : {}),
    };
    this.outbox?.add(message);
    this.upsertMessages(peerId, [message]);
    this.typingSent.delete(peerId);
    this.transmit(message);
  }

  /** Sends a failed message again, with the same client id. */
  retry(peerId: string, clientId: string): void {
    const message = this.conversations.value.get(peerId)?.messages.find((m) => m.clientId === clientId);
    if (!message || message.state !== 'failed') return;
    const pending: ShownMessage = { ...message, state: 'pending' };
    delete pending.error;
    this.outbox?.add(pending);
    this.upsertMessages(peerId, [pending]);
    this.transmit(pending);
  }

  /** Loads the conversation's newest page, or the page before what is shown. */
  async loadHistory(peerId: string, older = false): Promise<void> {
    const existing = this.conversations.value.get(peerId) ?? emptyConversation(peerId);
    if (!this.socket?.connected || existing.loadingHistory) return;
    if (older ? !existing.hasMoreHistory : existing.historyLoaded) return;
    const oldest = existing.messages.find((m) => m.id)?.id;
    this.patchConversation(peerId, { loadingHistory: true });
    try {
      const roomId = roomIdOf(peerId);
      const before = older && oldest ? { before: oldest } : {};
      const data: ReplyData['message:history'] & { readBy?: RoomSeen[] } = roomId
        ? await this.request('room:history', { roomId, ...before, limit: 50 })
        : await this.request('message:history', { with: peerId, ...before, limit: 50 });
      this.upsertMessages(
        peerId,
        data.messages.map((m) => ({ ...m, state: 'sent' as const })),
        { historyLoaded: true, ...(older || !existing.historyLoaded ? { hasMoreHistory: data.hasMore } : {}) },
      );
      for (const seen of data.readBy ?? []) this.seen(seen);
    } catch (err) {
      console.warn('[Parley] could not load history', err);
    } finally {
      this.patchConversation(peerId, { loadingHistory: false });
    }
  }

  private async loadConversations(): Promise<void> {
    try {
      const { conversations } = await this.request('conversation:list', {});
      for (const c of conversations) {
        const current = this.conversations.value.get(c.peer.id) ?? emptyConversation(c.peer.id);
        // The server counted up to its last message; anything newer arrived live meanwhile.
        const newer = current.messages.filter(
          (m) => m.senderId === c.peer.id && m.id !== null && m.id > c.lastMessage.id,
        ).length;
        this.updateConversation(c.peer.id, {
          ...current,
          unread: this.isVisible(c.peer.id) ? 0 : c.unread + newer,
          peerReadUpTo: c.peerReadUpTo,
          peerDeliveredUpTo: c.peerDeliveredUpTo,
          last:
            current.last && current.last.id && current.last.id > c.lastMessage.id
              ? current.last
              : { ...c.lastMessage, state: 'sent' },
        });
      }
    } catch (err) {
      console.warn('[Parley] could not load conversations', err);
    }
  }

  /**
   * The user's rooms and invitations, with unread and mention counts from the server, page by page
   * (the server caps what one user may hold, so this ends after a few pages).
   */
  private async loadRooms(): Promise<void> {
    try {
      const rooms: RoomSummary[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await this.request('room:list', after === undefined ? {} : { after });
        rooms.push(...page.rooms);
        if (!page.hasMore || page.rooms.length === 0) break;
        after = page.rooms.at(-1)!.room.id;
      }
      this.rooms.value = new Map(rooms.map((r) => [r.room.id, r.room]));
      for (const r of rooms) {
        const key = roomKey(r.room.id);
        const current = this.conversations.value.get(key) ?? emptyConversation(key);
        const visible = this.isVisible(key);
        this.updateConversation(key, {
          ...current,
          unread: visible ? 0 : r.unread,
          mentioned: visible ? 0 : r.mentions,
          last:
            current.last?.id && (!r.lastMessage || current.last.id > r.lastMessage.id)
              ? current.last
              : r.lastMessage && { ...r.lastMessage, state: 'sent' },
        });
      }
    } catch (err) {
      console.warn('[Parley] could not load rooms', err);
    }
  }

  private applyEntry(entry: InboxEntry): void {
    const me = this.me.value;
    if (!me) return;
    if (entry.kind === 'receipt') {
      const r = entry.receipt;
      if (!r.peerId) {
        // Read in a room on another tab or device.
        const key = r.conversationId;
        const c = this.conversations.value.get(key) ?? emptyConversation(key);
        const unread = c.messages.filter((m) => m.senderId !== me.id && m.id !== null && m.id > r.upTo).length;
        this.updateConversation(key, { ...c, unread, mentioned: unread === 0 ? 0 : c.mentioned });
        return;
      }
      const peerId = r.readerId === me.id ? r.peerId : r.readerId;
      const c = this.conversations.value.get(peerId) ?? emptyConversation(peerId);
      if (r.readerId === me.id) {
        // Read on another tab or device: what is left unread here is what came after.
        const unread = c.messages.filter((m) => m.senderId === peerId && m.id !== null && m.id > r.upTo).length;
        this.updateConversation(peerId, { ...c, unread });
      } else {
        this.updateConversation(peerId, {
          ...c,
          peerDeliveredUpTo: later(c.peerDeliveredUpTo, r.upTo),
          peerReadUpTo: r.kind === 'read' ? later(c.peerReadUpTo, r.upTo) : c.peerReadUpTo,
        });
      }
      return;
    }
    const m = entry.message;
    if (m.roomId) return this.applyRoomMessage(me, m);
    const fromPeer = m.senderId !== me.id;
    const peerId = fromPeer ? m.senderId : m.recipientId;
    const visible = this.isVisible(peerId);
    if (!fromPeer) this.outbox?.remove(m.clientId);
    const added = this.upsertMessages(peerId, [{ ...m, state: 'sent' }], {}, fromPeer && !visible ? 1 : 0);
    if (fromPeer && added) {
      this.showTyping(peerId, peerId, false);
      this.acknowledge(peerId, visible ? 'read' : 'delivered', m.id);
      const from = this.roster.value.find((r) => r.user.id === peerId)?.user ?? null;
      this.events.emit('message', { from, message: m });
    }
  }

  private applyRoomMessage(me: UserSummary, m: ChatMessage): void {
    const key = roomKey(m.roomId!);
    const fromOther = m.senderId !== me.id;
    const visible = this.isVisible(key);
    if (!fromOther) this.outbox?.remove(m.clientId);
    const mentioned = fromOther && (m.mentions?.includes(me.id) ?? false);
    const added = this.upsertMessages(key, [{ ...m, state: 'sent' }], {}, fromOther && !visible ? 1 : 0);
    if (!fromOther || !added) return;
    this.showTyping(key, m.senderId, false);
    if (mentioned && !visible)
      this.patchConversation(key, { mentioned: (this.conversations.value.get(key)?.mentioned ?? 0) + 1 });
    if (visible) this.acknowledge(key, 'read', m.id);
    const room = this.rooms.value.get(m.roomId!);
    const from = room?.members.find((x) => x.user.id === m.senderId)?.user ?? null;
    this.events.emit('message', { from, message: m });
    if (mentioned) this.events.emit('mention', { roomId: m.roomId!, from, message: m });
  }

  /** A room member has read up to a message: keep the furthest point per member. */
  private seen({ roomId, userId, upTo }: RoomSeen): void {
    if (userId === this.me.value?.id) return;
    const key = roomKey(roomId);
    const seenBy = this.conversations.value.get(key)?.seenBy ?? {};
    if ((seenBy[userId] ?? '') >= upTo) return;
    this.patchConversation(key, { seenBy: { ...seenBy, [userId]: upTo } });
  }

  private markRead(peerId: string): void {
    const c = this.conversations.value.get(peerId);
    if (!c) return;
    if (c.unread > 0 || c.mentioned > 0) this.updateConversation(peerId, { ...c, unread: 0, mentioned: 0 });
    if (roomIdOf(peerId)) {
      // In a room everyone else's messages count; a read marker needs a stored message.
      const newest = [...c.messages].reverse().find((m) => m.id !== null) ?? c.last;
      if (newest?.id) this.acknowledge(peerId, 'read', newest.id);
      return;
    }
    const newest = [...c.messages].reverse().find((m) => m.senderId === peerId && m.id !== null);
    if (newest?.id && (!c.last || newest.id >= (c.last.id ?? ''))) this.acknowledge(peerId, 'read', newest.id);
    else if (c.last?.id && c.last.senderId === peerId) this.acknowledge(peerId, 'read', c.last.id);
  }

  /** Tells the server how far this user has received or read a conversation (see ReceiptThrottle). */
  private acknowledge(peerId: string, kind: ReceiptKind, upTo: string): void {
    this.receipts.push(peerId, kind, upTo);
  }

  // -------------------------------------------------------------------------------------------
  // Typing

  /** The user typed in the composer: tell the peer (or the room), at most every few seconds. */
  typing(peerId: string, active: boolean): void {
    const now = Date.now();
    const last = this.typingSent.get(peerId);
    if (active && last !== undefined && now - last < TYPING_SEND_EVERY_MS) return;
    if (!active && last === undefined) return;
    if (active) this.typingSent.set(peerId, now);
    else this.typingSent.delete(peerId);
    const roomId = roomIdOf(peerId);
    (roomId
      ? this.request('room:typing', { roomId, typing: active })
      : this.request('typing:set', { to: peerId, typing: active })
    ).catch(() => undefined); // live only; losing one is harmless
  }

  /** `userId` is typing (or stopped) in conversation `key`; a typer not heard of again clears itself. */
  private showTyping(key: string, userId: string, typing: boolean): void {
    const timerKey = `${key}\u0000${userId}`;
    clearTimeout(this.typingTimers.get(timerKey));
    this.typingTimers.delete(timerKey);
    if (typing) {
      this.typingTimers.set(
        timerKey,
        window.setTimeout(() => this.showTyping(key, userId, false), TYPING_SHOWN_MS),
      );
    }
    const now = this.conversations.value.get(key)?.typing ?? [];
    if (now.includes(userId) === typing) return;
    this.patchConversation(key, { typing: typing ? [...now, userId] : now.filter((id) => id !== userId) });
  }

  // -------------------------------------------------------------------------------------------
  // Roster, presence, preferences

  setPresence(state: ChosenPresence, status: string): Promise<unknown> {
    return this.request('presence:set', { state, status });
  }

  /** Tells the server the visitor went idle or is back, when that is news to it. */
  private setIdle(idle: boolean): void {
    if (this.status.value !== 'online' || this.myPresence.value.idle === idle) return;
    this.myPresence.value = { ...this.myPresence.value, idle }; // at once, so input does not ask twice
    this.request('presence:idle', { idle }).catch((err: unknown) => console.warn('[Parley] idle state not sent', err));
  }

  /** Saves the display name, avatar, e-mail address or digest choice on the server (other tabs hear of it). */
  async updateProfile(patch: Payload<'profile:update'>): Promise<void> {
    const { user, settings } = await this.request('profile:update', patch);
    batch(() => {
      this.me.value = user;
      this.settings.value = settings;
    });
  }

  /** Asks the server to send the confirmation e-mail for the user's address again. */
  async resendEmailConfirmation(): Promise<void> {
    const { settings } = await this.request('profile:confirm-email', {});
    this.settings.value = settings;
  }

  setPrefs(patch: Partial<Prefs>): void {
    this.prefs.value = { ...this.prefs.value, ...patch };
    storage.set(`parley:${this.options.site}:prefs`, JSON.stringify(this.prefs.value));
  }

  // -------------------------------------------------------------------------------------------
  // Conversation state

  /** Adds or replaces messages (matched by sender and client id); returns how many were new. */
  private upsertMessages(
    peerId: string,
    incoming: ShownMessage[],
    patch: Partial<Conversation> = {},
    addUnread = 0,
  ): number {
    const current = this.conversations.value.get(peerId) ?? emptyConversation(peerId);
    const byKey = new Map(current.messages.map((m) => [keyOf(m), m]));
    let added = 0;
    for (const m of incoming) {
      const known = byKey.get(keyOf(m));
      if (!known) added++;
      // A stored copy wins over a pending one; never turn a stored message back into pending.
      if (!known || known.state !== 'sent' || m.state === 'sent') byKey.set(keyOf(m), m);
    }
    const messages = [...byKey.values()].sort(byOrder);
    const newest = messages.at(-1) ?? null;
    this.updateConversation(peerId, {
      ...current,
      ...patch,
      messages,
      last: newest && (!current.last || byOrder(current.last, newest) <= 0) ? newest : current.last,
      unread: current.unread + (added > 0 ? addUnread : 0),
    });
    return added;
  }

  private patchConversation(peerId: string, patch: Partial<Conversation>): void {
    this.updateConversation(peerId, {
      ...(this.conversations.value.get(peerId) ?? emptyConversation(peerId)),
      ...patch,
    });
  }

  private updateConversation(peerId: string, conversation: Conversation): void {
    const next = new Map(this.conversations.value);
    next.set(peerId, conversation);
    this.conversations.value = next;
  }

  // -------------------------------------------------------------------------------------------
  // Outbox

  private flushOutbox(): void {
    for (const m of this.outbox?.all() ?? []) this.transmit(m);
  }

  /**
   * Sends when connected; otherwise the message stays pending (saved in the outbox, so a reload
   * keeps it) and goes on the next connect with the same client id, so the server stores it once
   * however often it is sent.
   */
  private transmit(message: ShownMessage): void {
    const socket = this.socket;
    if (!socket?.connected) return;
    const peerId = message.roomId ? roomKey(message.roomId) : message.recipientId;
    const done = (result: Result<ReplyData['message:send']>) => {
      if (result.ok) {
        this.outbox?.remove(message.clientId);
        this.upsertMessages(peerId, [{ ...result.data.message, state: 'sent' }]);
      } else if (result.error.code !== 'unavailable' && result.error.code !== 'internal') {
        // Refused for good (not a buddy any more, blocked, too long): the user decides to retry.
        this.outbox?.remove(message.clientId);
        this.upsertMessages(peerId, [{ ...message, state: 'failed', error: result.error.message }]);
      }
    };
    const { clientId, body } = message;
    if (message.roomId) {
      const payload: Payload<'room:send'> = { roomId: message.roomId, clientId, body };
      socket.emit('room:send', payload, done);
    } else {
      const payload: Payload<'message:send'> = { to: message.recipientId, clientId, body };
      socket.emit('message:send', payload, done);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Rooms

  /** The user's place in a room: a role, or `invited`. */
  roleIn(room: RoomInfo): RoomInfo['members'][number]['role'] | null {
    return room.members.find((m) => m.user.id === this.me.value?.id)?.role ?? null;
  }

  async createRoom(name: string, isPublic: boolean, invite: string[] = []): Promise<RoomInfo> {
    const { room } = await this.request('room:create', { name, public: isPublic, invite });
    this.patchRooms((r) => r, room);
    return room;
  }

  searchRooms(query: string): Promise<PublicRoom[]> {
    return this.request('room:search', query.trim() ? { query: query.trim() } : {}).then((r) => r.rooms);
  }

  /** Joins a public room or accepts an invitation, then opens it. */
  async joinRoom(roomId: string): Promise<void> {
    const { room } = await this.request('room:join', { roomId });
    this.patchRooms((r) => r, room);
    this.open(roomKey(roomId));
  }

  /** One room action whose answer is the room as it is now (or nothing, when the user is out of it). */
  async roomAction(
    action: 'room:invite' | 'room:remove' | 'room:role' | 'room:rename' | 'room:decline' | 'room:leave' | 'room:close',
    payload: { roomId: string; userId?: string; name?: string; role?: 'admin' | 'member' },
  ): Promise<void> {
    const data = (await this.request(action, payload as never)) as { room?: RoomInfo };
    if (data.room) this.patchRooms((r) => r, data.room);
  }
}
