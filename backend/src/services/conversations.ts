import { timeOrderedId } from '../ids.js';
import {
  ErrorCode,
  Limits,
  type ConversationKey,
  type FileInfo,
  type Payload,
  type ReadMarker,
  type ReplyData,
  type RoomRole,
} from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import {
  roomConversationId,
  type MessageRecord,
  type SiteRecord,
  type Store,
  type StoredFileRecord,
  type UserRecord,
} from '../store/store.js';
import type { FileUrlSigner } from './files/signed-urls.js';
import type { InboxWriter } from './inbox-writer.js';
import { toReplyRef, toWireMessage } from '../store/wire.js';
import { directConversationId, type Messaging } from './messaging.js';
import type { Notifier } from './notifier.js';
import type { Relations } from './relations.js';
import { mentionedUsernames } from './mentions.js';

/** Messages `message:around` returns on each side when the client does not say. */
const AROUND_DEFAULT = 20;
const JOINED: readonly RoomRole[] = ['owner', 'admin', 'member'];
const noRoom = () => new ParleyError(ErrorCode.NotFound, 'No such room.');
const noUser = () => new ParleyError(ErrorCode.NotFound, 'No such user.');
const noMessage = () => new ParleyError(ErrorCode.NotFound, 'No such message in this conversation.');
const noFile = () => new ParleyError(ErrorCode.NotFound, 'No such file in this conversation.');

/**
 * A conversation the caller may act in, resolved from a {@link ConversationKey}: its stored id,
 * and who else is in it. Resolving is the authorisation: a key the caller has no part in fails
 * here, with `not_found` for rooms they are not in and users of other sites alike.
 */
export type Resolved =
  | { kind: 'direct'; conversationId: string; peerId: string }
  | { kind: 'room'; conversationId: string; roomId: string; members: () => Promise<Member[]> };

type Member = { id: string; username: string };

export interface SendOptions {
  fromSite?: boolean;
  connection?: string | null;
  deliver?: (then: () => void) => void;
}

/**
 * One notion for direct chats and rooms: send, page history, mark read and type in any
 * conversation, named by a typed key. Each step is written once; only resolving a key and the
 * audience differ between the two kinds. A new kind of content is one more variant of
 * `MessageContent`, not a new path.
 */
export class Conversations {
  constructor(
    private readonly store: Store,
    private readonly writer: InboxWriter,
    private readonly messaging: Messaging,
    private readonly relations: Relations,
    private readonly notify: Notifier,
    private readonly fileUrls: FileUrlSigner,
  ) {}

  /**
   * Direct: the peer must be a user of the caller's site, and for `write` (send, typing) one the
   * caller may message (buddies, or strangers where the site allows, never across a block); a
   * `notice` (the site's own, see `send`) only one of the site. Room: the caller must have joined it (invitees may not read or write).
   */
  private async resolve(
    site: SiteRecord,
    user: UserRecord,
    key: ConversationKey,
    purpose: 'send' | 'notice' | 'write' | 'read',
  ): Promise<Resolved> {
    const write = purpose !== 'read' && purpose !== 'notice';
    if (key.kind === 'direct') {
      if (key.id === user.id) throw new ParleyError(ErrorCode.BadRequest, 'There is no conversation with yourself.');
      // Writing checks the relation, which also proves the peer is of this site; reading only that.
      // (Buddies need no user lookup: the hot path of a message to a buddy reads nothing here.)
      if (write) await this.relations.assertMayMessage(site, user.id, key.id);
      else {
        const peer = await this.store.getUser(key.id);
        if (!peer || peer.siteId !== user.siteId) throw noUser();
      }
      return { kind: 'direct', conversationId: directConversationId(user.id, key.id), peerId: key.id };
    }
    const conversationId = roomConversationId(key.id);
    let loaded: Promise<Member[]> | undefined;
    const members = () =>
      (loaded ??= this.store
        .roomMembers(key.id)
        .then((all) =>
          all.filter((m) => m.role !== 'invited').map((m) => ({ id: m.user.id, username: m.user.username })),
        ));
    // A message needs no look-up here: the writer checks membership inside its transaction (a
    // room the sender is not in, closed or of another site, refuses it), so the hot path stays
    // one transaction. Everything else checks now.
    if (purpose === 'send' || purpose === 'notice') return { kind: 'room', conversationId, roomId: key.id, members };
    const [room, role] = await Promise.all([this.store.getRoom(key.id), this.store.roomRole(key.id, user.id)]);
    if (!room || room.siteId !== user.siteId || room.closedAt || !role || !JOINED.includes(role)) throw noRoom();
    return { kind: 'room', conversationId, roomId: key.id, members };
  }

  /** Everyone in the conversation but the caller. */
  private async others(user: UserRecord, c: Resolved): Promise<string[]> {
    if (c.kind === 'direct') return [c.peerId];
    return (await c.members()).map((m) => m.id).filter((id) => id !== user.id);
  }

  /**
   * Stores and delivers a message. `fromSite`: the site's own server sends it (a system notice
   * through the server API), so a direct message needs no relation, only a recipient of the site.
   * `connection`: the sender's connection it came on, which gets its entry in the answer and no
   * copy; `deliver`: when to deliver (the transport runs it just after answering, so nothing of
   * the sender's inbox overtakes the answer); at once when not given.
   */
  async send(
    site: SiteRecord,
    sender: UserRecord,
    input: Payload<'message:send'>,
    { fromSite = false, connection = null, deliver = (then) => then() }: SendOptions = {},
  ): Promise<ReplyData['message:send']> {
    const c = await this.resolve(site, sender, input.in, fromSite ? 'notice' : 'send');
    const content = input.content;
    // A file is sent by its upload's id: it must be the sender's own, stored into this very
    // conversation; what the message shows of it comes from what the server stored.
    const file = content.kind === 'file' ? await this.ownUpload(sender, c, content.fileId) : undefined;
    const message: MessageRecord = {
      id: timeOrderedId(),
      siteId: sender.siteId,
      senderId: sender.id,
      recipientId: c.kind === 'direct' ? c.peerId : '',
      conversationId: c.conversationId,
      clientId: input.clientId,
      body: content.text ?? '',
      createdAt: new Date(),
    };
    if (file) message.file = fileInfo(file);
    if (input.replyTo !== undefined) {
      // Quoted as it is now; the quote follows the original's edits and deletion (message-changes).
      const quoted = await this.store.getMessage(input.replyTo);
      if (!quoted || quoted.conversationId !== c.conversationId) throw noMessage();
      message.replyTo = toReplyRef(quoted);
    }
    if (c.kind === 'room') {
      message.roomId = c.roomId;
      const names = mentionedUsernames(message.body);
      if (names.length > 0) {
        const members = await c.members();
        const mentions = members.filter((m) => m.id !== sender.id && names.includes(m.username)).map((m) => m.id);
        if (mentions.length > 0) message.mentions = mentions;
      }
    }
    // Room membership is checked again where it counts: inside the writer's transaction, against
    // the members at commit time, so a message and a removal racing each other stay consistent.
    const result = await this.writer.write({ type: 'message', message });
    if (result.type !== 'message') throw new Error('writer answered a message with a receipt');
    if (result.refused) throw noRoom();
    if (!result.duplicate) {
      const entries = result.entries;
      deliver(() => this.messaging.deliver(entries, connection));
    }
    const own = result.entries.find((e) => e.userId === sender.id);
    return { message: toWireMessage(result.message), seq: own?.seq ?? null, duplicate: result.duplicate };
  }

  /**
   * A message of the conversation `key` names, with the conversation, for a caller who may act in
   * it (`write`: as for typing; `read`: as for history). A message of another conversation, or
   * none, is `not_found`, as a conversation the caller is not in is.
   */
  async messageIn(
    site: SiteRecord,
    user: UserRecord,
    key: ConversationKey,
    messageId: string,
    purpose: 'write' | 'read',
  ): Promise<{ conversation: Resolved; message: MessageRecord }> {
    const conversation = await this.resolve(site, user, key, purpose);
    const message = await this.store.getMessage(messageId);
    if (!message || message.conversationId !== conversation.conversationId) throw noMessage();
    return { conversation, message };
  }

  private async ownUpload(sender: UserRecord, c: Resolved, fileId: string): Promise<StoredFileRecord> {
    const file = await this.store.getFile(fileId);
    if (!file || file.siteId !== sender.siteId || file.uploaderId !== sender.id) throw noFile();
    if (file.conversationId !== c.conversationId) throw noFile();
    return file;
  }

  /**
   * The stored id of the conversation `key` names, if `user` may send there now (a room: they
   * have joined it; a direct chat: they may message the peer). An upload is for one conversation.
   */
  async conversationForUpload(site: SiteRecord, user: UserRecord, key: ConversationKey): Promise<string> {
    return (await this.resolve(site, user, key, 'write')).conversationId;
  }

  /**
   * Signed URLs of a file, for a member of the conversation it was sent in. Its uploader may also
   * fetch it before sending (to show a preview); anyone else only once a message of this
   * conversation refers to it. Everything else (another conversation's file, a file of another
   * site, a conversation the caller is not in) is `not_found`.
   */
  async urls(site: SiteRecord, user: UserRecord, input: Payload<'file:urls'>): Promise<ReplyData['file:urls']> {
    const c = await this.resolve(site, user, input.in, 'read');
    const file = await this.store.getFile(input.fileId);
    if (!file || file.siteId !== user.siteId || file.conversationId !== c.conversationId) throw noFile();
    if (file.uploaderId !== user.id && !(await this.store.fileSentIn(file.id, c.conversationId))) throw noFile();
    return this.fileUrls.urlsFor(site, file, c.conversationId);
  }

  async history(
    site: SiteRecord,
    user: UserRecord,
    input: Payload<'message:history'>,
  ): Promise<ReplyData['message:history']> {
    const c = await this.resolve(site, user, input.in, 'read');
    const limit = input.limit ?? 50;
    const page = input.after !== undefined ? { after: input.after } : { before: input.before };
    // The conversation is derived from the caller, so nobody can name someone else's.
    const [rows, readBy] = await Promise.all([
      this.store.history(c.conversationId, user.id, page, limit + 1),
      this.readBy(c),
    ]);
    const hasMore = rows.length > limit;
    // Newest first either way; the one too many is the oldest with `before`, the newest with `after`.
    const messages = hasMore ? (page.after ? rows.slice(1) : rows.slice(0, limit)) : rows;
    return { messages: messages.map(toWireMessage), hasMore, readBy };
  }

  /**
   * A message with up to `limit` on each side, oldest first: where a search result or a quoted
   * message is, however far back. A message the caller deleted for themselves is not there.
   */
  async around(
    site: SiteRecord,
    user: UserRecord,
    input: Payload<'message:around'>,
  ): Promise<ReplyData['message:around']> {
    const c = await this.resolve(site, user, input.in, 'read');
    const limit = input.limit ?? AROUND_DEFAULT;
    const [target, hidden] = await Promise.all([
      this.store.getMessage(input.messageId),
      this.store.hiddenFor(user.id, input.messageId),
    ]);
    if (!target || target.conversationId !== c.conversationId || hidden) throw noMessage();
    const [older, newer, readBy] = await Promise.all([
      this.store.history(c.conversationId, user.id, { before: target.id }, limit + 1),
      this.store.history(c.conversationId, user.id, { after: target.id }, limit + 1),
      this.readBy(c),
    ]);
    // Both pages come newest first: the older one's extra is its last, the newer one's its first.
    const before = older.slice(0, limit).reverse();
    const after = (newer.length > limit ? newer.slice(1) : newer).reverse();
    return {
      messages: [...before, target, ...after].map(toWireMessage),
      hasOlder: older.length > limit,
      hasNewer: newer.length > limit,
      readBy,
    };
  }

  /**
   * Messages of the conversation whose text (or caption) contains the query, newest first. The
   * query is literal text (no operators or wildcards), trimmed; Latin letters match in any case.
   */
  async search(
    site: SiteRecord,
    user: UserRecord,
    input: Payload<'message:search'>,
  ): Promise<ReplyData['message:search']> {
    const c = await this.resolve(site, user, input.in, 'read');
    const limit = input.limit ?? Limits.searchPage;
    const rows = await this.store.searchMessages(
      c.conversationId,
      user.id,
      input.query.trim(),
      input.before,
      limit + 1,
    );
    return { results: rows.slice(0, limit).map(toWireMessage), hasMore: rows.length > limit };
  }

  /** How far the other members have read a room (a direct chat's markers come with conversation:list). */
  private readBy(c: Resolved): Promise<ReadMarker[]> {
    return c.kind === 'room' ? this.store.roomReadMarkers(c.roomId) : Promise.resolve([]);
  }

  /**
   * The caller has received or read the conversation up to `upTo`, a message of it (in a direct
   * chat, one the peer sent). Direct receipts reach the peer through their inbox; in a room only
   * `read` moves anything, and the other members learn it live as `room:seen`.
   */
  async read(
    site: SiteRecord,
    user: UserRecord,
    input: Payload<'conversation:read'>,
  ): Promise<ReplyData['conversation:read']> {
    const c = await this.resolve(site, user, input.in, 'read');
    const message = await this.store.getMessage(input.upTo);
    if (
      !message ||
      message.conversationId !== c.conversationId ||
      (c.kind === 'direct' && message.senderId !== c.peerId)
    ) {
      throw noMessage();
    }
    if (c.kind === 'room' && input.kind === 'delivered') return { advanced: false };
    const result = await this.writer.write({
      type: 'receipt',
      receipt: {
        conversationId: c.conversationId,
        readerId: user.id,
        peerId: c.kind === 'direct' ? c.peerId : '',
        kind: input.kind,
        upTo: input.upTo,
        at: new Date(),
      },
    });
    if (result.type !== 'receipt') throw new Error('writer answered a receipt with a message');
    this.messaging.deliver(result.entries);
    if (c.kind === 'room' && result.advanced) {
      const others = await this.others(user, c);
      if (others.length > 0)
        this.notify.toUsers(others, 'room:seen', { roomId: c.roomId, userId: user.id, upTo: input.upTo });
    }
    return { advanced: result.advanced };
  }

  /** Live only, never stored: the others see "typing…" while it lasts. */
  async typing(site: SiteRecord, user: UserRecord, input: Payload<'typing:set'>): Promise<ReplyData['typing:set']> {
    const c = await this.resolve(site, user, input.in, 'write');
    let others = await this.others(user, c);
    if (c.kind === 'room' && others.length > 0) {
      // Like presence, typing never passes between two members one of whom blocked the other.
      const blocked = new Set(
        (await this.store.blocksAmong([user.id, ...others])).flatMap(([a, b]) =>
          a === user.id ? [b] : b === user.id ? [a] : [],
        ),
      );
      others = others.filter((id) => !blocked.has(id));
    }
    // Each receiver is told where: a direct chat is named by the typer, as the receiver sees it.
    const where: ConversationKey = c.kind === 'direct' ? { kind: 'direct', id: user.id } : input.in;
    if (others.length > 0)
      this.notify.toUsers(others, 'typing:changed', { userId: user.id, typing: input.typing, in: where });
    return {};
  }
}

/** What a message shows of a stored file (kept with the message, so reading it needs no join). */
export function fileInfo(file: StoredFileRecord): FileInfo {
  const info: FileInfo = { id: file.id, name: file.name, size: file.size, mime: file.mime, media: file.media };
  if (file.width !== null) info.width = file.width;
  if (file.height !== null) info.height = file.height;
  if (file.durationMs !== null) info.durationMs = file.durationMs;
  if (file.voice) info.voice = true;
  if (file.hasThumb) info.thumb = true;
  return info;
}
