import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, RawServerDefault } from 'fastify';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/index.js';
import { repoRoot } from '../paths.js';

/** What `npm run build` writes (widget/vite.config.ts): parley.js, and its chunks in parley/. */
export const widgetDist = join(repoRoot, 'widget', 'dist');
export const widgetBundle = join(widgetDist, 'parley.js');
const chunkDir = join(widgetDist, 'parley');

/** A chunk's file name as the build writes it (`panel-C3x_9a-b.js`): no path, no dot but the extension's. */
const CHUNK_NAME = /^[\w-]+\.js$/;

/**
 * The widget's files, public static JavaScript that other sites' pages load:
 * - `/parley.js`, the boot script: a short cache, so a release reaches pages within minutes;
 * - `/parley/<chunk>.js`, what it loads on demand with `import()`: content-hashed names, so cached
 *   for a year as immutable; and CORS for everyone, since a module script from another origin
 *   needs it (they are the same files for every site and carry no credentials).
 * Only files of the build's parley/ folder are served; any other name is a 404. (`cacheControl:
 * false` keeps @fastify/static from replacing these Cache-Control headers with its own max-age=0.)
 */
export function registerWidgetFiles(app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>) {
  const unavailable = (reply: FastifyReply) =>
    reply.code(503).send({
      ok: false,
      error: { code: ErrorCode.Unavailable, message: 'The widget is not built: run `npm run build`.' },
    });

  app.get('/parley.js', async (_request, reply) => {
    if (!existsSync(widgetBundle)) return unavailable(reply);
    return reply
      .header('cache-control', 'public, max-age=300')
      .header('access-control-allow-origin', '*')
      .sendFile('parley.js', widgetDist, { cacheControl: false });
  });

  app.get('/parley/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    if (!CHUNK_NAME.test(file) || !existsSync(join(chunkDir, file))) {
      return reply.code(404).send({ ok: false, error: { code: ErrorCode.NotFound, message: 'No such widget file.' } });
    }
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('access-control-allow-origin', '*')
      .sendFile(file, chunkDir, { cacheControl: false });
  });
}
