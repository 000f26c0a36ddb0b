import type {
  CallLog,
  ChosenPresence,
  FileInfo,
  MessageChange,
  MessageHidden,
  Reaction,
  Receipt,
  ReplyRef,
  RoomRole,
} from '../../protocol/index.js';
import type { Db } from '../prisma-client.js';
import {
  ROOM_PREFIX,
  type InboxRecord,
  type MessageRecord,
  type ReceiptRecord,
  type RoomMemberRecord,
  type RoomRecord,
  type SiteRecord,
  type UserRecord,
} from '../records.js';

/** Database rows to records: what Prisma's query builder returns, and what raw queries return. */

export type UserRow = Awaited<ReturnType<Db['user']['findUniqueOrThrow']>>;

export const MESSAGE_COLUMNS =
  '"id", "siteId", "senderId", "recipientId", "conversationId", "clientId", "body", "mentions", "attachment", "callLog", "createdAt", ' +
  '"replyTo", "editedAt", "deletedAt", "rev", "reactions"';

/**
 * How a message is inserted, written once for the writer thread (SQLite) and the Prisma path
 * (PostgreSQL): the columns, and a row's values in that order but for `createdAt`, which each
 * side writes in its own time format, last. A new column is added here and nowhere else.
 */
export const MESSAGE_INSERT_COLUMNS =
  '"id", "siteId", "senderId", "conversationId", "recipientId", "clientId", "body", "mentions", "fileId", "attachment", "callLog", ' +
  '"replyToId", "replyTo", "createdAt"';

export function messageInsertValues(m: MessageRecord): (string | null)[] {
  return [
    m.id,
    m.siteId,
    m.senderId,
    m.conversationId,
    m.recipientId || null,
    m.clientId,
    m.body,
    m.mentions?.length ? JSON.stringify(m.mentions) : null,
    m.file ? m.file.id : null,
    m.file ? JSON.stringify(m.file) : null,
    m.call ? JSON.stringify(m.call) : null,
    m.replyTo ? m.replyTo.id : null,
    m.replyTo ? JSON.stringify(m.replyTo) : null,
  ];
}

/** `l."id", l."siteId", …`: the message columns of a raw query, from table alias `alias`. */
export const messageColumns = (alias: string) =>
  MESSAGE_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

export interface RawMessageRow {
  id: string;
  siteId: string;
  senderId: string;
  recipientId: string | null;
  conversationId: string;
  clientId: string;
  body: string;
  mentions: string | null;
  /** JSON of the message's FileInfo; null for text. */
  attachment: string | null;
  /** JSON of the message's CallLog; null but for call-log messages. */
  callLog: string | null;
  createdAt: Date | string;
  /** JSON of the protocol's ReplyRef; null but for replies. */
  replyTo: string | null;
  editedAt: Date | string | null;
  deletedAt: Date | string | null;
  rev: number | bigint;
  /** JSON of the protocol's Reaction[]; null for none. */
  reactions: string | null;
}

/**
 * A message from a raw row's columns `at`… in {@link MESSAGE_COLUMNS} order (as `messageColumns`
 * selects them): a literal, as Object.fromEntries per row cost a sync page a tenth of its CPU.
 */
export function rawMessageAt(row: readonly unknown[], at: number): RawMessageRow {
  return {
    id: row[at] as string,
    siteId: row[at + 1] as string,
    senderId: row[at + 2] as string,
    recipientId: row[at + 3] as string | null,
    conversationId: row[at + 4] as string,
    clientId: row[at + 5] as string,
    body: row[at + 6] as string,
    mentions: row[at + 7] as string | null,
    attachment: row[at + 8] as string | null,
    callLog: row[at + 9] as string | null,
    createdAt: row[at + 10] as Date | string,
    replyTo: row[at + 11] as string | null,
    editedAt: row[at + 12] as Date | string | null,
    deletedAt: row[at + 13] as Date | string | null,
    rev: row[at + 14] as number | bigint,
    reactions: row[at + 15] as string | null,
  };
}

export type SiteRow = NonNullable<Awaited<ReturnType<Db['site']['findUnique']>>>;

export function toSite(row: SiteRow): SiteRecord {
  return {
    id: row.id,
    name: row.name,
    secret: row.secret,
    origins: JSON.parse(row.origins) as string[],
    settings: JSON.parse(row.settings) as Record<string, unknown>,
  };
}

export type RoomRow = Awaited<ReturnType<Db['room']['findUniqueOrThrow']>>;

export function toRoom(row: RoomRow): RoomRecord {
  return {
    id: row.id,
    siteId: row.siteId,
    name: row.name,
    public: row.public,
    ownerId: row.ownerId,
    closedAt: row.closedAt,
    createdAt: row.createdAt,
  };
}

export function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    siteId: row.siteId,
    username: row.username,
    displayName: row.displayName,
    avatarUrl: row.avatarUrl,
    passwordHash: row.passwordHash,
    externalId: row.externalId,
    presenceState: row.presenceState as ChosenPresence,
    statusText: row.statusText,
    lastSeenAt: row.lastSeenAt,
    email: row.email,
    emailConfirmedAt: row.emailConfirmedAt,
    emailDigests: row.emailDigests,
    digestUpTo: row.digestUpTo,
    profileFetchedAt: row.profileFetchedAt,
  };
}

/** The user columns of a raw query, in the order `rawUser` reads them. */
export const USER_COLUMNS = [
  'id',
  'siteId',
  'username',
  'displayName',
  'avatarUrl',
  'passwordHash',
  'externalId',
  'presenceState',
  'statusText',
  'lastSeenAt',
  'email',
  'emailConfirmedAt',
  'emailDigests',
  'digestUpTo',
  'profileFetchedAt',
] as const;
export type RawUserRow = Record<(typeof USER_COLUMNS)[number], unknown>;

/** `u."id", u."siteId", …`: the user columns of a raw query, from table alias `u`. */
export const USER_SELECT = USER_COLUMNS.map((c) => `u."${c}"`).join(', ');

export const rawDate = (v: unknown): Date | null =>
  v === null || v === undefined ? null : new Date(v as string | number | Date);
/** Booleans come back as 0/1 from SQLite and as booleans from PostgreSQL. */
export const rawBool = (v: unknown): boolean => v === true || v === 1 || v === 1n || v === '1';

/** A member as roomList's JSON array holds them. */
export interface ListedMemberJson {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  lastSeenAt: string | number | null;
  role: string;
  since: string | number | null;
}

/**
 * A time from inside a JSON value: SQLite gives Prisma's ISO text (with an offset), PostgreSQL a
 * `timestamp` without one, which Prisma keeps in UTC.
 */
export function jsonDate(v: string | number | null): Date | null {
  if (v === null) return null;
  if (typeof v === 'number') return new Date(v);
  return new Date(/(?:Z|[+-]\d\d:?\d\d)$/i.test(v) ? v : `${v.replace(' ', 'T')}Z`);
}

/** A user from a raw query's columns (see USER_COLUMNS), typed as Prisma would give it. */
export function rawUser(row: RawUserRow): UserRecord {
  return toUser({
    id: String(row.id),
    siteId: String(row.siteId),
    username: String(row.username),
    displayName: String(row.displayName),
    avatarUrl: (row.avatarUrl as string | null) ?? null,
    passwordHash: (row.passwordHash as string | null) ?? null,
    externalId: (row.externalId as string | null) ?? null,
    presenceState: String(row.presenceState),
    statusText: String(row.statusText),
    lastSeenAt: rawDate(row.lastSeenAt),
    email: (row.email as string | null) ?? null,
    emailConfirmedAt: rawDate(row.emailConfirmedAt),
    emailDigests: rawBool(row.emailDigests),
    digestUpTo: rawDate(row.digestUpTo),
    profileFetchedAt: rawDate(row.profileFetchedAt),
  } as UserRow);
}

export function toMessage(row: RawMessageRow): MessageRecord {
  const message: MessageRecord = {
    id: row.id,
    siteId: row.siteId,
    senderId: row.senderId,
    recipientId: row.recipientId ?? '',
    conversationId: row.conversationId,
    clientId: row.clientId,
    body: row.body,
    createdAt: new Date(row.createdAt),
  };
  if (row.conversationId.startsWith(ROOM_PREFIX)) message.roomId = row.conversationId.slice(ROOM_PREFIX.length);
  if (row.mentions) message.mentions = JSON.parse(row.mentions) as string[];
  if (row.attachment) message.file = JSON.parse(row.attachment) as FileInfo;
  if (row.callLog) message.call = JSON.parse(row.callLog) as CallLog;
  if (row.replyTo) message.replyTo = JSON.parse(row.replyTo) as ReplyRef;
  if (row.editedAt !== null) message.editedAt = new Date(row.editedAt);
  if (row.deletedAt !== null) message.deletedAt = new Date(row.deletedAt);
  if (row.reactions) message.reactions = JSON.parse(row.reactions) as Reaction[];
  const rev = Number(row.rev);
  if (rev > 0) message.rev = rev;
  return message;
}

export function toMember(row: RoomMemberRow): RoomMemberRecord {
  return {
    roomId: row.roomId,
    user: toUser(row.user),
    role: row.role as RoomRole,
    invitedBy: row.invitedBy,
    createdAt: row.createdAt,
  };
}

export type RoomMemberRow = Awaited<ReturnType<Db['roomMember']['findUniqueOrThrow']>> & { user: UserRow };

/** A receipt as its inbox entry keeps it (JSON): the protocol's shape. */
export type ReceiptData = Receipt;

export function toReceipt(json: string): ReceiptRecord {
  const data = JSON.parse(json) as ReceiptData;
  return { ...data, at: new Date(data.at) };
}

/** What a change entry keeps in its `data` (the message itself is read through `messageId`, as it is now). */
export type ChangeData = Pick<MessageChange, 'action' | 'by'>;

/**
 * How an inbox entry is stored, written once for the writer thread and the Prisma paths: its
 * kind, the message it refers to (a message, the message changed or hidden: removing the message
 * removes the entry), its JSON data, and its time (`now` for changes and hidden messages).
 */
export function inboxEntryValues(
  e: InboxRecord,
  now: Date,
): { kind: InboxRecord['kind']; messageId: string | null; data: string | null; createdAt: Date } {
  switch (e.kind) {
    case 'message':
      return { kind: e.kind, messageId: e.message.id, data: null, createdAt: e.message.createdAt };
    case 'receipt': {
      const data: ReceiptData = { ...e.receipt, at: e.receipt.at.toISOString() };
      return { kind: e.kind, messageId: null, data: JSON.stringify(data), createdAt: e.receipt.at };
    }
    case 'change': {
      const data: ChangeData = { action: e.change.action, by: e.change.by };
      return { kind: e.kind, messageId: e.change.message.id, data: JSON.stringify(data), createdAt: now };
    }
    case 'hidden': {
      const data: MessageHidden = e.hidden;
      return { kind: e.kind, messageId: e.hidden.messageId, data: JSON.stringify(data), createdAt: now };
    }
  }
}

/**
 * An inbox entry from its stored row (the row's message, as it is now, read with it); null for a
 * row that cannot be one (a message entry whose message is gone).
 */
export function toInboxRecord(row: {
  userId: string;
  seq: number;
  kind: string;
  data: string | null;
  message: RawMessageRow | null;
}): InboxRecord | null {
  const { userId, seq } = row;
  if (row.kind === 'message' && row.message) return { userId, seq, kind: 'message', message: toMessage(row.message) };
  if (row.kind === 'receipt' && row.data) return { userId, seq, kind: 'receipt', receipt: toReceipt(row.data) };
  if (row.kind === 'change' && row.message && row.data) {
    const data = JSON.parse(row.data) as ChangeData;
    return {
      userId,
      seq,
      kind: 'change',
      change: { action: data.action, by: data.by, message: toMessage(row.message) },
    };
  }
  if (row.kind === 'hidden' && row.data)
    return { userId, seq, kind: 'hidden', hidden: JSON.parse(row.data) as MessageHidden };
  return null;
}
