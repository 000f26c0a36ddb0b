import type { MessageRecord } from '../records.js';
import type {
  DueWebhookDelivery,
  NewWebhookDelivery,
  UnreadMessage,
  WebhookAttempt,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
  WebhookEndpointStatus,
  WebhooksRepository,
} from '../repositories/webhooks.js';
import { chunks, type StoreContext, type Tx } from './context.js';
import { messageColumns, toMessage, type RawMessageRow } from './rows.js';

type EndpointRow = Omit<WebhookEndpointRecord, 'events'> & { events: string };

const toEndpoint = (row: EndpointRow): WebhookEndpointRecord => ({
  ...row,
  events: JSON.parse(row.events) as string[],
});

/** The outbox rows of one statement: 7 values each, far below every driver's limit. */
const ROWS = 100;

/** Webhook endpoints and their outbox on Prisma. */
export class PrismaWebhooks implements WebhooksRepository {
  constructor(private readonly ctx: StoreContext) {}

  async createWebhookEndpoint(endpoint: Parameters<WebhooksRepository['createWebhookEndpoint']>[0]): Promise<void> {
    await this.ctx.db.webhookEndpoint.create({ data: { ...endpoint, events: JSON.stringify(endpoint.events) } });
  }

  async listWebhookEndpoints(siteId: string): Promise<WebhookEndpointStatus[]> {
    const rows = await this.ctx.db.webhookEndpoint.findMany({
      where: { siteId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    if (rows.length === 0) return [];
    const pending = await this.ctx.db.webhookDelivery.groupBy({
      by: ['endpointId'],
      where: { endpointId: { in: rows.map((r) => r.id) }, deliveredAt: null, failedAt: null },
      _count: { _all: true },
    });
    const counts = new Map(pending.map((p) => [p.endpointId, p._count._all]));
    return rows.map((row) => ({ ...toEndpoint(row), pending: counts.get(row.id) ?? 0 }));
  }

  async enabledWebhookEndpoints(): Promise<WebhookEndpointRecord[]> {
    return (await this.ctx.db.webhookEndpoint.findMany({ where: { disabledAt: null }, orderBy: { id: 'asc' } })).map(
      toEndpoint,
    );
  }

  async setWebhookEndpointDisabled(siteId: string, id: string, at: Date | null, cursor: string): Promise<boolean> {
    const { count } = await this.ctx.db.webhookEndpoint.updateMany({
      where: { id, siteId },
      data: at ? { disabledAt: at } : { disabledAt: null, cursor },
    });
    return count === 1;
  }

  async deleteWebhookEndpoint(siteId: string, id: string): Promise<boolean> {
    const { count } = await this.ctx.db.webhookEndpoint.deleteMany({ where: { id, siteId } });
    return count === 1;
  }

  async queueWebhookDeliveries(deliveries: NewWebhookDelivery[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    return this.ctx.retryBusy(() => this.ctx.db.$transaction((tx) => this.insert(tx, deliveries)));
  }

  async advanceWebhookCursor(
    endpointId: string,
    from: string | null,
    to: string,
    deliveries: NewWebhookDelivery[],
  ): Promise<boolean> {
    return this.ctx.retryBusy(() =>
      this.ctx.db.$transaction(async (tx) => {
        // The compare-and-set first: a node that lost the race writes nothing.
        const { count } = await tx.webhookEndpoint.updateMany({
          where: { id: endpointId, cursor: from },
          data: { cursor: to },
        });
        if (count !== 1) return false;
        await this.insert(tx, deliveries);
        return true;
      }),
    );
  }

  /** INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike): a known dedupeKey is skipped. */
  private async insert(tx: Tx, deliveries: NewWebhookDelivery[]): Promise<number> {
    let inserted = 0;
    for (const part of chunks(deliveries, ROWS)) {
      const q = this.ctx.sql();
      const values = part
        .map(
          (d) =>
            `(${q.p(d.id)}, ${q.p(d.endpointId)}, ${q.p(d.event)}, ${q.p(d.payload)}, ${q.p(d.dedupeKey)}, ` +
            `${q.time(d.nextAttemptAt)}, ${q.time(d.createdAt)})`,
        )
        .join(', ');
      inserted += await tx.$executeRawUnsafe(
        `INSERT INTO "WebhookDelivery" ("id", "endpointId", "event", "payload", "dedupeKey", "nextAttemptAt", "createdAt") ` +
          `VALUES ${values} ON CONFLICT ("endpointId", "dedupeKey") DO NOTHING`,
        ...q.params,
      );
    }
    return inserted;
  }

  async messagesForWebhooks(siteId: string, after: string, upTo: string, limit: number): Promise<MessageRecord[]> {
    const q = this.ctx.sql();
    // The id range first: it is the primary key, and a scan covers a few seconds of messages.
    const rows = await this.ctx.db.$queryRawUnsafe<RawMessageRow[]>(
      `SELECT ${messageColumns('m')} FROM "Message" m WHERE m."id" > ${q.p(after)} AND m."id" <= ${q.p(upTo)} ` +
        `AND m."siteId" = ${q.p(siteId)} ORDER BY m."id" LIMIT ${q.p(limit, '::integer')}`,
      ...q.params,
    );
    return rows.map(toMessage);
  }

  async unreadForWebhooks(
    siteId: string,
    after: { messageId: string; userId: string },
    upTo: string,
    limit: number,
  ): Promise<UnreadMessage[]> {
    const q = this.ctx.sql();
    // Through the inbox, as the digests do (store/prisma/digests.ts): room and one-to-one
    // messages alike, only those the user was sent, never their own, never a deleted one.
    const rows = await this.ctx.db.$queryRawUnsafe<(RawMessageRow & { recipientUserId: string })[]>(
      `SELECT ${messageColumns('m')}, e."userId" AS "recipientUserId" FROM "Message" m ` +
        `JOIN "InboxEntry" e ON e."messageId" = m."id" AND e."kind" = 'message' ` +
        `JOIN "User" u ON u."id" = e."userId" AND u."deletedAt" IS NULL ` +
        `LEFT JOIN "ReadMarker" r ON r."userId" = e."userId" AND r."conversationId" = m."conversationId" ` +
        `WHERE m."id" >= ${q.p(after.messageId)} AND m."id" <= ${q.p(upTo)} AND m."siteId" = ${q.p(siteId)} ` +
        `AND (m."id" > ${q.p(after.messageId)} OR e."userId" > ${q.p(after.userId)}) ` +
        `AND m."deletedAt" IS NULL AND m."senderId" <> e."userId" ` +
        `AND (r."readUpTo" IS NULL OR m."id" > r."readUpTo") ` +
        `ORDER BY m."id", e."userId" LIMIT ${q.p(limit, '::integer')}`,
      ...q.params,
    );
    return rows.map((row) => ({ message: toMessage(row), userId: row.recipientUserId }));
  }

  async claimDueWebhookDeliveries(
    now: Date,
    leaseUntil: Date,
    limit: number,
    busyEndpoints: readonly string[],
  ): Promise<DueWebhookDelivery[]> {
    const q = this.ctx.sql();
    const lease = q.time(leaseUntil);
    const due = q.time(now);
    const busy = busyEndpoints.length
      ? `AND d."endpointId" NOT IN (${busyEndpoints.map((id) => q.p(id)).join(', ')}) `
      : '';
    // One statement: the rows it updates are this node's. On PostgreSQL, rows another node is
    // claiming at the same moment are skipped rather than waited for; SQLite has one writer.
    const claimed = await this.ctx.retryBusy(() =>
      this.ctx.db.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE "WebhookDelivery" SET "nextAttemptAt" = ${lease} WHERE "id" IN (` +
          `SELECT d."id" FROM "WebhookDelivery" d JOIN "WebhookEndpoint" e ON e."id" = d."endpointId" ` +
          `WHERE e."disabledAt" IS NULL AND d."deliveredAt" IS NULL AND d."failedAt" IS NULL ` +
          `AND d."nextAttemptAt" <= ${due} ${busy}` +
          `ORDER BY d."nextAttemptAt", d."id" LIMIT ${q.p(limit, '::integer')}` +
          `${this.ctx.kind === 'postgres' ? ' FOR UPDATE OF d SKIP LOCKED' : ''}) ` +
          `AND "nextAttemptAt" <= ${q.time(now)} RETURNING "id"`,
        ...q.params,
      ),
    );
    if (claimed.length === 0) return [];
    const rows = await this.ctx.db.webhookDelivery.findMany({
      where: { id: { in: claimed.map((c) => c.id) } },
      include: { endpoint: { select: { url: true, secret: true } } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(({ endpoint, ...delivery }) => ({ ...delivery, url: endpoint.url, secret: endpoint.secret }));
  }

  async finishWebhookAttempt(
    delivery: Pick<WebhookDeliveryRecord, 'id' | 'endpointId'>,
    attempt: WebhookAttempt,
  ): Promise<void> {
    await this.ctx.retryBusy(() =>
      this.ctx.db.$transaction([
        // updateMany: the endpoint (and with it the delivery) may have been removed meanwhile.
        this.ctx.db.webhookDelivery.updateMany({
          where: { id: delivery.id },
          data: {
            attempts: { increment: 1 },
            lastStatus: attempt.status,
            lastError: attempt.error,
            ...(attempt.ok
              ? { deliveredAt: attempt.at }
              : attempt.retryAt
                ? { nextAttemptAt: attempt.retryAt }
                : { failedAt: attempt.at }),
          },
        }),
        this.ctx.db.webhookEndpoint.updateMany({
          where: { id: delivery.endpointId },
          data: {
            lastAttemptAt: attempt.at,
            lastStatus: attempt.status,
            lastError: attempt.error,
            ...(attempt.ok ? { lastSuccessAt: attempt.at, failures: 0 } : { failures: { increment: 1 } }),
          },
        }),
      ]),
    );
  }

  async sweepWebhookDeliveries(before: Date): Promise<number> {
    const { count } = await this.ctx.db.webhookDelivery.deleteMany({
      where: { OR: [{ deliveredAt: { lt: before } }, { failedAt: { lt: before } }] },
    });
    return count;
  }
}
