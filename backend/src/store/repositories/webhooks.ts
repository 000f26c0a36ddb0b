import type { MessageRecord } from '../records.js';

/** A site's webhook endpoint, as stored (docs/webhooks.md). */
export interface WebhookEndpointRecord {
  id: string;
  siteId: string;
  url: string;
  /** The HMAC-SHA256 key its deliveries are signed with. */
  secret: string;
  /** The event names it receives. */
  events: string[];
  /** Minutes a message waits unread before its `message.unread` event. */
  unreadMinutes: number;
  createdAt: Date;
  disabledAt: Date | null;
  /** `message.stored` events are queued for message ids up to this one (a time bound, see message-cursor.ts). */
  cursor: string | null;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  /** Failed attempts in a row. */
  failures: number;
}

/** An endpoint with the number of its deliveries still on their way (neither delivered nor failed). */
export type WebhookEndpointStatus = WebhookEndpointRecord & { pending: number };

/** One event on its way to one endpoint: a row of the durable outbox. */
export interface WebhookDeliveryRecord {
  id: string;
  endpointId: string;
  event: string;
  /** The JSON body, fixed when queued. */
  payload: string;
  dedupeKey: string;
  attempts: number;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  failedAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
}

export type NewWebhookDelivery = Pick<
  WebhookDeliveryRecord,
  'id' | 'endpointId' | 'event' | 'payload' | 'dedupeKey' | 'nextAttemptAt' | 'createdAt'
>;

/** A delivery due now, with what sending it needs of its endpoint. */
export type DueWebhookDelivery = WebhookDeliveryRecord & { url: string; secret: string };

/** How one attempt ended. */
export interface WebhookAttempt {
  at: Date;
  ok: boolean;
  /** The HTTP status; null when no answer came (refused, timed out). */
  status: number | null;
  error: string | null;
  /** When to try again after a failure; null when retries have run out (the delivery fails). */
  retryAt: Date | null;
}

/** A message one user has not read, for `message.unread`. */
export interface UnreadMessage {
  message: MessageRecord;
  userId: string;
}

/**
 * Webhook endpoints and their outbox (WebhookEndpoint, WebhookDelivery). Inserting a delivery
 * whose (endpoint, dedupeKey) exists already does nothing, so events may be queued more than once
 * (a rescan, two nodes) and still go out once.
 */
export interface WebhooksRepository {
  createWebhookEndpoint(
    endpoint: Omit<
      WebhookEndpointRecord,
      'lastAttemptAt' | 'lastSuccessAt' | 'lastStatus' | 'lastError' | 'failures' | 'disabledAt'
    >,
  ): Promise<void>;
  /** A site's endpoints, oldest first, with their pending counts. */
  listWebhookEndpoints(siteId: string): Promise<WebhookEndpointStatus[]>;
  /** Every enabled endpoint of every site (the scanners' work list). */
  enabledWebhookEndpoints(): Promise<WebhookEndpointRecord[]>;
  /** Turns a site's endpoint off (`at`) or on again (null, moving its cursor to `cursor`); false if it has no such endpoint. */
  setWebhookEndpointDisabled(siteId: string, id: string, at: Date | null, cursor: string): Promise<boolean>;
  /** Deletes a site's endpoint and its deliveries; false if it has no such endpoint. */
  deleteWebhookEndpoint(siteId: string, id: string): Promise<boolean>;
  /** Queues deliveries, skipping those whose dedupeKey the endpoint has; resolves with how many were new. */
  queueWebhookDeliveries(deliveries: NewWebhookDelivery[]): Promise<number>;
  /**
   * Queues deliveries and moves the endpoint's cursor from `from` to `to` in one transaction, if
   * nobody moved it meanwhile (another node's scan); false (nothing written) otherwise.
   */
  advanceWebhookCursor(
    endpointId: string,
    from: string | null,
    to: string,
    deliveries: NewWebhookDelivery[],
  ): Promise<boolean>;
  /** A site's messages with `after` < id ≤ `upTo`, oldest first. */
  messagesForWebhooks(siteId: string, after: string, upTo: string, limit: number): Promise<MessageRecord[]>;
  /**
   * A site's messages with `after` < id ≤ `upTo` (or id = after.id and user > after.userId) that
   * a recipient has in their inbox and has not read, not sent by that recipient and not deleted;
   * ordered by message id, then user id.
   */
  unreadForWebhooks(
    siteId: string,
    after: { messageId: string; userId: string },
    upTo: string,
    limit: number,
  ): Promise<UnreadMessage[]>;
  /**
   * Takes up to `limit` deliveries of enabled endpoints that are due at `now` (soonest first, none
   * of `busyEndpoints`) for one attempt each: one statement moves their nextAttemptAt to
   * `leaseUntil`, so no other node takes them (PostgreSQL skips rows another node is claiming).
   * Should this node die meanwhile, they are due again at `leaseUntil`.
   */
  claimDueWebhookDeliveries(
    now: Date,
    leaseUntil: Date,
    limit: number,
    busyEndpoints: readonly string[],
  ): Promise<DueWebhookDelivery[]>;
  /** Records an attempt on the delivery and on its endpoint's status. */
  finishWebhookAttempt(
    delivery: Pick<WebhookDeliveryRecord, 'id' | 'endpointId'>,
    attempt: WebhookAttempt,
  ): Promise<void>;
  /** Deletes deliveries delivered or failed before `before`; resolves with how many. */
  sweepWebhookDeliveries(before: Date): Promise<number>;
}
