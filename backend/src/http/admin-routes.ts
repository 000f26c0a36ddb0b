import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/index.js';
import type { z } from 'zod';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_TTL_MS } from '../protocol/admin-api.js';
import { adminRoutes, fastifyPath, type AdminOperation, type AdminRoute } from '../protocol/admin-api-routes.js';
import { ParleyError } from '../errors.js';
import type { ApiKeys } from '../services/host-api/api-keys.js';
import type { HostApi } from '../services/host-api/host-api.js';
import type { Limiter } from '../services/rate-limiter.js';
import type { ApiKeyRecord, SiteRecord, Store } from '../store/store.js';
import { parseBody } from './routes.js';
import type { Webhooks } from '../services/webhooks/webhooks.js';

export interface AdminRouteDeps {
  store: Store;
  apiKeys: ApiKeys;
  host: HostApi;
  /** Requests per API key. */
  perKey: Limiter;
  now?: () => Date;
  /** Webhook endpoints (docs/webhooks.md). */
  webhooks: Webhooks;
}

interface Caller {
  site: SiteRecord;
  key: ApiKeyRecord;
}

/** What a handler answers: the HTTP status and the `data` of `{ ok: true, data }`. */
type Answer = { status: number; data: unknown };

type Parsed<S> = S extends z.ZodType ? z.infer<S> : undefined;
/** What a handler gets: the caller's site, and the path, body and query as its route's schemas parsed them. */
interface HandlerInput<R extends AdminRoute = AdminRoute> {
  site: SiteRecord;
  params: { [K in keyof R['params']]: string };
  body: Parsed<R['body']>;
  query: Parsed<R['query']>;
  /** For a message: a client id made from the Idempotency-Key, when one was given. */
  clientId: string | undefined;
}
/** One handler per row of the route table, named by its operationId: the compiler asks for each. */
type AdminHandlers = {
  [R in (typeof adminRoutes)[number] as R['operationId']]: (input: HandlerInput<R>) => Promise<Answer>;
};

/** Two SHA-256 hex digests compared in constant time (the house rule for hashes; test/abuse.test.ts). */
function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The server API (docs/api.md): the host site's server manages its users, rooms and messages with
 * a per-site API key. The routes are the rows of protocol/admin-api-routes.ts, which the OpenAPI
 * document describes too. Every request: the key (401 missing or bad, 403 another site's), the rate
 * per key, the path, query and body against the row's schemas. Writes with an `Idempotency-Key`
 * are answered once and replayed after (the answer is kept in the database for 24 hours).
 * No CORS: these routes are for servers; a key must never reach a browser.
 */
export function registerAdminRoutes(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  deps: AdminRouteDeps,
) {
  const { store, apiKeys, host, perKey, webhooks } = deps;
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

  const handlers: AdminHandlers = {
    /** Creates the host's user, or updates their profile (the same as an identity token sign-in). */
    putUser: async ({ site, params, body }) => {
      const { user, created } = await host.upsertUser(site, params.externalId, body);
      return { status: created ? 201 : 200, data: { user } };
    },
    getUser: async ({ site, params }) => ({ status: 200, data: { user: await host.getUser(site, params.externalId) } }),
    deleteUser: async ({ site, params }) => ({ status: 200, data: await host.deleteUser(site, params.externalId) }),
    /** Adds mutual buddies to a user (a host importing its "friends"). */
    putBuddies: async ({ site, params, body }) => ({
      status: 200,
      data: await host.importBuddies(site, params.externalId, body.buddies),
    }),
    createRoom: async ({ site, body }) => ({ status: 201, data: { room: await host.createRoom(site, body) } }),
    putRoomMembers: async ({ site, params, body }) => ({
      status: 200,
      data: { room: await host.setRoomMembers(site, params.roomId, body.members) },
    }),
    postRoomMessage: async ({ site, params, body, clientId }) => {
      const sent = await host.postToRoom(site, params.roomId, body, clientId);
      return { status: sent.duplicate ? 200 : 201, data: sent };
    },
    getRoomMessages: async ({ site, params, query }) => ({
      status: 200,
      data: await host.roomHistory(site, params.roomId, query),
    }),
    /** A direct message from the user to another, or a system notice to the user. */
    postDirectMessage: async ({ site, params, body, clientId }) => {
      const sent = await host.sendDirect(site, params.externalId, body, clientId);
      return { status: sent.duplicate ? 200 : 201, data: sent };
    },
    getDirectMessages: async ({ site, params, query }) => ({
      status: 200,
      data: await host.directHistory(site, params.externalId, params.with, query),
    }),
    getOnline: async ({ site, query }) => {
      if (query.users === undefined) return { status: 200, data: await host.onlinePage(site, query) };
      const users = typeof query.users === 'string' ? [query.users] : query.users;
      return { status: 200, data: await host.online(site, users) };
    },
    /** The site's webhook endpoints with their delivery status; a new one's secret is in its answer only. */
    listWebhooks: async ({ site }) => ({ status: 200, data: { endpoints: await webhooks.list(site.id) } }),
    createWebhook: async ({ site, body }) => ({ status: 201, data: await webhooks.create(site.id, body) }),
    updateWebhook: async ({ site, params, body }) => ({
      status: 200,
      data: { endpoint: await webhooks.setEnabled(site.id, params.id, body.enabled) },
    }),
    deleteWebhook: async ({ site, params }) => {
      await webhooks.remove(site.id, params.id);
      return { status: 200, data: {} };
    },
  };

  // Every row of the table, and nothing else: the OpenAPI document describes the same rows.
  for (const route of adminRoutes as readonly AdminRoute[]) {
    const handle = handlers[route.operationId as AdminOperation] as (input: HandlerInput) => Promise<Answer>;
    app.route({
      method: route.method,
      url: fastifyPath(route),
      handler: async (request, reply) => {
        const { site, key } = await caller(request);
        const params: Record<string, string> = {};
        for (const [name, schema] of Object.entries(route.params)) {
          const parsed = schema.safeParse(param(request, name));
          if (!parsed.success)
            throw new ParleyError(ErrorCode.BadRequest, `${name}: ${parsed.error.issues[0]?.message}`);
          params[name] = parsed.data;
        }
        const body = route.body ? parseBody(route.body, request.body) : undefined;
        const query = route.query ? parseBody(route.query, { ...(request.query as object) }) : undefined;
        const input = { site, params, body, query };
        if (!route.idempotent) {
          const answer = await handle({ ...input, clientId: undefined });
          return reply.code(answer.status).send({ ok: true, data: answer.data });
        }
        return idempotent(request, reply, key, (clientId) => handle({ ...input, clientId }));
      },
    });
  }
}
