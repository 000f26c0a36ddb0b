import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Server as TusServer } from '@tus/server';
import { EVENTS, Metadata } from '@tus/utils';
import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import { ParleyError, toErrorBody } from '../errors.js';
import { timeOrderedId } from '../ids.js';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/index.js';
import type { Accounts } from '../services/accounts.js';
import type { ClientMetadata, FileService, UploadMetadata } from '../services/files/files.js';
import { FILE_VARIANTS, type FileUrlSigner, type FileVariant } from '../services/files/signed-urls.js';
import { storageKey, type ByteRange } from '../services/files/storage.js';
import type { Limiter } from '../services/rate-limiter.js';
import type { SiteRecord, UserRecord } from '../store/store.js';

/** The tus headers a browser may send and read (CORS). */
export const TUS_REQUEST_HEADERS = ['tus-resumable', 'upload-length', 'upload-offset', 'upload-metadata'];
const TUS_EXPOSED_HEADERS = 'Location, Upload-Offset, Upload-Length, Tus-Resumable, Upload-Expires';

/** What a tus request was admitted with; the tus hooks read it by the request they are given. */
interface UploadContext {
  id: string;
  site: SiteRecord;
  user: UserRecord;
  meta: UploadMetadata;
  maxBytes: number;
  /** Why the finished upload was refused (answered as Parley's JSON error). */
  failure?: unknown;
}

export interface FileRouteDeps {
  accounts: Accounts;
  files: FileService;
  signer: FileUrlSigner;
  /** New uploads per user, counted like other actions. */
  uploadsPerUser: Limiter;
  logger: Logger;
  siteFor(request: FastifyRequest, reply: FastifyReply): Promise<SiteRecord>;
  bearer(request: FastifyRequest): string;
}

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const noUpload = () => new ParleyError(ErrorCode.NotFound, 'No such upload.');
const badRequest = (message: string) => new ParleyError(ErrorCode.BadRequest, message);

/**
 * Resumable uploads (tus 1.0.0 with creation, creation-with-upload, termination and expiration) at
 * `/api/v1/sites/:site/uploads`, and downloads through signed URLs at
 * `/api/v1/sites/:site/files/:fileId/:variant`. Fastify checks the site, origin and session and
 * who owns an upload; `@tus/server` then speaks the protocol, with the request body untouched.
 */
export async function registerFileRoutes(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  deps: FileRouteDeps,
) {
  const { files, logger } = deps;
  const contexts = new WeakMap<object, UploadContext>();
  const contextOf = (req: object) => {
    const context = contexts.get(req);
    if (!context) throw new Error('tus request without a Parley context');
    return context;
  };

  const tus = new TusServer({
    path: '/api/v1/sites/:site/uploads',
    datastore: files.staging.tus,
    namingFunction: (req) => contextOf(req).id,
    getFileIdFromRequest: (_req, last) => last,
    generateUrl: (req, { id }) => `/api/v1/sites/${encodeURIComponent(contextOf(req).site.id)}/uploads/${id}`,
    maxSize: (req) => contextOf(req).maxBytes,
    // CORS is answered by Parley (the site's origins), not by tus.
    allowedOrigins: () => false,
    disableTerminationForFinishedUploads: true,
    // The metadata kept is the server's own, checked in prepareUpload: never the client's as sent.
    onUploadCreate: async (req) => ({ metadata: { ...contextOf(req).meta } }),
    onUploadFinish: async (req, upload) => {
      const context = contextOf(req);
      try {
        await files.completeUpload(upload.id, context.meta);
        return {};
      } catch (err) {
        context.failure = err;
        if (!(err instanceof ParleyError)) {
          logger.error(
            { err, upload: upload.id, user: context.user.id, site: context.site.id },
            'storing an upload failed',
          );
        } else {
          logger.info({ code: err.code, cause: err.cause, upload: upload.id, user: context.user.id }, 'upload refused');
        }
        await files.staging
          .remove(upload.id)
          .catch((removeErr: unknown) =>
            logger.error({ err: removeErr, upload: upload.id }, 'removing a refused upload failed'),
          );
        files.settled(upload.id);
        throw { status_code: 422, body: 'refused\n' };
      }
    },
  });
  // After the answer to the last PATCH (tus reads the upload once more before answering a POST).
  tus.on(EVENTS.POST_FINISH, (_req, _res, upload) => {
    files.settled(upload.id);
    files.staging
      .remove(upload.id)
      .catch((err: unknown) =>
        logger.error({ err, upload: upload.id }, 'removing a stored upload from staging failed'),
      );
  });
  tus.on(EVENTS.POST_TERMINATE, (_req, _res, id) => files.settled(id));

  /** Hands the request to tus with `context`, and answers with what tus answered. */
  async function forward(request: FastifyRequest, reply: FastifyReply, context: UploadContext) {
    const raw = request.raw;
    const withBody = request.method === 'POST' || request.method === 'PATCH';
    const headers = new Headers();
    for (const [name, value] of Object.entries(raw.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const web = new Request(`http://parley.invalid${request.url}`, {
      method: request.method,
      headers,
      ...(withBody ? { body: Readable.toWeb(raw) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit);
    contexts.set(web, context);
    const answer = await tus.handleWeb(web);
    if (context.failure !== undefined) {
      if (context.failure instanceof ParleyError) throw context.failure;
      throw new ParleyError(ErrorCode.Internal, toErrorBody(context.failure).message);
    }
    reply.code(answer.status);
    answer.headers.forEach((value, name) => {
      if (!name.startsWith('access-control-')) reply.header(name, value);
    });
    reply.header('access-control-expose-headers', TUS_EXPOSED_HEADERS);
    const body = Buffer.from(await answer.arrayBuffer());
    return reply.send(body.length > 0 ? body : undefined);
  }

  await app.register(async (scope) => {
    // tus reads the bodies itself: Fastify must leave every one of them unread.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

    /** tus creation: checked here (session, site limit, quota, conversation) before tus sees it. */
    scope.post('/api/v1/sites/:site/uploads', async (request, reply) => {
      const site = await deps.siteFor(request, reply);
      const { user } = await deps.accounts.authenticate(site.id, deps.bearer(request));
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      if (header('upload-defer-length') !== undefined) throw badRequest('Upload-Defer-Length is not supported.');
      const lengthHeader = header('upload-length') ?? '';
      if (!/^\d{1,15}$/.test(lengthHeader)) throw badRequest('Upload-Length must give the file size in bytes.');
      let client: ClientMetadata;
      try {
        client = Metadata.parse(header('upload-metadata'));
      } catch {
        throw badRequest('Upload-Metadata is not valid (comma-separated keys with base64 values).');
      }
      if (!(await deps.uploadsPerUser.take(user.id))) {
        throw new ParleyError(ErrorCode.RateLimited, 'Too many uploads. Wait a minute and try again.');
      }
      const id = timeOrderedId();
      const meta = await files.prepareUpload(site, user, id, Number(lengthHeader), client);
      try {
        const answer = await forward(request, reply, { id, site, user, meta, maxBytes: files.maxBytes(site) });
        if (reply.statusCode >= 300) files.settled(id);
        return answer;
      } catch (err) {
        files.settled(id);
        throw err;
      }
    });

    /** HEAD (offset), PATCH (bytes), DELETE (termination): only by the upload's owner. */
    scope.route({
      method: ['HEAD', 'PATCH', 'DELETE'],
      url: '/api/v1/sites/:site/uploads/:id',
      handler: async (request, reply) => {
        const site = await deps.siteFor(request, reply);
        const { user } = await deps.accounts.authenticate(site.id, deps.bearer(request));
        const id = (request.params as { id: string }).id;
        if (!UPLOAD_ID.test(id)) throw noUpload();
        const upload = await files.staging.tus.getUpload(id).catch(() => null);
        const meta = upload?.metadata as Partial<UploadMetadata> | undefined;
        // Someone else's upload is answered as if there were none.
        if (!upload || !meta || meta.owner !== user.id || meta.site !== site.id) throw noUpload();
        return forward(request, reply, {
          id,
          site,
          user,
          meta: meta as UploadMetadata,
          maxBytes: upload.size ?? files.maxBytes(site),
        });
      },
    });
  });

  /**
   * A stored file through a signed URL (made by `file:urls`): no session needed, so it works in an
   * `<img>` or `<audio>` of the host page. The URL names its conversation and the file must be of it.
   */
  app.get('/api/v1/sites/:site/files/:fileId/:variant', async (request, reply) => {
    const site = await deps.siteFor(request, reply);
    const { fileId, variant } = request.params as { fileId: string; variant: string };
    if (!UPLOAD_ID.test(fileId) || !FILE_VARIANTS.includes(variant as FileVariant)) {
      throw new ParleyError(ErrorCode.NotFound, 'No such file.');
    }
    const check = deps.signer.check(site, fileId, variant as FileVariant, request.query as Record<string, unknown>);
    if (!check.ok) {
      throw new ParleyError(
        ErrorCode.Forbidden,
        check.reason === 'expired'
          ? 'This file link has expired: ask for a new one.'
          : 'This file link is not valid (unsigned or altered).',
      );
    }
    const file = await files.file(site.id, fileId);
    if (!file || file.conversationId !== check.conversationId || (variant === 'thumb' && !file.hasThumb)) {
      throw new ParleyError(ErrorCode.NotFound, 'No such file.');
    }
    const key = storageKey(site.id, fileId, variant as FileVariant);
    const size = await files.storage.size(key);
    if (size === null) throw new ParleyError(ErrorCode.NotFound, 'No such file.');
    const mime = variant === 'thumb' ? 'image/webp' : file.mime;
    const inline = variant === 'thumb' || file.media !== 'file';
    const expires = Number((request.query as { e: string }).e);
    reply
      .header('content-type', mime)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', `private, max-age=${Math.max(0, Math.floor((expires * 1000 - Date.now()) / 1000))}`)
      .header('accept-ranges', 'bytes')
      .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${rfc5987(file.name)}`);
    let range: ByteRange | undefined;
    const asked = request.headers.range;
    if (typeof asked === 'string' && file.media !== 'file') {
      const parsed = parseRange(asked, size);
      if (parsed === 'unsatisfiable') {
        return reply.code(416).header('content-range', `bytes */${size}`).send();
      }
      range = parsed ?? undefined;
    }
    const stream = await files.storage.get(key, range);
    if (!stream) throw new ParleyError(ErrorCode.NotFound, 'No such file.');
    if (range) {
      reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', range.end - range.start + 1);
    } else {
      reply.header('content-length', size);
    }
    return reply.send(stream);
  });
}

/** A file name for `filename*=UTF-8''…` (RFC 5987): percent-encoded, nothing that ends the header. */
function rfc5987(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** One range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; null to ignore it (several ranges, bad syntax). */
export function parseRange(header: string, size: number): ByteRange | null | 'unsatisfiable' {
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
