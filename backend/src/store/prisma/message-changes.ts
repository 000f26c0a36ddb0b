import { Limits, REACTIONS, type MessageHidden, type Reaction, type ReactionEmoji } from '../../protocol/index.js';
import type { InboxRecord, MessageRecord } from '../records.js';
import type {
  ChangeOutcome,
  MessageChangeInput,
  MessageChangesRepository,
  MessageEditRecord,
} from '../repositories/message-changes.js';
import { toReplyRef } from '../wire.js';
import type { StoreContext, Tx } from './context.js';
import { insertInboxEntries, reserveInboxSeqs } from './inbox.js';
import { MESSAGE_COLUMNS, toMessage, type RawMessageRow } from './rows.js';

/** Thrown inside a change's transaction when it turns out to change nothing: rolls back its `rev` bump. */
class NothingChanged extends Error {}

/**
 * Edits, deletions, reactions and hidden messages on Prisma (SQLite and PostgreSQL alike), each
 * one transaction. Its first statement bumps the message's `rev`: an UPDATE, so on SQLite the
 * transaction takes the write lock at once and waits its turn behind the hot path's writer thread
 * (another connection) through the busy timeout, rather than failing on a stale read; on
 * PostgreSQL the row lock it takes serialises every change to one message until commit, so the
 * inbox positions reserved after it follow the order of `rev` in every member's inbox.
 */
export class PrismaMessageChanges implements MessageChangesRepository {
  constructor(private readonly ctx: StoreContext) {}

  private transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.ctx.retryBusy(() => this.ctx.db.$transaction((tx) => fn(tx), { maxWait: 10_000, timeout: 30_000 }));
  }

  async changeMessage(change: MessageChangeInput): Promise<ChangeOutcome> {
    try {
      return await this.transaction(async (tx) => {
        const bumped = await this.bump(tx, change);
        if (!bumped) throw new NothingChanged();
        const message = await this.apply(tx, change, bumped);
        // Replies keep a copy of the quote (reading them needs no join): it follows the original.
        if (change.action !== 'react') await this.requote(tx, message);
        const entries = await this.fanOut(tx, change, message);
        return { message, changed: true, entries };
      });
    } catch (err) {
      if (!(err instanceof NothingChanged)) throw err;
      const row = await this.ctx.db.message.findUnique({ where: { id: change.messageId } });
      return { message: row && toMessage(row), changed: false, entries: [] };
    }
  }

  /**
   * Counts the change in `rev` unless the message is deleted (or, for a reaction, a call log), and
   * returns the message as this statement left it; null when it did not. A deletion clears the
   * content in the same statement.
   */
  private async bump(tx: Tx, change: MessageChangeInput): Promise<MessageRecord | null> {
    const q = this.ctx.sql();
    let set = `"rev" = "rev" + 1`;
    if (change.action === 'delete') {
      set +=
        `, "body" = '', "mentions" = NULL, "fileId" = NULL, "attachment" = NULL, "callLog" = NULL, ` +
        `"replyToId" = NULL, "replyTo" = NULL, "editedAt" = NULL, "reactions" = NULL, ` +
        `"deletedAt" = ${q.time(change.at)}, "deletedBy" = ${q.p(change.by)}`;
    }
    const guard = change.action === 'react' ? ` AND "callLog" IS NULL` : '';
    const rows = await tx.$queryRawUnsafe<RawMessageRow[]>(
      `UPDATE "Message" SET ${set} WHERE "id" = ${q.p(change.messageId)} AND "deletedAt" IS NULL${guard} ` +
        `RETURNING ${MESSAGE_COLUMNS}`,
      ...q.params,
    );
    return rows[0] ? toMessage(rows[0]) : null;
  }

  /** The rest of the change, after the bump; returns the message as it is then. */
  private async apply(tx: Tx, change: MessageChangeInput, message: MessageRecord): Promise<MessageRecord> {
    const id = message.id;
    switch (change.action) {
      case 'edit': {
        const q = this.ctx.sql();
        await tx.$executeRawUnsafe(
          `INSERT INTO "MessageEdit" ("messageId", "text", "editedAt") VALUES (${q.p(id)}, ${q.p(message.body)}, ${q.time(change.at)})`,
          ...q.params,
        );
        // The newest Limits.messageEdits earlier texts are kept.
        const t = this.ctx.sql();
        await tx.$executeRawUnsafe(
          `DELETE FROM "MessageEdit" WHERE "messageId" = ${t.p(id)} AND "id" NOT IN ` +
            `(SELECT "id" FROM "MessageEdit" WHERE "messageId" = ${t.p(id)} ORDER BY "id" DESC LIMIT ${t.p(Limits.messageEdits, '::integer')})`,
          ...t.params,
        );
        const u = this.ctx.sql();
        const rows = await tx.$queryRawUnsafe<RawMessageRow[]>(
          `UPDATE "Message" SET "body" = ${u.p(change.text)}, "editedAt" = ${u.time(change.at)} WHERE "id" = ${u.p(id)} ` +
            `RETURNING ${MESSAGE_COLUMNS}`,
          ...u.params,
        );
        return toMessage(rows[0]!);
      }
      case 'delete': {
        // The content went with the bump; its reactions and earlier texts go now.
        for (const table of ['MessageReaction', 'MessageEdit']) {
          const q = this.ctx.sql();
          await tx.$executeRawUnsafe(`DELETE FROM "${table}" WHERE "messageId" = ${q.p(id)}`, ...q.params);
        }
        return message;
      }
      case 'react': {
        const q = this.ctx.sql();
        const key = `${q.p(id)}, ${q.p(change.by)}, ${q.p(change.emoji)}`;
        const count = change.on
          ? await tx.$executeRawUnsafe(
              `INSERT INTO "MessageReaction" ("messageId", "userId", "emoji", "createdAt") VALUES (${key}, ${q.time(change.at)}) ` +
                `ON CONFLICT ("messageId", "userId", "emoji") DO NOTHING`,
              ...q.params,
            )
          : await tx.$executeRawUnsafe(
              `DELETE FROM "MessageReaction" WHERE ("messageId", "userId", "emoji") = (${key})`,
              ...q.params,
            );
        // The reaction already was so: nothing to count or tell anyone.
        if (count === 0) throw new NothingChanged();
        return this.rebuildReactions(tx, id);
      }
    }
  }

  /** Message.reactions from its MessageReaction rows: emoji in REACTIONS order, users in the order they reacted. */
  private async rebuildReactions(tx: Tx, messageId: string): Promise<MessageRecord> {
    const q = this.ctx.sql();
    const rows = await tx.$queryRawUnsafe<{ emoji: string; userId: string }[]>(
      `SELECT "emoji", "userId" FROM "MessageReaction" WHERE "messageId" = ${q.p(messageId)} ORDER BY "createdAt", "userId"`,
      ...q.params,
    );
    const reactions: Reaction[] = REACTIONS.flatMap((emoji: ReactionEmoji) => {
      const userIds = rows.filter((r) => r.emoji === emoji).map((r) => r.userId);
      return userIds.length > 0 ? [{ emoji, userIds }] : [];
    });
    const u = this.ctx.sql();
    const json = reactions.length > 0 ? u.p(JSON.stringify(reactions)) : 'NULL';
    const updated = await tx.$queryRawUnsafe<RawMessageRow[]>(
      `UPDATE "Message" SET "reactions" = ${json} WHERE "id" = ${u.p(messageId)} RETURNING ${MESSAGE_COLUMNS}`,
      ...u.params,
    );
    return toMessage(updated[0]!);
  }

  /** Every reply to `message` shows it as it is now (no `rev` of theirs changes: clients update quotes themselves). */
  private async requote(tx: Tx, message: MessageRecord): Promise<void> {
    const q = this.ctx.sql();
    await tx.$executeRawUnsafe(
      `UPDATE "Message" SET "replyTo" = ${q.p(JSON.stringify(toReplyRef(message)))} WHERE "replyToId" = ${q.p(message.id)}`,
      ...q.params,
    );
  }

  /** A `change` entry for everyone in the message's conversation now: sender and recipient, or the room's joined members. */
  private async fanOut(tx: Tx, change: MessageChangeInput, message: MessageRecord): Promise<InboxRecord[]> {
    let audience: string[];
    if (message.roomId !== undefined) {
      const q = this.ctx.sql();
      const rows = await tx.$queryRawUnsafe<{ userId: string }[]>(
        `SELECT "userId" FROM "RoomMember" WHERE "roomId" = ${q.p(message.roomId)} AND "role" <> 'invited' ` +
          `ORDER BY "createdAt"${this.ctx.kind === 'postgres' ? ' FOR SHARE' : ''}`,
        ...q.params,
      );
      audience = rows.map((r) => r.userId);
    } else {
      audience = [...new Set([message.senderId, message.recipientId])].filter((id) => id !== '');
    }
    if (audience.length === 0) return [];
    const before = await reserveInboxSeqs(this.ctx, tx, new Map(audience.map((userId) => [userId, 1])));
    const entries: InboxRecord[] = audience.map((userId) => ({
      userId,
      seq: before.get(userId)! + 1,
      kind: 'change',
      change: { action: change.action, by: change.by, message },
    }));
    await insertInboxEntries(this.ctx, tx, entries);
    return entries;
  }

  async hideMessage(userId: string, message: MessageRecord, hidden: MessageHidden): Promise<InboxRecord[]> {
    return this.transaction(async (tx) => {
      // A write first, as for changes (see the class comment); hiding twice writes nothing.
      const q = this.ctx.sql();
      const count = await tx.$executeRawUnsafe(
        `INSERT INTO "HiddenMessage" ("userId", "messageId", "conversationId", "createdAt") ` +
          `VALUES (${q.p(userId)}, ${q.p(message.id)}, ${q.p(message.conversationId)}, ${q.time(new Date())}) ` +
          `ON CONFLICT ("userId", "messageId") DO NOTHING`,
        ...q.params,
      );
      if (count === 0) return [];
      const before = await reserveInboxSeqs(this.ctx, tx, new Map([[userId, 1]]));
      const entries: InboxRecord[] = [{ userId, seq: before.get(userId)! + 1, kind: 'hidden', hidden }];
      await insertInboxEntries(this.ctx, tx, entries);
      return entries;
    });
  }

  async messageEdits(messageId: string): Promise<MessageEditRecord[]> {
    const rows = await this.ctx.db.messageEdit.findMany({ where: { messageId }, orderBy: { id: 'asc' } });
    return rows.map((r) => ({ text: r.text, editedAt: r.editedAt }));
  }
}
