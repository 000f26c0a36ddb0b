import { Limits } from '@parley/backend/protocol/constants';
import type { ChatMessage, MessageEdit, ReactionEmoji, RoomRole } from '@parley/backend/protocol';
import { conversationKey, type ShownMessage } from './conversations.js';
import type { Feature } from './feature.js';

/** A stored message of the user's own (ids only: pending ones cannot change yet). */
const ownStored = (m: ShownMessage, me: string | undefined) => m.id !== null && m.state === 'sent' && m.senderId === me;

/**
 * Whether to offer editing `m`: the user's own text (or file caption), not deleted, younger than
 * the default edit window. The site may set another window; the server decides (`too_late`).
 */
export function canEdit(m: ShownMessage, me: string | undefined, now = Date.now()): boolean {
  if (!ownStored(m, me) || (m.content.kind !== 'text' && m.content.kind !== 'file')) return false;
  return now - Date.parse(m.createdAt) < Limits.editWindowMinutesDefault * 60_000;
}

/** Whether the user may delete `m` for everyone: their own, or anyone's in a room they own or administer. */
export function canDeleteForEveryone(m: ShownMessage, me: string | undefined, role: RoomRole | null): boolean {
  if (m.id === null || m.state !== 'sent' || m.content.kind === 'deleted' || m.content.kind === 'call') return false;
  return m.senderId === me || (!!m.roomId && (role === 'owner' || role === 'admin'));
}

/** Whether `m` can take reactions: stored, not deleted, not a call log. */
export const canReact = (m: ShownMessage) =>
  m.id !== null && m.state === 'sent' && m.content.kind !== 'deleted' && m.content.kind !== 'call';

export interface MessageChanges {
  /** Replaces the text (a file's caption) of the user's own message; rejects with the server's code (`too_late`). */
  edit(key: string, messageId: string, text: string): Promise<void>;
  /** Deletes for everyone (a tombstone stays) or for the user only (it leaves their devices). */
  remove(key: string, messageId: string, scope: 'everyone' | 'me'): Promise<void>;
  /** Sets or removes the user's reaction (`on`); setting what already is changes nothing. */
  react(key: string, messageId: string, emoji: ReactionEmoji, on: boolean): Promise<void>;
  /** The earlier texts of the user's own message, oldest first. */
  edits(key: string, messageId: string): Promise<MessageEdit[]>;
}

/**
 * Changing messages after they were sent: `message:edit`, `message:delete`, `message:react`,
 * `message:edits`. The answer is applied at once (the same change comes again through the inbox,
 * and is then a no-op: its `rev` is not higher).
 */
export const messageChanges: Feature<MessageChanges> = ({ request, conversations }) => {
  const apply = (key: string, message: ChatMessage) => conversations.dispatch({ type: 'changed', key, message });
  return {
    async edit(key, messageId, text) {
      const { message } = await request('message:edit', { in: conversationKey(key), messageId, text });
      apply(key, message);
    },
    async remove(key, messageId, scope) {
      const { message } = await request('message:delete', { in: conversationKey(key), messageId, for: scope });
      if (message) apply(key, message);
      else conversations.dispatch({ type: 'hidden', key, messageId });
    },
    async react(key, messageId, emoji, on) {
      const { message } = await request('message:react', { in: conversationKey(key), messageId, emoji, on });
      apply(key, message);
    },
    edits: async (key, messageId) => (await request('message:edits', { in: conversationKey(key), messageId })).edits,
  };
};
