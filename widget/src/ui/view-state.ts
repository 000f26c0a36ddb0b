import { batch, effect, signal } from '@preact/signals-core';
import { roomIdOf, type ChatsOnScreen, type ParleyClient } from '../core/client.js';

/**
 * What the user has on screen, owned by the UI: whether the panel is open, the chat shown in it,
 * chats docked beside it, and drafts the host handed over. It tells the core what can be seen
 * (a message there is read at once) through {@link ChatsOnScreen}.
 */
export class ViewState implements ChatsOnScreen {
  readonly panelOpen = signal(false);
  /** The chat shown in the panel itself, if any. */
  readonly activePeer = signal<string | null>(null);
  /** Chats kept open beside the panel on wide screens, newest last. */
  readonly docked = signal<string[]>([]);
  /** A draft to put in the composer of a chat opened by the host (`openChat(name, { draft })`). */
  readonly drafts = signal<ReadonlyMap<string, string>>(new Map());
  /** Stops following the client (the widget is shut down). */
  readonly stop: () => void;

  constructor(private readonly client: ParleyClient) {
    client.attachView(this);
    // Signed out: every chat closes. Out of a room (left, removed, closed): its chat closes.
    this.stop = effect(() => {
      const me = client.me.value;
      const rooms = client.rooms.value;
      const gone = (key: string) => {
        const roomId = roomIdOf(key);
        return !me || (roomId !== null && !rooms.has(roomId));
      };
      batch(() => {
        if (this.activePeer.peek() && gone(this.activePeer.peek()!)) this.activePeer.value = null;
        if (this.docked.peek().some(gone)) this.docked.value = this.docked.peek().filter((key) => !gone(key));
      });
    });
  }

  isVisible(key: string): boolean {
    return (this.panelOpen.value && this.activePeer.value === key) || this.docked.value.includes(key);
  }

  openChats(): string[] {
    const peers = [...this.docked.value];
    if (this.activePeer.value) peers.push(this.activePeer.value);
    return peers;
  }

  /** Opens the panel, on a chat (or the list, `null`); by default on the chat it showed last. */
  readonly open = (peerId: string | null = this.activePeer.value): void => {
    const wasOpen = this.panelOpen.value;
    batch(() => {
      this.panelOpen.value = true;
      this.activePeer.value = peerId;
    });
    if (!wasOpen) this.client.events.emit('open', {});
    if (peerId) this.client.viewed(peerId);
  };

  readonly close = (): void => {
    if (!this.panelOpen.value) return;
    this.panelOpen.value = false;
    this.client.events.emit('close', {});
  };

  readonly toggle = (): void => (this.panelOpen.value ? this.close() : this.open());

  /** Keeps a chat open beside the panel (wide screens); at most three, the oldest goes first. */
  dock(peerId: string): void {
    this.docked.value = [...this.docked.value.filter((p) => p !== peerId), peerId].slice(-3);
    if (this.activePeer.value === peerId) this.activePeer.value = null;
    this.client.viewed(peerId);
  }

  undock(peerId: string): void {
    this.docked.value = this.docked.value.filter((p) => p !== peerId);
  }

  /** Opens the chat with a user by username (host API); resolves false if there is no such user. */
  async openChatWith(username: string, draft?: string): Promise<boolean> {
    const entry = await this.client.findUser(username);
    if (!entry) return false;
    if (draft !== undefined) this.drafts.value = new Map(this.drafts.value).set(entry.user.id, draft);
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
}
