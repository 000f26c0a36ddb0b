/**
 * The server API's request schemas (docs/api.md), written once: the routes validate with them,
 * and the OpenAPI description is generated from them (admin-api-routes.ts, openapi.ts). Objects are strict: unknown keys are
 * refused with the field named.
 */
import { z } from 'zod';
import { Limits } from './constants.js';
import { avatarUrl, body, bounded, displayName, email, roomName } from './schemas.js';

/** Characters of a host's user id (the same as an identity token's `sub`). */
export const EXTERNAL_ID_MAX = 128;
/** Users named by one room create or one buddy import. */
export const ADMIN_BATCH_MAX = 200;
/** Idempotency-Key: printable ASCII, up to 128 characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
/** How long the answer to an idempotent write is kept and replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** A user's metadata, as JSON text (UTF-8 bytes), at most. */
export const METADATA_MAX_BYTES = 4096;
/** Online users per page of `GET online` without `users`. */
export const ONLINE_PAGE_MAX = 100;

/** The host's own id for a user: what its identity tokens carry as `sub`. */
export const externalId = bounded(EXTERNAL_ID_MAX, 1).refine((s) => s.trim().length > 0, 'external id is empty');
const id = bounded(64, 1);

/** Any JSON value (a named schema, so the OpenAPI document can refer to it by name). */
export const jsonValue = z.json();
/** The host's own data about a user: a JSON object of at most METADATA_MAX_BYTES as JSON text. */
export const userMetadata = z
  .record(z.string(), jsonValue)
  .refine(
    (m) => Buffer.byteLength(JSON.stringify(m)) <= METADATA_MAX_BYTES,
    `metadata must be at most ${METADATA_MAX_BYTES} bytes as JSON`,
  );

export const adminSchemas = {
  /** PUT …/users/:externalId: creates the user, or brings the profile up to date. */
  userPut: z.strictObject({
    name: displayName,
    avatarUrl: avatarUrl.nullable().optional(),
    email: email.nullable().optional(),
    /** The host vouches that the user owns `email` (no confirmation mail). */
    emailVerified: z.boolean().optional(),
    /** Replaces the user's metadata (an object), clears it (null), or keeps it (absent). */
    metadata: userMetadata.nullable().optional(),
  }),
  /** POST …/rooms: a room owned by `owner`, with `members` in it at once (no invitation). */
  roomCreate: z.strictObject({
    name: roomName,
    public: z.boolean().optional(),
    owner: externalId,
    members: z.array(externalId).max(ADMIN_BATCH_MAX).optional(),
  }),
  /** PUT …/rooms/:roomId/members: exactly these are members afterwards (the owner always is). */
  roomMembersPut: z.strictObject({
    members: z.array(externalId).max(ADMIN_BATCH_MAX),
  }),
  /** POST …/rooms/:roomId/messages: a text message from a member (`from`), or a system notice. */
  roomMessage: z
    .strictObject({
      text: body,
      from: externalId.optional(),
      system: z.literal(true).optional(),
    })
    .refine((m) => (m.from === undefined) !== (m.system === undefined), 'give either from or system: true'),
  /**
   * POST …/users/:externalId/messages: a direct message from the user to `to`, or, with
   * `system: true`, a system notice from the site's system user to the user.
   */
  directMessage: z
    .strictObject({
      text: body,
      to: externalId.optional(),
      system: z.literal(true).optional(),
    })
    .refine((m) => (m.to === undefined) !== (m.system === undefined), 'give either to or system: true'),
  /** GET …/rooms/:roomId/messages and …/users/:externalId/conversations/:with/messages */
  historyQuery: z
    .strictObject({
      before: id.optional(),
      after: id.optional(),
      limit: z.coerce.number().int().min(1).max(Limits.historyPage).optional(),
    })
    .refine((p) => p.before === undefined || p.after === undefined, 'give before or after, not both'),
  /** PUT …/users/:externalId/buddies: makes each named user a mutual buddy (adds; removes none). */
  buddiesPut: z.strictObject({
    buddies: z.array(externalId).min(1).max(ADMIN_BATCH_MAX),
  }),
  /** GET …/online?users=a&users=b, or GET …/online?limit=50&cursor=… for everyone online. */
  onlineQuery: z
    .strictObject({
      /** `?users=a&users=b`: the users asked about (one or many). */
      users: z.union([externalId, z.array(externalId).min(1).max(ADMIN_BATCH_MAX)]).optional(),
      /** Without `users`: the `nextCursor` of the previous page. */
      cursor: id.optional(),
      limit: z.coerce.number().int().min(1).max(ONLINE_PAGE_MAX).optional(),
    })
    .refine((q) => q.users === undefined || (q.cursor === undefined && q.limit === undefined), {
      message: 'give users, or page with cursor and limit, not both',
    }),
} as const;

export type AdminDirectMessage = z.infer<typeof adminSchemas.directMessage>;
export type AdminUserPut = z.infer<typeof adminSchemas.userPut>;
export type AdminRoomCreate = z.infer<typeof adminSchemas.roomCreate>;
export type AdminRoomMessage = z.infer<typeof adminSchemas.roomMessage>;
export type AdminHistoryQuery = z.infer<typeof adminSchemas.historyQuery>;
