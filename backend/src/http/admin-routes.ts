import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/index.js';
import { adminSchemas, externalId, IDEMPOTENCY_KEY, IDEMPOTENCY_TTL_MS } from '../protocol/admin-api.js';
import { ParleyError } from '../errors.js';
import type { ApiKeys } from '../services/host-api/api-keys.js';
import type { HostApi } from '../services/host-api/host-api.js';
import type { Limiter } from '../services/rate-limiter.js';
import type { ApiKeyRecord, SiteRecord, Store } from '../store/store.js';
import { parseBody } from './routes.js';
import type { Webhooks } from '../services/webhooks/webhooks.js';
import { registerWebhookRoutes } from './webhook-routes.js';

export interface AdminRouteDeps {
  store: Store;
  apiKeys: ApiKeys;
  host: HostApi;
  /** Requests per API key. */
  perKey: Limiter;
  now?: () => Date;
  /** Webhook endpoints (docs/webhooks.md); their routes are left out without it. */
  webhooks?: Webhooks;
}

interface Caller {
  site: SiteRecord;
  key: ApiKeyRecord;
}

/** What a handler answers: the HTTP status and the `data` of `{ ok: true, data }`. */
type Answer = { status: number; data: unknown };

const PREFIX = '/api/v1/admin/sites/:site';

/** Two SHA-256 hex digests compared in constant time (the house rule for hashes; test/abuse.test.ts). */
function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The server API (docs/api.md): the host site's server manages its users, rooms and messages with
 * a per-site API key. Every request: the key (401 missing or bad, 403 another site's), the rate
 * per key, the body against its schema (protocol/admin-api.ts). Writes with an `Idempotency-Key`
 * are answered once and replayed after (the answer is kept in the database for 24 hours).
 * No CORS: these routes are for servers; a key must never reach a browser.
 */
export function registerAdminRoutes(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  deps: AdminRouteDeps,
) {
  const { store, apiKeys, host, perKey } = deps;
  const now = deps.now ?? (() => new Date());

  async function caller(request: FastifyRequest): Promise<Caller> {
    const siteId = (request.params as { site: string }).site;
    const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const key = await apiKeys.authenticate(siteId, presented);
    if (!(await perKey.take(key.id))) {
      throw new ParleyError(ErrorCode.RateLimited, 'Too many requests with this API key. Slow down and retry.');
    }
    const site = await store.getSite(siteId);
    if (!site) throw new ParleyError(ErrorCode.NotFound, 'Unknown site.');
    return { site, key };
  }

  const param = (request: FastifyRequest, name: string) => (request.params as Record<string, string>)[name] ?? '';

  function externalIdParam(request: FastifyRequest): string {
    const parsed = externalId.safeParse(param(request, 'externalId'));
    if (!parsed.success) throw new ParleyError(ErrorCode.BadRequest, `externalId: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  /**
   * Answers a write, once per `Idempotency-Key`: the first request's answer is stored and replayed
   * for a retry with the same key and the same request; the same key with another request, or
   * while the first is still being handled, is `idempotency_conflict` (409). A request that
   * failed is forgotten, so it may be retried under its key.
   */
  async function idempotent(
    request: FastifyRequest,
    reply: FastifyReply,
    key: ApiKeyRecord,
    handle: (clientId: string | undefined) => Promise<Answer>,
  ) {
    const given = request.headers['idempotency-key'];
    if (given === undefined) {
      const answer = await handle(undefined);
      return reply.code(answer.status).send({ ok: true, data: answer.data });
    }
    if (typeof given !== 'string' || !IDEMPOTENCY_KEY.test(given)) {
      throw new ParleyError(
        ErrorCode.BadRequest,
        'Idempotency-Key: give one key of 1 to 128 printable ASCII characters.',
      );
    }
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    const at = now();
    const earlier = await store.claimIdempotent(
      key.id,
      given,
      requestHash,
      at,
      new Date(at.getTime() + IDEMPOTENCY_TTL_MS),
    );
    if (earlier) {
      if (!sameHex(earlier.requestHash, requestHash)) {
        throw new ParleyError(
          ErrorCode.IdempotencyConflict,
          'This Idempotency-Key was used with another request. Use a new key for a new request.',
        );
      }
      if (earlier.status === 0) {
        throw new ParleyError(
          ErrorCode.IdempotencyConflict,
          'The first request with this Idempotency-Key is still being handled. Retry in a moment.',
        );
      }
      return reply
        .code(earlier.status)
        .header('idempotent-replayed', 'true')
        .type('application/json; charset=utf-8')
        .send(earlier.response);
    }
    let answer: Answer;
    try {
      // The message a write sends gets a client id made from the key: even a retry after the
      // stored answer expired is recognised as a duplicate by the store.
      const clientId = `idem:${createHash('sha256').update(`${key.id}\n${given}`).digest('base64url').slice(0, 40)}`;
      answer = await handle(clientId);
    } catch (err) {
      await store.releaseIdempotent(key.id, given);
      throw err;
    }
    const body = JSON.stringify({ ok: true, data: answer.data });
    await store.finishIdempotent(key.id, given, answer.status, body);
    return reply.code(answer.status).type('application/json; charset=utf-8').send(body);
  }

  /** Creates the host's user, or updates their profile (the same as an identity token sign-in). */
  app.put(`${PREFIX}/users/:externalId`, async (request, reply) => {
    const { site, key } = await caller(request);
    const id = externalIdParam(request);
    const body = parseBody(adminSchemas.userPut, request.body);
    return idempotent(request, reply, key, async () => {
      const { user, created } = await host.upsertUser(site, id, body);
      return { status: created ? 201 : 200, data: { user } };
    });
  });

  app.get(`${PREFIX}/users/:externalId`, async (request) => {
    const { site } = await caller(request);
    return { ok: true, data: { user: await host.getUser(site, externalIdParam(request)) } };
  });

  /** Adds mutual buddies to a user (a host importing its "friends"). */
  app.put(`${PREFIX}/users/:externalId/buddies`, async (request, reply) => {
    const { site, key } = await caller(request);
    const id = externalIdParam(request);
    const body = parseBody(adminSchemas.buddiesPut, request.body);
    return idempotent(request, reply, key, async () => ({
      status: 200,
      data: await host.importBuddies(site, id, body.buddies),
    }));
  });

  app.post(`${PREFIX}/rooms`, async (request, reply) => {
    const { site, key } = await caller(request);
    const body = parseBody(adminSchemas.roomCreate, request.body);
    return idempotent(request, reply, key, async () => ({
      status: 201,
      data: { room: await host.createRoom(site, body) },
    }));
  });

  app.put(`${PREFIX}/rooms/:roomId/members`, async (request, reply) => {
    const { site, key } = await caller(request);
    const body = parseBody(adminSchemas.roomMembersPut, request.body);
    return idempotent(request, reply, key, async () => ({
      status: 200,
      data: { room: await host.setRoomMembers(site, param(request, 'roomId'), body.members) },
    }));
  });

  app.post(`${PREFIX}/rooms/:roomId/messages`, async (request, reply) => {
    const { site, key } = await caller(request);
    const body = parseBody(adminSchemas.roomMessage, request.body);
    return idempotent(request, reply, key, async (clientId) => {
      const sent = await host.postToRoom(site, param(request, 'roomId'), body, clientId);
      return { status: sent.duplicate ? 200 : 201, data: sent };
    });
  });

  app.get(`${PREFIX}/rooms/:roomId/messages`, async (request) => {
    const { site } = await caller(request);
    const query = parseBody(adminSchemas.historyQuery, { ...(request.query as object) });
    return { ok: true, data: await host.roomHistory(site, param(request, 'roomId'), query) };
  });

  /** A direct message from the user to another (buddies, or strangers where the site allows). */
  app.post(`${PREFIX}/users/:externalId/messages`, async (request, reply) => {
    const { site, key } = await caller(request);
    const id = externalIdParam(request);
    const body = parseBody(adminSchemas.directMessage, request.body);
    return idempotent(request, reply, key, async (clientId) => {
      const sent = await host.sendDirect(site, id, body, clientId);
      return { status: sent.duplicate ? 200 : 201, data: sent };
    });
  });

  app.get(`${PREFIX}/users/:externalId/conversations/:with/messages`, async (request) => {
    const { site } = await caller(request);
    const query = parseBody(adminSchemas.historyQuery, { ...(request.query as object) });
    const withUser = externalId.safeParse(param(request, 'with'));
    if (!withUser.success) throw new ParleyError(ErrorCode.BadRequest, `with: ${withUser.error.issues[0]?.message}`);
    return { ok: true, data: await host.directHistory(site, externalIdParam(request), withUser.data, query) };
  });

  app.get(`${PREFIX}/online`, async (request) => {
    const { site } = await caller(request);
    const query = parseBody(adminSchemas.onlineQuery, { ...(request.query as object) });
    const users = typeof query.users === 'string' ? [query.users] : query.users;
    return { ok: true, data: await host.online(site, users) };
  });

  if (deps.webhooks) registerWebhookRoutes(app, deps.webhooks, { prefix: PREFIX, caller, idempotent });
}
