import { timeOrderedId } from '../../ids.js';
import type { WebhookBody, WebhookEvent, WebhookUser } from '../../protocol/webhooks.js';
import type { NewWebhookDelivery, UserRecord, WebhookEndpointRecord } from '../../store/store.js';

/**
 * The greatest message id that can have been made at `at` or before. Message ids are UUID v7
 * (ids.ts): their first 48 bits are the time in milliseconds, so every id made up to `at` sorts at
 * or below this one, and every id made later above it.
 */
export function messageIdBound(at: Date | number): string {
  const ms = Math.max(0, Math.floor(typeof at === 'number' ? at : at.getTime()));
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-ffff-ffff-ffffffffffff`;
}

export function webhookUser(user: UserRecord): WebhookUser {
  return { id: user.id, externalId: user.externalId, username: user.username, displayName: user.displayName };
}

/**
 * One event for one endpoint, ready for the outbox: the body is made now and sent unchanged on
 * every attempt. Its `id` (the delivery's id) is what receivers deduplicate with; `dedupeKey` is
 * what keeps the outbox from holding the same event twice for the endpoint.
 */
export function newDelivery(
  endpoint: Pick<WebhookEndpointRecord, 'id' | 'siteId'>,
  type: WebhookEvent,
  dedupeKey: string,
  data: unknown,
  now: Date,
): NewWebhookDelivery {
  const id = timeOrderedId();
  const body: WebhookBody = { id, type, createdAt: now.toISOString(), site: endpoint.siteId, data };
  return {
    id,
    endpointId: endpoint.id,
    event: type,
    payload: JSON.stringify(body),
    dedupeKey,
    nextAttemptAt: now,
    createdAt: now,
  };
}

export const subscribes = (endpoint: Pick<WebhookEndpointRecord, 'events'>, event: WebhookEvent) =>
  endpoint.events.includes(event);
