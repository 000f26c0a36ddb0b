/**
 * The server API's OpenAPI 3.1 document, generated from the route table (admin-api-routes.ts) and
 * the zod schemas the routes validate with, by zod's own JSON Schema conversion (OpenAPI 3.1 uses
 * JSON Schema 2020-12). Served at /api/openapi.json and rendered at /api/docs (http/api-docs.ts).
 */
import { z } from 'zod';
import { ErrorCode } from './constants.js';
import { ADMIN_BATCH_MAX, IDEMPOTENCY_KEY, IDEMPOTENCY_TTL_MS, jsonValue } from './admin-api.js';
import { ADMIN_PREFIX, ADMIN_TAGS, adminRoutes, type AdminRoute } from './admin-api-routes.js';
import { adminAnswers } from './admin-api-answers.js';
import { bounded } from './schemas.js';

type Json = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  400: 'A body, query or path parameter that does not match its schema (the message names the fields).',
  401: 'No key, a malformed, unknown or revoked key, or a wrong secret.',
  403: 'A key of another site, or an action the site’s rules do not allow.',
  404: 'Unknown site, user or room.',
  409: 'An Idempotency-Key conflict, a full room, or a user at their room limit.',
  413: 'A body over 64 KB.',
  429: 'Too many requests with this key.',
};
const COMMON_ERRORS = [400, 401, 403, 429] as const;

function pascal(id: string): string {
  return id[0]!.toUpperCase() + id.slice(1);
}

/** JSON Schema of one zod schema with no references out (query and path parameters). */
function inline(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

/** The answers' envelope around `data`. */
const okEnvelope = (data: Json): Json => ({
  type: 'object',
  required: ['ok', 'data'],
  properties: { ok: { const: true }, data },
});

/** The OpenAPI 3.1 document of the server API (no `servers`: the API is at the document's origin). */
export function openApiDocument(options: { version: string }): Json {
  // Named schemas: every body and answer, and the JSON value metadata holds (recursive, so it
  // must have a name to be referred to). Converted together, so they refer to one another.
  const registry = z.registry<{ id: string }>();
  registry.add(jsonValue, { id: 'JsonValue' });
  const routes = adminRoutes as readonly AdminRoute[];
  const answerIds = new Map<z.ZodType, string>();
  for (const [name, schema] of Object.entries(adminAnswers)) {
    answerIds.set(schema, `${pascal(name)}Answer`);
    registry.add(schema, { id: `${pascal(name)}Answer` });
  }
  for (const route of routes) {
    const id = pascal(route.operationId);
    if (route.body) registry.add(route.body, { id: `${id}Body` });
    for (const [status, schema] of Object.entries(route.answers)) {
      if (!answerIds.has(schema)) {
        const name = `${id}Answer${status}`;
        answerIds.set(schema, name);
        registry.add(schema, { id: name });
      }
    }
  }
  const converted = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas as Record<string, Json>;
  if ('__shared' in converted) {
    throw new Error('openapi: a schema is used in two places without a name; add it to the registry above');
  }
  const schemas: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(converted)) {
    const { $schema: _drop, $id: _id, ...rest } = schema;
    schemas[id] = rest;
  }
  schemas.Error = {
    type: 'object',
    required: ['ok', 'error'],
    properties: {
      ok: { const: false },
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: Object.values(ErrorCode) },
          message: { type: 'string' },
        },
      },
    },
  };

  const responses: Record<string, Json> = {};
  for (const status of Object.keys(STATUS_TEXT)) {
    responses[`E${status}`] = {
      description: STATUS_TEXT[Number(status)],
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const parameters: Json[] = [{ $ref: '#/components/parameters/Site' }];
    for (const [name, schema] of Object.entries(route.params)) {
      parameters.push({ name, in: 'path', required: true, schema: inline(schema) });
    }
    for (const [name, schema] of Object.entries(route.query?.shape ?? {})) {
      const field = schema as z.ZodType;
      const json = inline(field);
      parameters.push({
        name,
        in: 'query',
        required: !field.safeParse(undefined).success,
        ...(name === 'users' ? { style: 'form', explode: true } : {}),
        ...(typeof json.description === 'string' ? { description: json.description } : {}),
        schema: json,
      });
    }
    if (route.idempotent) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
    const answers: Record<string, Json> = {};
    for (const [status, schema] of Object.entries(route.answers)) {
      answers[status] = {
        description: status === '201' ? 'Created (or sent).' : 'Done.',
        ...(route.idempotent ? { headers: { 'Idempotent-Replayed': { $ref: '#/components/headers/Replayed' } } } : {}),
        content: {
          'application/json': { schema: okEnvelope({ $ref: `#/components/schemas/${answerIds.get(schema)}` }) },
        },
      };
    }
    for (const status of [...COMMON_ERRORS, ...route.errors].sort()) {
      answers[String(status)] = { $ref: `#/components/responses/E${status}` };
    }
    const path = `${ADMIN_PREFIX}${route.path}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      description: route.description,
      parameters,
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: { $ref: `#/components/schemas/${pascal(route.operationId)}Body` } },
              },
            },
          }
        : {}),
      responses: answers,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley server API',
      version: options.version,
      summary: 'The host site’s server manages its users, rooms and messages.',
      description:
        'Authenticate with an API key of the site (`npm run site -- api-keys <site> --create <name>`) as a ' +
        'bearer token. Answers are `{ ok: true, data }` or `{ ok: false, error: { code, message } }`. Writes ' +
        `take an \`Idempotency-Key\`: its first answer is replayed for ${IDEMPOTENCY_TTL_MS / 3_600_000} hours. ` +
        `Batches hold at most ${ADMIN_BATCH_MAX} users. The guide: docs/api.md.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    security: [{ apiKey: [] }],
    tags: Object.entries(ADMIN_TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'pk_<key id>_<secret>',
          description: 'A per-site API key, made, rotated and revoked with the site CLI. For servers only.',
        },
      },
      parameters: {
        Site: { name: 'site', in: 'path', required: true, description: 'The site id.', schema: inline(bounded(64, 1)) },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes the write happen once: a retry with the same key and request gets the first answer again.',
          schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
        },
      },
      headers: {
        Replayed: {
          description: '`true` when the answer is the stored answer to an earlier request with this Idempotency-Key.',
          schema: { type: 'string', enum: ['true'] },
        },
      },
      responses,
      schemas,
    },
  };
}
