import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { Logger } from '../logger.js';
import { webhookSchemas } from '../protocol/webhooks.js';
import type { Webhooks } from '../services/webhooks/webhooks.js';
import type { ApiKeyRecord, SiteRecord } from '../store/store.js';
import { parseBody } from './routes.js';

/** What the server API's routes share with these (admin-routes.ts). */
export interface WebhookRouteContext {
  prefix: string;
  caller(request: FastifyRequest): Promise<{ site: SiteRecord; key: ApiKeyRecord }>;
  idempotent(
    request: FastifyRequest,
    reply: FastifyReply,
    key: ApiKeyRecord,
    handle: () => Promise<{ status: number; data: unknown }>,
  ): Promise<unknown>;
}

/**
 * The server API's webhook endpoints (docs/webhooks.md): list them with their delivery status,
 * add one (its signing secret is in this answer only), turn one off or on, remove one.
 */
export function registerWebhookRoutes(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  webhooks: Webhooks,
  { prefix, caller, idempotent }: WebhookRouteContext,
) {
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;

  app.get(`${prefix}/webhooks`, async (request) => {
    const { site } = await caller(request);
    return { ok: true, data: { endpoints: await webhooks.list(site.id) } };
  });

  app.post(`${prefix}/webhooks`, async (request, reply) => {
    const { site, key } = await caller(request);
    const body = parseBody(webhookSchemas.endpointCreate, request.body);
    return idempotent(request, reply, key, async () => ({ status: 201, data: await webhooks.create(site.id, body) }));
  });

  app.patch(`${prefix}/webhooks/:id`, async (request) => {
    const { site } = await caller(request);
    const body = parseBody(webhookSchemas.endpointUpdate, request.body);
    return { ok: true, data: { endpoint: await webhooks.setEnabled(site.id, id(request), body.enabled) } };
  });

  app.delete(`${prefix}/webhooks/:id`, async (request) => {
    const { site } = await caller(request);
    await webhooks.remove(site.id, id(request));
    return { ok: true, data: {} };
  });
}
