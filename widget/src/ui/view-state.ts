import { batch, effect, signal } from '@preact/signals-core';
import { roomIdOf, type ChatsOnScreen, type ParleyClient } from '../core/client.js';

/**
 * What the user has on screen, owned by the UI: whether the panel is open, the chat shown in it,
 * chats docked beside it, and drafts the host handed over. It tells the core what can be seen
 * (a message there is read at once) through {@link ChatsOnScreen}.
 */
export type ViewState = ReturnType<typeof createViewState>;

export function createViewState(client: ParleyClient) {
  const panelOpen = signal(false);
  /** The chat shown in the panel itself, if any. */
  const activePeer = signal<string | null>(null);
  /** Chats kept open beside the panel on wide screens, newest last. */
  const docked = signal<string[]>([]);
  /** A draft to put in the composer of a chat opened by the host (`openChat(name, { draft })`). */
  const drafts = signal<ReadonlyMap<string, string>>(new Map());

  /** Opens the panel, on a chat (or the list, `null`); by default on the chat it showed last. */
  const open = (peerId: string | null = activePeer.value): void => {
    const wasOpen = panelOpen.value;
    batch(() => {
      panelOpen.value = true;
      activePeer.value = peerId;
    });
    if (!wasOpen) client.events.emit('open', {});
    if (peerId) client.viewed(peerId);
  };
  const close = (): void => {
    if (!panelOpen.value) return;
    panelOpen.value = false;
    client.events.emit('close', {});
  };

  const screen: ChatsOnScreen = {
    // A chat showing older history after a jump does not show what arrives: that stays unread.
    isVisible: (key) =>
      ((panelOpen.value && activePeer.value === key) || docked.value.includes(key)) &&
      !client.jumps.value.get(key)?.window,
    openChats: () => [...docked.value, ...(activePeer.value ? [activePeer.value] : [])],
  };
  client.attachView(screen);

  return {
    panelOpen,
    activePeer,
    docked,
    drafts,
    open,
    close,
    toggle: () => (panelOpen.value ? close() : open()),
    /** Keeps a chat open beside the panel (wide screens); at most three, the oldest goes first. */
    dock(peerId: string): void {
      docked.value = [...docked.value.filter((p) => p !== peerId), peerId].slice(-3);
      if (activePeer.value === peerId) activePeer.value = null;
      client.viewed(peerId);
    },
    undock(peerId: string): void {
      docked.value = docked.value.filter((p) => p !== peerId);
    },
    /** Opens the chat with a user by username (host API); resolves false if there is no such user. */
    async openChatWith(username: string, draft?: string): Promise<boolean> {
      const entry = await client.findUser(username);
      if (!entry) return false;
      if (draft !== undefined) drafts.value = new Map(drafts.value).set(entry.user.id, draft);
      open(entry.user.id);
      return true;
    },
    takeDraft(peerId: string): string | undefined {
      const draft = drafts.value.get(peerId);
      if (draft !== undefined) {
        const next = new Map(drafts.value);
        next.delete(peerId);
        drafts.value = next;
      }
      return draft;
    },
    /** Signed out: every chat closes. Out of a room (left, removed, closed): its chat closes. Returns the stop. */
    stop: effect(() => {
      const me = client.me.value;
      const rooms = client.rooms.value;
      const gone = (key: string) => {
        const roomId = roomIdOf(key);
        return !me || (roomId !== null && !rooms.has(roomId));
      };
      batch(() => {
        const active = activePeer.peek();
        if (active && gone(active)) activePeer.value = null;
        if (docked.peek().some(gone)) docked.value = docked.peek().filter((key) => !gone(key));
      });
    }),
  };
}
