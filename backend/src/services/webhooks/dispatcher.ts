import type { Logger } from '../../logger.js';
import type { DueWebhookDelivery, Store, UserRecord, WebhookEndpointRecord } from '../../store/store.js';
import { messageIdBound, newDelivery, subscribes, webhookUser } from './events.js';
import { postWebhook } from './sender.js';
import { signRequest } from '../signed-requests.js';
import type { WebhookConfig } from './webhook-config.js';
import { messageEventData, type Webhooks } from './webhooks.js';

/** Messages turned into events per statement. */
const SCAN_PAGE = 200;
/**
 * Attempts in flight on this node at most, and per endpoint: a slow or dead receiver (each attempt
 * waiting out the timeout) holds a few slots, never the whole node, and never the scans.
 */
const IN_FLIGHT_MAX = 32;
const IN_FLIGHT_PER_ENDPOINT = 8;
/** An idle endpoint's cursor is written at most this often (it moves on with the next message anyway). */
const IDLE_CURSOR_MS = 60_000;
/** Old deliveries are swept at most this often. */
const SWEEP_EVERY_MS = 3_600_000;

/**
 * Works the webhook outbox, on every node, every WEBHOOK_CHECK_MS:
 * 1. `message.stored`: messages of each endpoint's site past its cursor (and older than the settle
 *    delay) are queued and the cursor moved, in one transaction with a compare-and-set on the
 *    cursor, so nodes never queue the same range twice (and the unique dedupeKey would catch it).
 *    The hot path writes nothing for webhooks: a message costs one read here, in a batch.
 * 2. `message.unread`: messages still unread by a recipient `unreadMinutes` after they were sent
 *    are queued, once per message and recipient (dedupeKey).
 * 3. Due deliveries are sent: a batch is claimed by one UPDATE … RETURNING that moves their
 *    nextAttemptAt to a lease (FOR UPDATE SKIP LOCKED on PostgreSQL), so on several nodes each
 *    attempt is made by one; a node that dies mid-attempt leaves the delivery due again when the
 *    lease ends. Attempts run beside the scans, capped per node and per endpoint, and each one that
 *    finishes claims the next: a backlog drains at the receiver's pace. Delivery is at least once.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Per endpoint, how far message.unread has looked (in memory: after a start, the lookback applies). */
  private readonly unreadFrom = new Map<string, { messageId: string; userId: string }>();
  private lastSweep = 0;
  /** Attempts under way, by endpoint. */
  private readonly inFlight = new Map<string, Set<Promise<void>>>();
  private inFlightCount = 0;
  /** The claim-and-start step under way, and whether it should run again when done (a slot came free). */
  private sending: Promise<void> | undefined;
  private sendAgain = false;

  constructor(
    private readonly store: Store,
    private readonly webhooks: Webhooks,
    private readonly config: WebhookConfig,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.pass(), this.config.checkMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for the pass under way and the attempts in flight (they finish or time out). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.sending;
    await this.idle();
  }

  /** Resolves once no attempt is in flight. */
  async idle(): Promise<void> {
    while (this.inFlightCount > 0) await Promise.allSettled([...this.inFlight.values()].flatMap((set) => [...set]));
  }

  /** One pass: the scans, then the attempts that are due are started (`idle()` waits for them). Never rejects. */
  pass(): Promise<void> {
    this.running ??= this.work()
      .catch((err: unknown) => this.logger.error({ err }, 'webhook pass failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async work(): Promise<void> {
    const endpoints = await this.webhooks.endpoints(true);
    const users = new UserCache(this.store);
    for (const endpoint of endpoints) {
      if (this.stopped) return;
      if (subscribes(endpoint, 'message.stored')) await this.queueStored(endpoint, users);
      if (subscribes(endpoint, 'message.unread')) await this.queueUnread(endpoint, users);
    }
    // No endpoint enabled, none in flight: nothing can be due (a claim only takes deliveries of
    // enabled endpoints). Skipping the claim spares SQLite a write each second on every node
    // without webhooks, a write that waits on the message writer's lock on the event loop.
    if (endpoints.length > 0 || this.inFlightCount > 0) await this.kick();
    const at = this.now();
    if (at.getTime() - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = at.getTime();
      const swept = await this.store.sweepWebhookDeliveries(new Date(at.getTime() - this.config.keepMs));
      if (swept > 0) this.logger.info({ swept }, 'old webhook deliveries deleted');
    }
  }

  private async queueStored(endpoint: WebhookEndpointRecord, users: UserCache): Promise<void> {
    const at = this.now();
    // Only messages older than the settle delay: one whose id was made earlier but whose commit
    // came later (a busy writer, another node) must not fall behind the cursor.
    const upTo = messageIdBound(at.getTime() - this.config.settleMs);
    let cursor = endpoint.cursor;
    let from = cursor ?? messageIdBound(endpoint.createdAt);
    while (from < upTo && !this.stopped) {
      const messages = await this.store.messagesForWebhooks(endpoint.siteId, from, upTo, SCAN_PAGE);
      const full = messages.length === SCAN_PAGE;
      const to = full ? messages.at(-1)!.id : upTo;
      // Nothing new: the cursor stays (one write less a second), unless it lags far behind.
      if (messages.length === 0 && from > messageIdBound(at.getTime() - this.config.settleMs - IDLE_CURSOR_MS)) return;
      const deliveries = [];
      for (const m of messages) {
        const data = messageEventData(m, await users.of([m.senderId, m.recipientId]));
        const recipient = m.recipientId ? await users.one(m.recipientId) : null;
        deliveries.push(
          newDelivery(
            endpoint,
            'message.stored',
            `message.stored:${m.id}`,
            { ...data, recipient: recipient ? webhookUser(recipient) : null },
            at,
          ),
        );
      }
      if (!(await this.store.advanceWebhookCursor(endpoint.id, cursor, to, deliveries))) return; // another node did
      cursor = from = to;
      if (!full) return;
    }
  }

  private async queueUnread(endpoint: WebhookEndpointRecord, users: UserCache): Promise<void> {
    const at = this.now().getTime();
    const wait = endpoint.unreadMinutes * 60_000;
    const upTo = messageIdBound(at - wait);
    const floor = messageIdBound(Math.max(endpoint.createdAt.getTime(), at - wait - this.config.unreadLookbackMs));
    let after = this.unreadFrom.get(endpoint.id) ?? { messageId: floor, userId: '' };
    if (after.messageId < floor) after = { messageId: floor, userId: '' };
    while (!this.stopped) {
      const found = await this.store.unreadForWebhooks(endpoint.siteId, after, upTo, SCAN_PAGE);
      const deliveries = [];
      for (const { message, userId } of found) {
        const recipient = await users.one(userId);
        if (!recipient) continue;
        const data = messageEventData(message, await users.of([message.senderId]));
        deliveries.push(
          newDelivery(
            endpoint,
            'message.unread',
            `message.unread:${message.id}:${userId}`,
            { ...data, recipient: webhookUser(recipient), unreadMinutes: endpoint.unreadMinutes },
            new Date(at),
          ),
        );
      }
      await this.store.queueWebhookDeliveries(deliveries);
      const last = found.at(-1);
      if (found.length < SCAN_PAGE || !last) {
        // Everything up to the bound is looked at; messages read meanwhile no longer count.
        this.unreadFrom.set(endpoint.id, { messageId: upTo, userId: '' });
        return;
      }
      after = { messageId: last.message.id, userId: last.userId };
      this.unreadFrom.set(endpoint.id, after);
    }
  }

  /**
   * Runs sendDue now, or once more after the run under way: each finished attempt kicks it, so a
   * backlog drains at the pace of the receiver, not of the timer.
   */
  private kick(): Promise<void> {
    if (this.sending) {
      this.sendAgain = true;
      return this.sending;
    }
    this.sending = this.sendDue()
      .catch((err: unknown) => this.logger.error({ err }, 'webhook sending failed'))
      .finally(() => {
        this.sending = undefined;
        if (this.sendAgain && !this.stopped) {
          this.sendAgain = false;
          void this.kick();
        }
      });
    return this.sending;
  }

  /** Claims due deliveries and starts their attempts, as far as the in-flight caps allow; does not wait for them. */
  private async sendDue(): Promise<void> {
    while (!this.stopped && this.inFlightCount < IN_FLIGHT_MAX) {
      const at = this.now();
      // The lease outlasts an attempt: another node takes the delivery over only if this one died.
      const leaseUntil = new Date(at.getTime() + 2 * this.config.timeoutMs + 1000);
      const busy = [...this.inFlight].filter(([, set]) => set.size >= IN_FLIGHT_PER_ENDPOINT).map(([id]) => id);
      const mine = await this.store.claimDueWebhookDeliveries(
        at,
        leaseUntil,
        Math.min(IN_FLIGHT_PER_ENDPOINT, IN_FLIGHT_MAX - this.inFlightCount),
        busy,
      );
      if (mine.length === 0) return;
      for (const d of mine) this.launch(d);
    }
  }

  /** Runs one attempt beside the rest, counted against the caps; a finished one kicks sendDue. */
  private launch(d: DueWebhookDelivery): void {
    const running = this.inFlight.get(d.endpointId) ?? new Set<Promise<void>>();
    const task: Promise<void> = this.attempt(d)
      .catch((err: unknown) => this.logger.error({ err, delivery: d.id }, 'webhook attempt could not be recorded'))
      .finally(() => {
        running.delete(task);
        this.inFlightCount--;
        if (running.size === 0) this.inFlight.delete(d.endpointId);
        if (!this.stopped) void this.kick();
      });
    running.add(task);
    this.inFlight.set(d.endpointId, running);
    this.inFlightCount++;
  }

  private async attempt(delivery: DueWebhookDelivery): Promise<void> {
    // Signed at the wall clock's time, whatever the injected clock says: receivers compare it with theirs.
    const outcome = await postWebhook(
      delivery.url,
      delivery.payload,
      {
        'user-agent': 'Parley-Webhooks/1',
        'parley-event-id': delivery.id,
        'parley-event-type': delivery.event,
        'parley-signature': signRequest(delivery.secret, delivery.payload, new Date()),
      },
      { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivate },
    );
    const at = this.now();
    const ok = outcome.error === null;
    const retryAt = ok ? null : this.retryAt(delivery, at);
    await this.store.finishWebhookAttempt(delivery, { at, ok, status: outcome.status, error: outcome.error, retryAt });
    const context = { endpoint: delivery.endpointId, delivery: delivery.id, event: delivery.event };
    if (ok) this.logger.debug(context, 'webhook delivered');
    else if (retryAt) this.logger.info({ ...context, error: outcome.error, retryAt }, 'webhook attempt failed');
    else this.logger.warn({ ...context, error: outcome.error }, 'webhook delivery failed: retries ran out');
  }

  /** Exponential backoff with jitter (half to all of the doubled wait); null once past the retry period. */
  private retryAt(delivery: DueWebhookDelivery, at: Date): Date | null {
    const failed = delivery.attempts + 1;
    const wait = Math.min(this.config.retryBaseMs * 2 ** Math.min(failed - 1, 30), this.config.retryMaxMs);
    const next = at.getTime() + Math.round(wait * (0.5 + Math.random() / 2));
    return next > delivery.createdAt.getTime() + this.config.retryForMs ? null : new Date(next);
  }
}

/** Users read once per pass. */
class UserCache {
  private readonly users = new Map<string, UserRecord | null>();
  constructor(private readonly store: Store) {}

  async one(id: string): Promise<UserRecord | null> {
    if (!this.users.has(id)) this.users.set(id, await this.store.getUser(id));
    return this.users.get(id)!;
  }

  async of(ids: string[]): Promise<Map<string, UserRecord | null>> {
    const out = new Map<string, UserRecord | null>();
    for (const id of ids) if (id) out.set(id, await this.one(id));
    return out;
  }
}
