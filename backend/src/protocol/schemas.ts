/**
 * Runtime schemas for every client-to-server payload, beside the types in ./index.ts. The server
 * validates each incoming payload with them; the widget never imports this file (it would bring
 * zod into the bundle). Objects are strict: unknown keys, `__proto__` included, are refused.
 */
import { z } from 'zod';
import { Limits, REACTIONS } from './constants.js';

/**
 * A string of at most `max` characters (and at least `min`), checked before anything else: a
 * too-long value is refused without running any later refinement or pattern on it (`abort`), so
 * no check ever costs more than its bounded input (issue 12, finding 1).
 */
export const bounded = (max: number, min = 0) => {
  const base = z.string().max(max, { abort: true });
  return min > 0 ? base.min(min, { abort: true }) : base;
};

const id = bounded(64, 1);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const userRef = z.strictObject({ userId: id });
/**
 * C0 and C1 control characters and DEL: none belongs in a name, a status or a title. (Direction
 * marks and overrides are allowed: right-to-left names need them, and the widget shows every name
 * in its own bidi isolate, so an override cannot reorder the text around it.)
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** `text` without the characters of {@link CONTROL} (for names that come from elsewhere). */
export const stripControls = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
/** Printable text without control characters. */
export const line = (max: number) =>
  bounded(max).refine((s) => !CONTROL.test(s), 'must not contain control characters');
const groupName = line(Limits.groupName).refine((s) => s.trim().length > 0, 'group name is empty');
export const displayName = line(Limits.displayNameMax).refine((s) => s.trim().length > 0, 'display name is empty');
export const avatarUrl = bounded(Limits.avatarUrl).refine(
  (s) => /^https:\/\/[^\s]+$/i.test(s),
  'avatar must be an https:// URL',
);
/** Lower-case letters, digits, dot, dash and underscore; 3–32 characters. */
export const username = bounded(32, 3).regex(
  /^[a-z0-9][a-z0-9._-]*$/,
  'use lower-case letters, digits, dot, dash or underscore',
);
const password = bounded(Limits.passwordMax, Limits.passwordMin);
export const roomName = line(Limits.roomName).refine((s) => s.trim().length > 0, 'room name is empty');
const roomRef = z.strictObject({ roomId: id });
const clientId = bounded(Limits.clientId, 1);
export const body = bounded(Limits.messageBody).refine((s) => s.trim().length > 0, 'message text is empty');
/**
 * A plain address check: something@host.tld, no spaces; the mail server has the last word. The
 * domain's labels exclude the dot that separates them, so the pattern cannot backtrack over how
 * to split a run of dots (the old one could: 60,000 dots took seconds).
 */
export const email = bounded(Limits.email).regex(
  /^[^\s@<>(),;:"]+@[^\s@<>(),;:".]+(?:\.[^\s@<>(),;:".]+)+$/,
  'not an e-mail address',
);

/** A conversation: a one-to-one chat with a user, or a room (see `ConversationKey`). */
const conversation = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('direct'), id }),
  z.strictObject({ kind: z.literal('room'), id }),
]);
/**
 * What a message holds; one variant per kind. A file is sent by the id its upload was given (see
 * docs/protocol.md, "Files"); the server fills in what it stored, so nothing about the file is
 * taken from the sender at this point. A caption is optional.
 */
const content = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('text'), text: body }),
  z.strictObject({ kind: z.literal('file'), fileId: id, text: body.optional() }),
]);

const callId = id;
const candidate = z
  .strictObject({
    candidate: bounded(Limits.iceCandidate),
    sdpMid: bounded(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
    usernameFragment: bounded(256).nullable().optional(),
  })
  .nullable();
/** WebRTC signalling, bounded: an SDP of at most Limits.sdp characters, one candidate line. */
const signal = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('offer'), sdp: bounded(Limits.sdp, 1) }),
  z.strictObject({ type: z.literal('answer'), sdp: bounded(Limits.sdp, 1) }),
  z.strictObject({ type: z.literal('candidate'), candidate }),
]);
const transfer = z.strictObject({
  name: line(Limits.fileName).refine((s) => s.trim().length > 0, 'file name is empty'),
  size: z.number().int().min(1).max(Limits.transferBytes),
  mime: bounded(128),
});

/**
 * A token the site's server signed for this one request, where the site requires one for its
 * action (see ./signed-actions.ts); ignored where it does not.
 */
const actionToken = bounded(Limits.actionToken, 1).optional();

/** A message of the conversation named beside it. */
const messageRef = { in: conversation, messageId: id };

export const schemas = {
  /** `replyTo`: a message of the same conversation that this one quotes. */
  'message:send': z.strictObject({ in: conversation, clientId, content, replyTo: id.optional() }),
  'inbox:sync': z.strictObject({
    after: seq,
    limit: z.number().int().min(1).max(Limits.syncPage).optional(),
  }),
  'message:history': z
    .strictObject({
      in: conversation,
      before: id.optional(),
      after: id.optional(),
      limit: z.number().int().min(1).max(Limits.historyPage).optional(),
    })
    .refine((p) => p.before === undefined || p.after === undefined, 'give before or after, not both'),
  'message:around': z.strictObject({
    ...messageRef,
    limit: z.number().int().min(1).max(Limits.aroundPageMax).optional(),
  }),
  /** New text of one's own text message, or the caption of one's own file message. */
  'message:edit': z.strictObject({ ...messageRef, text: body }),
  'message:delete': z.strictObject({ ...messageRef, for: z.enum(['everyone', 'me']) }),
  /** Sets (`on`) or removes the caller's reaction; setting what already is changes nothing. */
  'message:react': z.strictObject({ ...messageRef, emoji: z.enum(REACTIONS), on: z.boolean() }),
  'message:edits': z.strictObject(messageRef),
  'message:search': z.strictObject({
    in: conversation,
    query: bounded(Limits.messageSearchQuery, 1).refine((s) => s.trim().length > 0, 'query is empty'),
    before: id.optional(),
    limit: z.number().int().min(1).max(Limits.searchPageMax).optional(),
  }),
  'conversation:list': z.strictObject({}),
  'file:urls': z.strictObject({ in: conversation, fileId: id }),
  'call:invite': z.union([
    z.strictObject({ to: id, kind: z.enum(['audio', 'video']), actionToken }),
    z.strictObject({ to: id, kind: z.literal('data'), transfer, actionToken }),
  ]),
  'call:answer': z.strictObject({ callId, accept: z.boolean() }),
  'call:signal': z.strictObject({ callId, signal }),
  'call:hangup': z.strictObject({ callId }),
  'call:ice': z.strictObject({}),
  'conversation:read': z.strictObject({ in: conversation, kind: z.enum(['delivered', 'read']), upTo: id }),
  'typing:set': z.strictObject({ in: conversation, typing: z.boolean() }),
  'presence:set': z.strictObject({
    state: z.enum(['online', 'away', 'busy', 'invisible']),
    status: line(Limits.statusText).optional(),
  }),
  'presence:idle': z.strictObject({ idle: z.boolean() }),
  'profile:update': z
    .strictObject({
      displayName: displayName.optional(),
      avatarUrl: avatarUrl.nullable().optional(),
      email: email.nullable().optional(),
      emailDigests: z.boolean().optional(),
    })
    .refine((p) => Object.values(p).some((v) => v !== undefined), 'nothing to update'),
  'profile:confirm-email': z.strictObject({}),
  'user:search': z.strictObject({
    query: bounded(Limits.searchQuery, 1).refine((s) => s.trim().length > 0, 'query is empty'),
  }),
  'roster:request': z.strictObject({ userId: id, group: groupName.nullable().optional(), actionToken }),
  'roster:accept': z.strictObject({ userId: id, group: groupName.nullable().optional() }),
  'roster:decline': userRef,
  'roster:cancel': userRef,
  'roster:remove': userRef,
  'roster:block': userRef,
  'roster:unblock': userRef,
  'roster:group': z.strictObject({ userId: id, group: groupName.nullable() }),
  'roster:rename-group': z.strictObject({ from: groupName, to: groupName }),
  'room:create': z.strictObject({
    name: roomName,
    public: z.boolean().optional(),
    invite: z.array(id).max(Limits.roomInvites).optional(),
    actionToken,
  }),
  'room:list': z.strictObject({
    after: id.optional(),
    limit: z.number().int().min(1).max(Limits.roomListPageMax).optional(),
  }),
  'room:search': z.strictObject({ query: line(Limits.searchQuery).optional() }),
  'room:join': z.strictObject({ roomId: id, actionToken }),
  'room:invite': z.strictObject({ roomId: id, userId: id, actionToken }),
  'room:accept': roomRef,
  'room:decline': roomRef,
  'room:leave': roomRef,
  'room:remove': z.strictObject({ roomId: id, userId: id }),
  'room:role': z.strictObject({ roomId: id, userId: id, role: z.enum(['admin', 'member']) }),
  'room:rename': z.strictObject({ roomId: id, name: roomName }),
  'room:close': roomRef,
} as const;

export type ClientEventName = keyof typeof schemas;
export type Payload<E extends ClientEventName> = z.infer<(typeof schemas)[E]>;

/**
 * `io(url, { auth })`: what the widget sends when it connects: a Parley session token, or a host
 * identity token (a JWT signed by the host site's server) for silent sign-in.
 */
export const handshakeSchema = z.union([
  z.strictObject({ v: z.number().int(), site: id, token: bounded(512, 1) }),
  z.strictObject({ v: z.number().int(), site: id, identity: bounded(Limits.identityToken, 1) }),
]);
export type HandshakeAuth = z.infer<typeof handshakeSchema>;

/** POST /api/v1/sites/:site/sessions */
export const loginSchema = z.strictObject({
  username: bounded(Limits.usernameMax, 1),
  password: bounded(Limits.passwordMax, 1),
});
export type LoginRequest = z.infer<typeof loginSchema>;

/** POST /api/v1/sites/:site/users (only where the site allows registration) */
export const registerSchema = z.strictObject({
  username,
  password,
  displayName: displayName.optional(),
});
export type RegisterRequest = z.infer<typeof registerSchema>;

/** POST /api/v1/sites/:site/sessions/identity */
export const identityLoginSchema = z.strictObject({ identity: bounded(Limits.identityToken, 1) });
export type IdentityLoginRequest = z.infer<typeof identityLoginSchema>;

/** POST /api/v1/sites/:site/password (with the session's bearer token) */
export const passwordChangeSchema = z.strictObject({
  currentPassword: bounded(Limits.passwordMax, 1),
  newPassword: password,
});
export type PasswordChangeRequest = z.infer<typeof passwordChangeSchema>;

/** CSS values that stay values: no declarations, blocks, tags or url(). */
const cssValue = (max: number) => bounded(max, 1).refine((s) => !/[;{}<>]|url\(/i.test(s), 'must be a plain CSS value');

/** The theme object (see `Theme` in ./index.ts); what a site's default theme may hold. */
export const themeSchema = z.strictObject({
  primaryColor: cssValue(64).optional(),
  onPrimaryColor: cssValue(64).optional(),
  accentColor: cssValue(64).optional(),
  backgroundColor: cssValue(64).optional(),
  textColor: cssValue(64).optional(),
  fontFamily: cssValue(200).optional(),
  fontSize: z.number().min(12).max(20).optional(),
  radius: z.number().min(0).max(24).optional(),
  density: z.enum(['compact', 'comfortable']).optional(),
  mode: z.enum(['light', 'dark', 'auto']).optional(),
  position: z.enum(['right', 'left']).optional(),
  offsetX: z.number().min(0).max(400).optional(),
  offsetY: z.number().min(0).max(400).optional(),
  launcherLabel: line(64).optional(),
  launcherIcon: z.enum(['chat', 'help', 'mail', 'none']).optional(),
  title: line(64).optional(),
  zIndex: z.number().int().min(0).max(2147483647).optional(),
  locale: bounded(16).optional(),
});

/**
 * Whether a payload holds U+0000 anywhere. PostgreSQL text cannot store it, and no legitimate
 * client sends it, so every payload with one is refused as a whole before its schema is checked.
 */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || typeof value !== 'object' || value === null) return false;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000') || containsNul(item, depth + 1)) return true;
  }
  return false;
}

/** A readable summary of why a payload was refused: field paths and reasons, no echo of values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'payload'}: ${issue.message}`)
    .join('; ');
}
