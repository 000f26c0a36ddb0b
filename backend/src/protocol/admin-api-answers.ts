/**
 * What the server API answers (the `data` of `{ ok: true, data }`), as zod schemas: the OpenAPI
 * document describes the answers with them, and the tests check real answers against them
 * (test/openapi.test.ts), so the description cannot drift from what the server sends. Loose where
 * the protocol may add fields (a message, a room): clients must ignore fields they do not know.
 */
import { z } from 'zod';
import { jsonValue } from './admin-api.js';
import { WEBHOOK_EVENTS } from './webhooks.js';

const isoTime = z.string().describe('ISO 8601 time');

export const presenceAnswer = z.object({
  state: z.enum(['online', 'away', 'busy', 'offline']),
  status: z.string().describe('Free text the user chose, "" when none.'),
  lastSeenAt: isoTime.nullable().describe('When the user was last connected; null while online or never seen.'),
});

const userSummary = z.looseObject({
  id: z.string().describe('Parley’s id of the user.'),
  username: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
});

export const hostUserAnswer = userSummary.extend({
  externalId: z.string().describe('The host’s own id for the user ("" for a user who signed up with a password).'),
  metadata: z
    .record(z.string(), jsonValue)
    .nullable()
    .optional()
    .describe('The host’s own data about the user (answers about one user only).'),
});

export const onlineUserAnswer = hostUserAnswer.extend({ presence: presenceAnswer });

export const messageAnswer = z.looseObject({
  id: z.string().describe('Server id, time ordered.'),
  clientId: z.string(),
  conversationId: z.string().describe('`dm:<a>:<b>` for direct chats, `room:<roomId>` for rooms.'),
  senderId: z.string(),
  recipientId: z.string().describe('The other user of a direct chat; "" for a room message.'),
  roomId: z.string().optional(),
  content: z.looseObject({ kind: z.string().describe('text, file, call, deleted, …') }),
  createdAt: isoTime,
  senderExternalId: z.string().nullable().describe('The sender’s external id (parley:system for notices).'),
});

export const roomAnswer = z.looseObject({
  id: z.string(),
  name: z.string(),
  public: z.boolean(),
  ownerId: z.string(),
  members: z.array(
    z.looseObject({
      user: userSummary,
      role: z.enum(['owner', 'admin', 'member', 'invited']),
      presence: presenceAnswer,
    }),
  ),
});

export const webhookEndpointAnswer = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  unreadMinutes: z.number().int(),
  enabled: z.boolean(),
  createdAt: isoTime,
  lastAttemptAt: isoTime.nullable(),
  lastSuccessAt: isoTime.nullable(),
  lastStatus: z.number().int().nullable().describe('The HTTP status of the last attempt; null when it got no answer.'),
  lastError: z.string().nullable(),
  failures: z.number().int().describe('Failed attempts in a row; 0 after a success.'),
  pending: z.number().int().describe('Deliveries still on their way.'),
});

export const adminAnswers = {
  user: z.object({ user: hostUserAnswer }),
  userDeleted: z.object({
    deleted: z.boolean().describe('false when there was no such user (already deleted, or never made).'),
  }),
  buddies: z.object({
    results: z.array(z.object({ externalId: z.string(), state: z.enum(['buddies', 'blocked', 'not_found']) })),
  }),
  room: z.object({ room: roomAnswer }),
  sent: z.object({
    message: messageAnswer,
    duplicate: z.boolean().describe('true when the message was stored before (the same client id).'),
  }),
  history: z.object({ messages: z.array(messageAnswer), hasMore: z.boolean() }),
  online: z.object({
    users: z.array(onlineUserAnswer),
    nextCursor: z
      .string()
      .nullable()
      .optional()
      .describe('Paging without `users`: the cursor of the next page, null on the last.'),
  }),
  webhooks: z.object({ endpoints: z.array(webhookEndpointAnswer) }),
  webhook: z.object({ endpoint: webhookEndpointAnswer }),
  webhookCreated: z.object({
    endpoint: webhookEndpointAnswer,
    secret: z.string().describe('The signing secret: shown in this answer only.'),
  }),
} as const;
