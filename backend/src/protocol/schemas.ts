/**
 * Runtime schemas for every client-to-server payload, beside the types in ./index.ts. The server
 * validates each incoming payload with them; the widget never imports this file (it would bring
 * zod into the bundle). Objects are strict: unknown keys, `__proto__` included, are refused.
 */
import { z } from 'zod';
import { Limits } from './index.js';

const id = z.string().min(1).max(64);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const userRef = z.strictObject({ userId: id });
/** Printable text without control characters (newlines allowed where said). */
const line = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');
const groupName = line(Limits.groupName).refine((s) => s.trim().length > 0, 'group name is empty');
export const displayName = line(Limits.displayNameMax).refine((s) => s.trim().length > 0, 'display name is empty');
export const avatarUrl = z
  .string()
  .max(Limits.avatarUrl)
  .refine((s) => /^https:\/\/[^\s]+$/i.test(s), 'avatar must be an https:// URL');
/** Lower-case letters, digits, dot, dash and underscore; 3–32 characters. */
export const username = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, dot, dash or underscore');
const password = z.string().min(Limits.passwordMin).max(Limits.passwordMax);
const roomName = line(Limits.roomName).refine((s) => s.trim().length > 0, 'room name is empty');
const roomRef = z.strictObject({ roomId: id });
const clientId = z.string().min(1).max(Limits.clientId);
const body = z
  .string()
  .max(Limits.messageBody)
  .refine((s) => s.trim().length > 0, 'message text is empty');
/** A plain address check: something@host.tld, no spaces; the mail server has the last word. */
export const email = z
  .string()
  .max(Limits.email)
  .regex(/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/, 'not an e-mail address');

export const schemas = {
  'message:send': z.strictObject({ to: id, clientId, body }),
  'inbox:sync': z.strictObject({
    after: seq,
    limit: z.number().int().min(1).max(Limits.syncPage).optional(),
  }),
  'message:history': z.strictObject({
    with: id,
    before: id.optional(),
    limit: z.number().int().min(1).max(Limits.historyPage).optional(),
  }),
  'conversation:list': z.strictObject({}),
  'receipt:send': z.strictObject({ with: id, kind: z.enum(['delivered', 'read']), upTo: id }),
  'typing:set': z.strictObject({ to: id, typing: z.boolean() }),
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
  'user:search': z.strictObject({
    query: z
      .string()
      .min(1)
      .max(Limits.searchQuery)
      .refine((s) => s.trim().length > 0, 'query is empty'),
  }),
  'roster:request': z.strictObject({ userId: id, group: groupName.nullable().optional() }),
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
  }),
  'room:list': z.strictObject({
    after: id.optional(),
    limit: z.number().int().min(1).max(Limits.roomListPageMax).optional(),
  }),
  'room:search': z.strictObject({ query: line(Limits.searchQuery).optional() }),
  'room:join': roomRef,
  'room:invite': z.strictObject({ roomId: id, userId: id }),
  'room:accept': roomRef,
  'room:decline': roomRef,
  'room:leave': roomRef,
  'room:remove': z.strictObject({ roomId: id, userId: id }),
  'room:role': z.strictObject({ roomId: id, userId: id, role: z.enum(['admin', 'member']) }),
  'room:rename': z.strictObject({ roomId: id, name: roomName }),
  'room:close': roomRef,
  'room:send': z.strictObject({ roomId: id, clientId, body }),
  'room:history': z.strictObject({
    roomId: id,
    before: id.optional(),
    limit: z.number().int().min(1).max(Limits.historyPage).optional(),
  }),
  'room:read': z.strictObject({ roomId: id, upTo: id }),
  'room:typing': z.strictObject({ roomId: id, typing: z.boolean() }),
} as const;

export type ClientEventName = keyof typeof schemas;
export type Payload<E extends ClientEventName> = z.infer<(typeof schemas)[E]>;

/**
 * `io(url, { auth })`: what the widget sends when it connects: a Parley session token, or a host
 * identity token (a JWT signed by the host site's server) for silent sign-in.
 */
export const handshakeSchema = z.union([
  z.strictObject({ v: z.number().int(), site: id, token: z.string().min(1).max(512) }),
  z.strictObject({ v: z.number().int(), site: id, identity: z.string().min(1).max(Limits.identityToken) }),
]);
export type HandshakeAuth = z.infer<typeof handshakeSchema>;

/** POST /api/v1/sites/:site/sessions */
export const loginSchema = z.strictObject({
  username: z.string().min(1).max(Limits.usernameMax),
  password: z.string().min(1).max(Limits.passwordMax),
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
export const identityLoginSchema = z.strictObject({ identity: z.string().min(1).max(Limits.identityToken) });
export type IdentityLoginRequest = z.infer<typeof identityLoginSchema>;

/** POST /api/v1/sites/:site/password (with the session's bearer token) */
export const passwordChangeSchema = z.strictObject({
  currentPassword: z.string().min(1).max(Limits.passwordMax),
  newPassword: password,
});
export type PasswordChangeRequest = z.infer<typeof passwordChangeSchema>;

/** CSS values that stay values: no declarations, blocks, tags or url(). */
const cssValue = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !/[;{}<>]|url\(/i.test(s), 'must be a plain CSS value');

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
  launcherLabel: z.string().max(64).optional(),
  launcherIcon: z.enum(['chat', 'help', 'mail', 'none']).optional(),
  title: z.string().max(64).optional(),
  zIndex: z.number().int().min(0).max(2147483647).optional(),
  locale: z.string().max(16).optional(),
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
