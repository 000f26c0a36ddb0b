import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, RawServerDefault } from 'fastify';
import type { Logger } from '../logger.js';
import { openApiDocument } from '../protocol/openapi.js';
import { repoRoot } from '../paths.js';

/**
 * The server API's description: the OpenAPI document at /api/openapi.json and a reader for it at
 * /api/docs, Swagger UI (swagger-ui-dist) served from this origin, without a CDN. The page runs
 * only our own scripts; Swagger UI styles elements inline, so its page (alone) allows inline styles.
 */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

/** Swagger UI's files this page needs, and their types. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

// Relative addresses: the page is /api/docs, so they resolve below /api/ wherever Parley is mounted.
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Parley server API</title>
    <link rel="stylesheet" href="docs/swagger-ui.css" />
  </head>
  <body>
    <main id="docs"></main>
    <script src="docs/swagger-ui-bundle.js"></script>
    <script src="docs/start.js"></script>
  </body>
</html>
`;

// Our own start script (a file, not inline, so the page's CSP needs no 'unsafe-inline' scripts).
// No validator badge: it would send the document to a third party.
const START = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
});
`;

export function registerApiDocs(app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>) {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  // Made once: the routes and schemas do not change while the server runs.
  const document = JSON.stringify(openApiDocument({ version }));
  const uiRoot = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const assets = new Map<string, Promise<Buffer>>();

  app.get('/api/openapi.json', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(document),
  );

  app.get('/api/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).send(PAGE),
  );

  app.get('/api/docs/start.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(START));

  for (const [file, type] of Object.entries(ASSETS)) {
    app.get(`/api/docs/${file}`, async (_request, reply) => {
      let bytes = assets.get(file);
      if (!bytes) {
        bytes = readFile(join(uiRoot, file));
        assets.set(file, bytes);
        bytes.catch(() => assets.delete(file));
      }
      return reply
        .type(type)
        .header('cache-control', 'public, max-age=3600')
        .send(await bytes);
    });
  }
}
