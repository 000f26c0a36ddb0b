/**
 * Webhooks (docs/webhooks.md): the events a site's endpoint may receive, the server API's request
 * schemas for managing endpoints, and the shape of every delivery's body. Written once: the routes
 * and the site CLI validate with these, and the OpenAPI description can be built from them.
 */
import { z } from 'zod';

/** Every event a webhook endpoint can subscribe to. */
export const WEBHOOK_EVENTS = [
  'message.stored',
  'message.unread',
  'user.online',
  'user.offline',
  'room.changed',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Endpoints one site may have. */
export const WEBHOOK_ENDPOINTS_MAX = 20;
/** The longest wait a `message.unread` endpoint may ask for: a week. */
export const WEBHOOK_UNREAD_MINUTES_MAX = 7 * 24 * 60;
/** Characters of an endpoint URL. */
export const WEBHOOK_URL_MAX = 2048;

/** An http(s) URL without credentials in it (they would be sent in the clear in every log line). */
export const webhookUrl = z
  .string()
  .max(WEBHOOK_URL_MAX)
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'give an http:// or https:// URL without user name or password');

export const webhookSchemas = {
  /** POST /api/v1/admin/sites/:site/webhooks */
  endpointCreate: z.strictObject({
    url: webhookUrl,
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length),
    /** For `message.unread`: minutes a message waits unread first. Default 10. */
    unreadMinutes: z.number().int().min(1).max(WEBHOOK_UNREAD_MINUTES_MAX).optional(),
  }),
  /** PATCH /api/v1/admin/sites/:site/webhooks/:id */
  endpointUpdate: z.strictObject({ enabled: z.boolean() }),
} as const;

export type WebhookEndpointCreate = z.infer<typeof webhookSchemas.endpointCreate>;

/** What the API and the CLI show of an endpoint (never its secret, but once when it is made). */
export interface WebhookEndpointView {
  id: string;
  url: string;
  events: WebhookEvent[];
  unreadMinutes: number;
  enabled: boolean;
  createdAt: string;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  /** The HTTP status of the last attempt; null when it got no answer (or none was made). */
  lastStatus: number | null;
  lastError: string | null;
  /** Failed attempts in a row; 0 after a success. */
  failures: number;
  /** Deliveries still on their way. */
  pending: number;
}

/** The JSON body of every delivery. */
export interface WebhookBody<T = unknown> {
  /** The event's id: the same on every attempt (receivers deduplicate with it). */
  id: string;
  type: WebhookEvent;
  createdAt: string;
  /** The site id. */
  site: string;
  data: T;
}

/** A user as webhooks show them: Parley's id and the host's own (`externalId`, the identity token's `sub`). */
export interface WebhookUser {
  id: string;
  externalId: string | null;
  username: string;
  displayName: string;
}
