import { randomBytes } from 'node:crypto';
import { ParleyError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { ErrorCode } from '../../protocol/index.js';
import {
  WEBHOOK_ENDPOINTS_MAX,
  webhookSchemas,
  type WebhookEndpointCreate,
  type WebhookEndpointView,
  type WebhookEvent,
} from '../../protocol/webhooks.js';
import { toWireMessage } from '../../store/wire.js';
import { timeOrderedId } from '../../ids.js';
import type {
  RoomMemberRecord,
  RoomRecord,
  Store,
  UserRecord,
  WebhookEndpointRecord,
  WebhookEndpointStatus,
} from '../../store/store.js';
import type { PresenceTransitions } from '../presence-registry.js';
import { messageIdBound, newDelivery, subscribes, webhookUser } from './events.js';
import { isPrivateHost } from './sender.js';

/** What happened to a room, as `room.changed` says. */
export type RoomChange = 'created' | 'members' | 'renamed' | 'roles' | 'closed';

/** Where the rooms service reports changes (RoomService takes one; see app.ts). */
export interface RoomEvents {
  roomChanged(room: RoomRecord, change: RoomChange, members: readonly RoomMemberRecord[]): void;
}

/** Enabled endpoints are read again after this long, for events queued as they happen. */
const ENDPOINTS_FRESH_MS = 2000;

export function endpointView(e: WebhookEndpointStatus): WebhookEndpointView {
  return {
    id: e.id,
    url: e.url,
    events: e.events as WebhookEvent[],
    unreadMinutes: e.unreadMinutes,
    enabled: e.disabledAt === null,
    createdAt: e.createdAt.toISOString(),
    lastAttemptAt: e.lastAttemptAt?.toISOString() ?? null,
    lastSuccessAt: e.lastSuccessAt?.toISOString() ?? null,
    lastStatus: e.lastStatus,
    lastError: e.lastError,
    failures: e.failures,
    pending: e.pending,
  };
}

/**
 * A site's webhook endpoints (docs/webhooks.md): registered and listed through the server API and
 * the site CLI, and the events that are queued the moment they happen (presence, rooms) written to
 * the outbox here. Message events are found by the dispatcher's scans instead, off the hot path.
 */
export class Webhooks {
  private cache: { at: number; endpoints: WebhookEndpointRecord[] } | null = null;
  /** Events being written to the outbox, so shutdown can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly options: { allowPrivate: boolean },
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Registers an endpoint; the returned `secret` is shown this once (it signs every delivery). */
  async create(
    siteId: string,
    input: WebhookEndpointCreate,
  ): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
    const parsed = webhookSchemas.endpointCreate.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ParleyError(ErrorCode.BadRequest, `${issue?.path.join('.') || 'endpoint'}: ${issue?.message}`);
    }
    const { url, events, unreadMinutes } = parsed.data;
    if (!this.options.allowPrivate && isPrivateHost(new URL(url))) {
      throw new ParleyError(
        ErrorCode.BadRequest,
        'url: a private or loopback address cannot receive webhooks (the server setting WEBHOOK_ALLOW_PRIVATE=1 allows it).',
      );
    }
    if ((await this.store.listWebhookEndpoints(siteId)).length >= WEBHOOK_ENDPOINTS_MAX) {
      throw new ParleyError(
        ErrorCode.LimitReached,
        `A site may have at most ${WEBHOOK_ENDPOINTS_MAX} webhook endpoints.`,
      );
    }
    const at = this.now();
    const record = {
      id: `we_${randomBytes(8).toString('hex')}`,
      siteId,
      url,
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      events: [...new Set(events)],
      unreadMinutes: unreadMinutes ?? 10,
      createdAt: at,
      // Messages stored from now on: an endpoint is not sent the site's whole history.
      cursor: messageIdBound(at),
    };
    await this.store.createWebhookEndpoint(record);
    this.cache = null;
    this.logger.info({ site: siteId, endpoint: record.id, events: record.events }, 'webhook endpoint added');
    const view = endpointView({
      ...record,
      disabledAt: null,
      lastAttemptAt: null,
      lastSuccessAt: null,
      lastStatus: null,
      lastError: null,
      failures: 0,
      pending: 0,
    });
    return { endpoint: view, secret: record.secret };
  }

  async list(siteId: string): Promise<WebhookEndpointView[]> {
    return (await this.store.listWebhookEndpoints(siteId)).map(endpointView);
  }

  async remove(siteId: string, id: string): Promise<void> {
    if (!(await this.store.deleteWebhookEndpoint(siteId, id))) throw noSuchEndpoint();
    this.cache = null;
    this.logger.info({ site: siteId, endpoint: id }, 'webhook endpoint removed');
  }

  /**
   * Turns an endpoint off or on. While off nothing is queued for it and nothing sent; turned on
   * again, it gets what is still pending and events from then on, not those of the time it was off.
   */
  async setEnabled(siteId: string, id: string, enabled: boolean): Promise<WebhookEndpointView> {
    const at = this.now();
    if (!(await this.store.setWebhookEndpointDisabled(siteId, id, enabled ? null : at, messageIdBound(at)))) {
      throw noSuchEndpoint();
    }
    this.cache = null;
    const found = (await this.store.listWebhookEndpoints(siteId)).find((e) => e.id === id);
    if (!found) throw noSuchEndpoint();
    return endpointView(found);
  }

  /** Every enabled endpoint; `fresh` reads them now, else a copy up to two seconds old will do. */
  async endpoints(fresh = false): Promise<WebhookEndpointRecord[]> {
    const at = Date.now();
    if (fresh || !this.cache || at - this.cache.at > ENDPOINTS_FRESH_MS) {
      this.cache = { at, endpoints: await this.store.enabledWebhookEndpoints() };
    }
    return this.cache.endpoints;
  }

  /** Where the presence service reports users going online and offline (each transition once, on one node). */
  readonly presence: PresenceTransitions = {
    online: (userId, chosen) => this.track(this.userEvent('user.online', userId, { state: chosen.state })),
    offline: (userId, at) => this.track(this.userEvent('user.offline', userId, { lastSeenAt: at.toISOString() })),
  };

  /** Where the rooms service reports changes. */
  readonly rooms: RoomEvents = {
    roomChanged: (room, change, members) =>
      this.track(
        this.queue(room.siteId, 'room.changed', () => ({
          change,
          room: {
            id: room.id,
            name: room.name,
            public: room.public,
            ownerId: room.ownerId,
            closed: change === 'closed' || room.closedAt !== null,
            members: members.map((m) => ({ user: webhookUser(m.user), role: m.role })),
          },
        })),
      ),
  };

  /** Resolves once every event queued so far is in the outbox (shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async userEvent(type: 'user.online' | 'user.offline', userId: string, extra: object): Promise<void> {
    // Every connect and disconnect comes here: without an endpoint that takes the event (the
    // common case), no user is read.
    if (!(await this.endpoints()).some((e) => subscribes(e, type))) return;
    const user = await this.store.getUser(userId);
    if (!user) return;
    await this.queue(user.siteId, type, () => ({ user: webhookUser(user), ...extra }));
  }

  /** Writes one event to the outbox of every enabled endpoint of the site that takes it. */
  private async queue(siteId: string, type: WebhookEvent, data: () => unknown): Promise<void> {
    const targets = (await this.endpoints()).filter((e) => e.siteId === siteId && subscribes(e, type));
    if (targets.length === 0) return;
    const at = this.now();
    const body = data();
    // Each happening is its own event: the key only has to be unique.
    const key = `${type}:${timeOrderedId()}`;
    await this.store.queueWebhookDeliveries(targets.map((e) => newDelivery(e, type, key, body, at)));
  }

  private track(task: Promise<unknown>): void {
    const tracked = task
      .catch((err: unknown) => this.logger.error({ err }, 'could not queue a webhook event'))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}

const noSuchEndpoint = () => new ParleyError(ErrorCode.NotFound, 'No such webhook endpoint on this site.');

/** The data of `message.stored` and `message.unread`: the message as the protocol shows it, and who is involved. */
export function messageEventData(
  message: Parameters<typeof toWireMessage>[0],
  users: ReadonlyMap<string, UserRecord | null>,
): { message: ReturnType<typeof toWireMessage>; sender: ReturnType<typeof webhookUser> | null } {
  const sender = users.get(message.senderId);
  return { message: toWireMessage(message), sender: sender ? webhookUser(sender) : null };
}
