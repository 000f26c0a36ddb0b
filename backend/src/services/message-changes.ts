import { ErrorCode, type Payload, type ReplyData, type RoomRole } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { SiteRecord, Store, UserRecord } from '../store/store.js';
import { toWireMessage } from '../store/wire.js';
import type { Conversations } from './conversations.js';
import type { Messaging } from './messaging.js';
import { siteSettings } from './site-settings.js';

/** Who may delete any message of a room for everyone, besides its sender. */
const MODERATORS: readonly RoomRole[] = ['owner', 'admin'];
const forbidden = (message: string) => new ParleyError(ErrorCode.Forbidden, message);

/**
 * What happens to a message after it is sent: its sender edits it (within the site's window) or
 * deletes it for everyone (so may a room's owner or admin), anyone in the conversation reacts to
 * it or deletes it for themselves only, and its sender reads its earlier texts. The conversation
 * is resolved, and the caller authorised, as for every conversation event (Conversations); each
 * change is stored with its inbox entries in one transaction and then pushed like a message.
 */
export class MessageChanges {
  constructor(
    private readonly store: Store,
    private readonly conversations: Conversations,
    private readonly messaging: Messaging,
    /** The time edits are checked against and changes are stamped with (tests move it). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  async edit(site: SiteRecord, user: UserRecord, input: Payload<'message:edit'>): Promise<ReplyData['message:edit']> {
    const { message } = await this.conversations.messageIn(site, user, input.in, input.messageId, 'write');
    if (message.senderId !== user.id) throw forbidden('Only its sender can edit a message.');
    if (message.call || message.deletedAt) throw forbidden('This message cannot be edited.');
    const at = this.now();
    const windowMs = siteSettings(site).editWindowMinutes * 60_000;
    if (at.getTime() - message.createdAt.getTime() > windowMs) {
      throw new ParleyError(ErrorCode.TooLate, 'This message can no longer be edited.');
    }
    const outcome = await this.store.changeMessage({
      action: 'edit',
      messageId: message.id,
      by: user.id,
      at,
      text: input.text,
    });
    // Deleted meanwhile (from another device, or by a room admin).
    if (!outcome.changed || !outcome.message) throw forbidden('This message cannot be edited.');
    this.messaging.deliver(outcome.entries);
    return { message: toWireMessage(outcome.message) };
  }

  async delete(
    site: SiteRecord,
    user: UserRecord,
    input: Payload<'message:delete'>,
  ): Promise<ReplyData['message:delete']> {
    const { conversation, message } = await this.conversations.messageIn(site, user, input.in, input.messageId, 'read');
    if (input.for === 'me') {
      // Only the caller's own devices hear of it; hiding twice tells them nothing new.
      const entries = await this.store.hideMessage(user.id, message, { in: input.in, messageId: message.id });
      this.messaging.deliver(entries);
      return { message: null };
    }
    if (message.senderId !== user.id) {
      const role = conversation.kind === 'room' ? await this.store.roomRole(conversation.roomId, user.id) : null;
      if (!role || !MODERATORS.includes(role)) {
        throw forbidden("Only its sender, or a room's owner or admin, can delete a message for everyone.");
      }
    }
    if (message.deletedAt) return { message: toWireMessage(message) };
    const outcome = await this.store.changeMessage({
      action: 'delete',
      messageId: message.id,
      by: user.id,
      at: this.now(),
    });
    // Deleted twice (at once, from two devices): the tombstone, and nothing more is sent.
    this.messaging.deliver(outcome.entries);
    return { message: toWireMessage(outcome.message ?? message) };
  }

  async react(
    site: SiteRecord,
    user: UserRecord,
    input: Payload<'message:react'>,
  ): Promise<ReplyData['message:react']> {
    const { message } = await this.conversations.messageIn(site, user, input.in, input.messageId, 'write');
    if (message.call || message.deletedAt) throw forbidden('This message cannot be reacted to.');
    const outcome = await this.store.changeMessage({
      action: 'react',
      messageId: message.id,
      by: user.id,
      at: this.now(),
      emoji: input.emoji,
      on: input.on,
    });
    if (outcome.message?.deletedAt) throw forbidden('This message cannot be reacted to.');
    // Unchanged (the reaction already was so): the message as it is, and nothing sent.
    this.messaging.deliver(outcome.entries);
    return { message: toWireMessage(outcome.message ?? message) };
  }

  async edits(
    site: SiteRecord,
    user: UserRecord,
    input: Payload<'message:edits'>,
  ): Promise<ReplyData['message:edits']> {
    const { message } = await this.conversations.messageIn(site, user, input.in, input.messageId, 'read');
    if (message.senderId !== user.id) throw forbidden('Only its sender can read the earlier texts of a message.');
    const edits = await this.store.messageEdits(message.id);
    return { edits: edits.map((e) => ({ text: e.text, editedAt: e.editedAt.toISOString() })) };
  }
}
