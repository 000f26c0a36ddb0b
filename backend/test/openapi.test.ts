import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { adminRoutes, fastifyPath, type AdminRoute } from '../src/protocol/admin-api-routes.js';
import { adminClient } from './admin-client.js';
import { useServer } from './support.js';

/**
 * The server API's OpenAPI description (docs/api.md#openapi): a valid OpenAPI 3.1 document that
 * describes every admin route the server serves and nothing else, answers that match it, and the
 * reader at /api/docs served from our own origin.
 */
const server = useServer({ config: { apiKeyRatePerSecond: 1000 }, sites: [{ id: 'shop' }] });
const { call, newKey } = adminClient(() => server);

type Document = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; parameters: unknown[] }>>;
  components: { securitySchemes: Record<string, { scheme: string }> };
};

async function fetchDocument(): Promise<Document> {
  const response = await fetch(`${server.url}/api/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Document;
}

describe('OpenAPI: /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    const document = await fetchDocument();
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // resolveRefs throws on a $ref that points nowhere.
    expect(() => validator.resolveRefs()).not.toThrow();
    expect(document.components.securitySchemes.apiKey?.scheme).toBe('bearer');
    const put = document.paths['/api/v1/admin/sites/{site}/users/{externalId}']!.put!;
    // (resolveRefs replaced the references by what they name.)
    expect(JSON.stringify(put.parameters)).toContain('"name":"Idempotency-Key","in":"header"');
  });

  it('describes every admin route the server serves, and no route it does not (drift fails)', async () => {
    const document = await fetchDocument();
    const described = new Set(
      Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const served = new Set(
      server.app.routes
        .filter((r) => r.url.startsWith('/api/v1/admin') && r.method !== 'HEAD')
        .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`),
    );
    expect(served.size).toBeGreaterThanOrEqual(adminRoutes.length);
    expect([...served].filter((route) => !described.has(route))).toEqual([]);
    expect([...described].filter((route) => !served.has(route))).toEqual([]);
    // Operation ids are unique (the handlers are keyed by them).
    const ids = (adminRoutes as readonly AdminRoute[]).map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(fastifyPath({ path: '/users/{externalId}' })).toBe('/api/v1/admin/sites/:site/users/:externalId');
  });

  it('describes the answers the server really gives', async () => {
    const key = await newKey();
    const route = (id: string) => (adminRoutes as readonly AdminRoute[]).find((r) => r.operationId === id)!;
    const check = (id: string, answer: { status: number; body: { data?: unknown } }) => {
      const schema = route(id).answers[answer.status as 200 | 201];
      expect(schema, `${id} answered ${answer.status}`).toBeDefined();
      const parsed = schema!.safeParse(answer.body.data);
      expect(parsed.success, `${id}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    };
    const user = await call('PUT', 'shop/users/oa-1', { key, body: { name: 'Oa', metadata: { x: [1] } } });
    check('putUser', user);
    await call('PUT', 'shop/users/oa-2', { key, body: { name: 'Ob' } });
    check('getUser', await call('GET', 'shop/users/oa-1', { key }));
    check('putBuddies', await call('PUT', 'shop/users/oa-1/buddies', { key, body: { buddies: ['oa-2'] } }));
    const room = await call('POST', 'shop/rooms', { key, body: { name: 'Oa room', owner: 'oa-1' } });
    check('createRoom', room);
    const roomId: string = room.body.data.room.id;
    check('putRoomMembers', await call('PUT', `shop/rooms/${roomId}/members`, { key, body: { members: ['oa-2'] } }));
    check(
      'postRoomMessage',
      await call('POST', `shop/rooms/${roomId}/messages`, { key, body: { text: 'hi', system: true } }),
    );
    check('getRoomMessages', await call('GET', `shop/rooms/${roomId}/messages`, { key }));
    check(
      'postDirectMessage',
      await call('POST', 'shop/users/oa-1/messages', { key, body: { to: 'oa-2', text: 'yo' } }),
    );
    check('getDirectMessages', await call('GET', 'shop/users/oa-1/conversations/oa-2/messages', { key }));
    check('getOnline', await call('GET', 'shop/online?users=oa-1', { key }));
    check('getOnline', await call('GET', 'shop/online', { key }));
    check('deleteUser', await call('DELETE', 'shop/users/oa-2', { key }));
  });
});

describe('OpenAPI: /api/docs', () => {
  it('serves the reader page and its files from this origin, under a CSP that runs only our scripts', async () => {
    const page = await fetch(`${server.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('docs/swagger-ui-bundle.js');
    // Nothing from another origin, and no inline script.
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(html).not.toMatch(/<script>/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    for (const [file, type] of [
      ['swagger-ui-bundle.js', /javascript/],
      ['swagger-ui.css', /css/],
      ['start.js', /javascript/],
    ] as const) {
      const asset = await fetch(`${server.url}/api/docs/${file}`);
      expect(asset.status, file).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(type);
      expect((await asset.text()).length).toBeGreaterThan(50);
    }
    const start = await (await fetch(`${server.url}/api/docs/start.js`)).text();
    expect(start).toContain("url: 'openapi.json'");
  });
});
