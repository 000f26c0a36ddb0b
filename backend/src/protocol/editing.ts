/**
 * What happens to a message after it is sent: edits, deletion (for everyone, or for oneself),
 * replies that quote it, and reactions. Each change is an event in the conversation, delivered
 * through the inbox like a message, so every device and every member who was offline ends in the
 * same state (re-exported by ./index.ts; docs/protocol.md, "Editing, deleting, replying, reacting").
 */
import type { ReactionEmoji } from './constants.js';

/** What a reply shows of the message it quotes (kept with the reply; follows edits and deletion). */
export interface ReplyRef {
  /** The quoted message (same conversation); `message:around` loads it with its neighbours. */
  id: string;
  senderId: string;
  /** The quoted message's kind (MessageContent's `kind`): a reply to a picture can say so. */
  kind: 'text' | 'file' | 'call' | 'deleted';
  /** The start of its text (at most Limits.replyExcerpt characters); for a file, its name. "" once deleted. */
  excerpt: string;
}

/** One emoji on a message and who reacted with it (user ids, in the order they reacted). */
export interface Reaction {
  emoji: ReactionEmoji;
  userIds: string[];
}

/** An earlier text of an edited message (only its sender can read them). */
export interface MessageEdit {
  text: string;
  /** When this text was replaced. */
  editedAt: string;
}
