/**
 * The server API's routes, listed once (docs/api.md). Each row names its method and path, the
 * schemas of its path parameters, query and body (protocol/admin-api.ts), whether it takes an
 * `Idempotency-Key`, and its answers (admin-api-answers.ts). http/admin-routes.ts registers
 * exactly these rows with Fastify and validates with their schemas, and protocol/openapi.ts
 * describes them: a route cannot be served without being described. To add a route, add a row
 * here and a handler under its `operationId` in http/admin-routes.ts (the compiler asks for it).
 */
import { z } from 'zod';
import { adminAnswers } from './admin-api-answers.js';
import { adminSchemas, externalId } from './admin-api.js';
import { bounded } from './schemas.js';
import { webhookSchemas } from './webhooks.js';

/** Every admin route is below this path; `{site}` is the site id. */
export const ADMIN_PREFIX = '/api/v1/admin/sites/{site}';

/** The groups the document shows routes in, with what each holds. */
export const ADMIN_TAGS = {
  Users: 'The host’s users: profiles, metadata, deletion, buddies.',
  Rooms: 'Rooms the host makes, and who is in them.',
  Messages: 'Messages and system notices, and history.',
  Presence: 'Who is online.',
  Webhooks: 'Endpoints on the host’s server that Parley posts signed events to (docs/webhooks.md).',
} as const;

/** Errors a route may answer beyond those every route may (400, 401, 403, 429). */
export type AdminErrorStatus = 404 | 409 | 413;

export interface AdminRoute {
  /** Unique; the handler's name in http/admin-routes.ts and the operation's id in OpenAPI. */
  operationId: string;
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Below ADMIN_PREFIX, parameters as `{name}`. */
  path: string;
  tag: keyof typeof ADMIN_TAGS;
  summary: string;
  description: string;
  /** The path parameters other than `site`, each with its schema. */
  params: Record<string, z.ZodType<string>>;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Takes an `Idempotency-Key` header (every write does). */
  idempotent: boolean;
  /** Success statuses and the schema of their `data`. */
  answers: Partial<Record<200 | 201, z.ZodType>>;
  errors: readonly AdminErrorStatus[];
}

const roomId = bounded(64, 1);
const webhookId = bounded(64, 1);
const user = { externalId };

export const adminRoutes = [
  {
    operationId: 'putUser',
    method: 'PUT',
    path: '/users/{externalId}',
    tag: 'Users',
    summary: 'Create or update a user',
    description:
      'Creates the user the first time (201) and brings the profile up to date after (200), as an identity ' +
      'token sign-in does. `metadata` replaces the stored object, `null` clears it, absent keeps it.',
    params: user,
    body: adminSchemas.userPut,
    idempotent: true,
    answers: { 200: adminAnswers.user, 201: adminAnswers.user },
    errors: [409, 413],
  },
  {
    operationId: 'getUser',
    method: 'GET',
    path: '/users/{externalId}',
    tag: 'Users',
    summary: 'Read a user',
    description: 'The user’s profile and metadata.',
    params: user,
    idempotent: false,
    answers: { 200: adminAnswers.user },
    errors: [404],
  },
  {
    operationId: 'deleteUser',
    method: 'DELETE',
    path: '/users/{externalId}',
    tag: 'Users',
    summary: 'Delete a user',
    description:
      'Wipes the profile (shown as "Deleted user" from then on), releases the external id, ends every session ' +
      'and closes the user’s connections, and takes the user out of buddy lists and rooms. Messages the user ' +
      'sent stay in the others’ history. Deleting again answers `deleted: false`.',
    params: user,
    idempotent: true,
    answers: { 200: adminAnswers.userDeleted },
    errors: [409],
  },
  {
    operationId: 'putBuddies',
    method: 'PUT',
    path: '/users/{externalId}/buddies',
    tag: 'Users',
    summary: 'Import buddies',
    description: 'Makes each named user a mutual buddy of the user (adds; removes none).',
    params: user,
    body: adminSchemas.buddiesPut,
    idempotent: true,
    answers: { 200: adminAnswers.buddies },
    errors: [404, 409, 413],
  },
  {
    operationId: 'createRoom',
    method: 'POST',
    path: '/rooms',
    tag: 'Rooms',
    summary: 'Create a room',
    description: 'A room owned by `owner`, with `members` in it at once (no invitations).',
    params: {},
    body: adminSchemas.roomCreate,
    idempotent: true,
    answers: { 201: adminAnswers.room },
    errors: [404, 409, 413],
  },
  {
    operationId: 'putRoomMembers',
    method: 'PUT',
    path: '/rooms/{roomId}/members',
    tag: 'Rooms',
    summary: 'Set a room’s members',
    description: 'Exactly these are members afterwards (the owner and the site’s system user stay).',
    params: { roomId },
    body: adminSchemas.roomMembersPut,
    idempotent: true,
    answers: { 200: adminAnswers.room },
    errors: [404, 409, 413],
  },
  {
    operationId: 'postRoomMessage',
    method: 'POST',
    path: '/rooms/{roomId}/messages',
    tag: 'Messages',
    summary: 'Send into a room',
    description: 'A text message from the member `from`, or a system notice (`system: true`).',
    params: { roomId },
    body: adminSchemas.roomMessage,
    idempotent: true,
    answers: { 200: adminAnswers.sent, 201: adminAnswers.sent },
    errors: [404, 409, 413],
  },
  {
    operationId: 'getRoomMessages',
    method: 'GET',
    path: '/rooms/{roomId}/messages',
    tag: 'Messages',
    summary: 'Page a room’s history',
    description: 'Newest first: `limit` messages older than `before` (or the newest), or newer than `after`.',
    params: { roomId },
    query: adminSchemas.historyQuery,
    idempotent: false,
    answers: { 200: adminAnswers.history },
    errors: [404],
  },
  {
    operationId: 'postDirectMessage',
    method: 'POST',
    path: '/users/{externalId}/messages',
    tag: 'Messages',
    summary: 'Send a direct message or a system notice',
    description:
      'With `to`: a message from the user to `to`, under the widget’s rules (buddies, or strangers where the ' +
      'site allows). With `system: true`: a notice from the site’s system user to the user, in their direct ' +
      'chat with it.',
    params: user,
    body: adminSchemas.directMessage,
    idempotent: true,
    answers: { 200: adminAnswers.sent, 201: adminAnswers.sent },
    errors: [404, 409, 413],
  },
  {
    operationId: 'getDirectMessages',
    method: 'GET',
    path: '/users/{externalId}/conversations/{with}/messages',
    tag: 'Messages',
    summary: 'Page a direct chat',
    description: 'The chat of the user with `with`, as the user sees it; the same paging as a room’s history.',
    params: { ...user, with: externalId },
    query: adminSchemas.historyQuery,
    idempotent: false,
    answers: { 200: adminAnswers.history },
    errors: [404],
  },
  {
    operationId: 'getOnline',
    method: 'GET',
    path: '/online',
    tag: 'Presence',
    summary: 'Who is online',
    description:
      'With `users`: those of them online now. Without: every online user of the site, a page at a time, by ' +
      'user id (`limit` 1–100, default 50; `cursor` from the previous page’s `nextCursor`). Invisible users ' +
      'count as offline.',
    params: {},
    query: adminSchemas.onlineQuery,
    idempotent: false,
    answers: { 200: adminAnswers.online },
    errors: [],
  },
  {
    operationId: 'listWebhooks',
    method: 'GET',
    path: '/webhooks',
    tag: 'Webhooks',
    summary: 'List webhook endpoints',
    description:
      'Every endpoint of the site with its events and delivery status: the last attempt, its HTTP status or ' +
      'error, failures in a row, the last success, and how many deliveries are on their way. Never the secret.',
    params: {},
    idempotent: false,
    answers: { 200: adminAnswers.webhooks },
    errors: [],
  },
  {
    operationId: 'createWebhook',
    method: 'POST',
    path: '/webhooks',
    tag: 'Webhooks',
    summary: 'Add a webhook endpoint',
    description:
      'Parley posts the chosen events to `url`, signed with the secret in this answer (shown this once). ' +
      '`unreadMinutes` (1–10080, default 10) is how long a message waits unread before `message.unread`. ' +
      'Addresses on private networks are refused unless the server allows them (WEBHOOK_ALLOW_PRIVATE).',
    params: {},
    body: webhookSchemas.endpointCreate,
    idempotent: true,
    answers: { 201: adminAnswers.webhookCreated },
    errors: [409],
  },
  {
    operationId: 'updateWebhook',
    method: 'PATCH',
    path: '/webhooks/{id}',
    tag: 'Webhooks',
    summary: 'Turn a webhook endpoint off or on',
    description:
      'An endpoint turned off gets nothing queued meanwhile; turned on again, it starts from events after that moment.',
    params: { id: webhookId },
    body: webhookSchemas.endpointUpdate,
    idempotent: false,
    answers: { 200: adminAnswers.webhook },
    errors: [404],
  },
  {
    operationId: 'deleteWebhook',
    method: 'DELETE',
    path: '/webhooks/{id}',
    tag: 'Webhooks',
    summary: 'Remove a webhook endpoint',
    description: 'The endpoint and its deliveries still on their way are removed.',
    params: { id: webhookId },
    idempotent: false,
    answers: { 200: z.object({}) },
    errors: [404],
  },
] as const satisfies readonly AdminRoute[];

export type AdminOperation = (typeof adminRoutes)[number]['operationId'];

/** The route's path as Fastify writes it (`:name` parameters). */
export function fastifyPath(route: Pick<AdminRoute, 'path'>): string {
  return `${ADMIN_PREFIX}${route.path}`.replace(/\{(\w+)\}/g, ':$1');
}
