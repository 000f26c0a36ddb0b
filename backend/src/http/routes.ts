import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { Logger } from '../logger.js';
import { ErrorCode, type ErrorBody } from '../protocol/index.js';
import {
  containsNul,
  describeIssues,
  identityLoginSchema,
  loginSchema,
  passwordChangeSchema,
  registerSchema,
} from '../protocol/schemas.js';
import type { z } from 'zod';
import { ParleyError, toErrorBody } from '../errors.js';
import { sessionIdOf, type Accounts } from '../services/accounts.js';
import type { EmailConfirmation } from '../services/email-confirmation.js';
import { registerEmailLinkPages } from './email-links.js';
import { registerWidgetFiles } from './widget-files.js';
import { registerFileRoutes, TUS_REQUEST_HEADERS } from './files.js';
import type { FileService } from '../services/files/files.js';
import type { FileUrlSigner } from '../services/files/signed-urls.js';
import { siteSettings } from '../services/site-settings.js';
import type { Limiter } from '../services/rate-limiter.js';
import type { Lifecycle } from '../lifecycle.js';
import type { SessionEnded, SiteConfig } from '../protocol/index.js';
import { assertDemoReachable } from '../services/demo-access.js';
import { originAllowed } from '../services/site-origins.js';
import type { SiteRecord, Store } from '../store/store.js';
import { repoRoot } from '../paths.js';
import { metricsAuthorized, type Metrics } from '../metrics.js';

const statusOf: Record<string, number> = {
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.RegistrationClosed]: 403,
  [ErrorCode.UsernameTaken]: 409,
  [ErrorCode.IdentityInvalid]: 401,
  [ErrorCode.IdentityExpired]: 401,
  [ErrorCode.IdentityWrongSite]: 401,
  [ErrorCode.Blocked]: 403,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.InvalidCredentials]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.OriginNotAllowed]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.TooLarge]: 413,
  [ErrorCode.UnsupportedFile]: 422,
  [ErrorCode.QuotaExceeded]: 429,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.IdempotencyConflict]: 409,
  [ErrorCode.RoomFull]: 409,
  [ErrorCode.LimitReached]: 409,
};

const demoRoot = join(repoRoot, 'demo-site');
/** What the demo site may serve: pages, scripts and styles. */
const DEMO_FILE = /^\/[\w-]+\.(?:html|js|css)$/;

export function sendError(reply: FastifyReply, error: ErrorBody) {
  return reply.code(statusOf[error.code] ?? 500).send({ ok: false, error });
}

/**
 * Fastify's own refusals from before routing (a malformed URL, an over-long path parameter)
 * answer in Parley's Result shape too, without echoing the URL.
 */
export function frameworkError(err: { code?: string }, _request: FastifyRequest, reply: FastifyReply) {
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'The address is too long.' : 'The address is not valid.';
  return sendError(reply, { code: ErrorCode.BadRequest, message });
}

/**
 * Resolves the site named in the path and applies its origin policy: a browser request (one with
 * an Origin header) must come from an origin the site allows, and gets CORS headers for it.
 */
async function siteFor(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  demoOpen = false,
): Promise<SiteRecord> {
  const siteId = (request.params as { site?: unknown }).site;
  const site = typeof siteId === 'string' && siteId.length <= 64 ? await store.getSite(siteId) : null;
  if (!site) throw new ParleyError(ErrorCode.NotFound, 'Unknown site.');
  assertDemoReachable(site.id, request.ip, demoOpen);
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (!originAllowed(origin, site.origins)) {
      // The refusal itself may be read by the page, so its console can say why; nothing else can.
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      throw new ParleyError(ErrorCode.OriginNotAllowed, `Origin ${origin} is not allowed for this site.`);
    }
    reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  }
  return site;
}

/** Validates a body against its schema, or throws bad_request naming the fields. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (containsNul(body)) throw new ParleyError(ErrorCode.BadRequest, 'Text must not contain U+0000.');
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ParleyError(ErrorCode.BadRequest, describeIssues(parsed.error));
  return parsed.data;
}

function bearer(request: FastifyRequest): string {
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) throw new ParleyError(ErrorCode.Unauthorized, 'No session token given.');
  return token;
}

export interface RouteDeps {
  store: Store;
  accounts: Accounts;
  /** Checks and applies the links of confirmation e-mails. */
  confirmations: EmailConfirmation;
  /** Closes the live connections of ended sessions. */
  endSessions: (
    userId: string,
    reason: SessionEnded['reason'],
    match: { only?: string; except?: string },
  ) => Promise<void>;
  limits: {
    /** Password checks per site and username (sign-in and password change), whoever makes them. */
    loginPerAccount: Limiter;
    /** Sign-ins (password and identity) per client address. */
    loginPerAddress: Limiter;
    registerPerAddress: Limiter;
  };
  lifecycle: Lifecycle;
  /** PARLEY_SECRET, which signs unsubscribe links (null: the site's secret). */
  secret: string | null;
  /** Cluster mode: the health check also answers for Redis and names the node. */
  cluster?: { nodeId(): string; ping(): Promise<void> } | null;
  metrics: Metrics;
  /** METRICS_TOKEN: the bearer token /metrics asks for; null turns it off. */
  metricsToken: string | null;
  /** PARLEY_DEMO=1: the demo site answers clients from anywhere, not only this machine. */
  demoOpen: boolean;
  /** Uploads (tus) and downloads (signed URLs) of files. */
  files: { service: FileService; signer: FileUrlSigner; uploadsPerUser: Limiter };
}

const tooMany = (what: string) =>
  new ParleyError(ErrorCode.RateLimited, `Too many ${what}. Wait a minute and try again.`);

export async function registerRoutes(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  deps: RouteDeps,
) {
  const { store, accounts, endSessions, limits, lifecycle } = deps;

  /**
   * Counts a password check against both the address and the account before argon2 runs, so a
   * guesser is slowed whether they try many passwords on one account or one password on many.
   * Unknown usernames get buckets too: the answer never tells which usernames exist.
   */
  async function limitLogin(request: FastifyRequest, siteId: string, username: string | null) {
    if (!(await limits.loginPerAddress.take(request.ip))) throw tooMany('sign-in attempts');
    if (username !== null && !(await limits.loginPerAccount.take(`${siteId}\u0000${username.toLowerCase()}`))) {
      throw tooMany('sign-in attempts');
    }
  }

  app.addHook('onRequest', async (_request, reply) => {
    // Shutting down: the listening socket is closed; requests on kept-alive connections are refused.
    if (lifecycle.closing) {
      reply.header('connection', 'close');
      return sendError(reply, { code: ErrorCode.Unavailable, message: 'The server is restarting.' });
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const fastifyCode = (err as { code?: string }).code;
    if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, { code: ErrorCode.TooLarge, message: 'The request body is too large.' });
    }
    if ((err as { statusCode?: number }).statusCode === 400 || fastifyCode?.startsWith('FST_ERR_CTP')) {
      return sendError(reply, {
        code: ErrorCode.BadRequest,
        message: 'The request body is not valid JSON, or holds a forbidden key such as __proto__.',
      });
    }
    // Other client errors raised by Fastify or its plugins (e.g. @fastify/static refusing a path
    // such as `//`): the client's fault, answered with the nearest code, never as internal.
    const status = (err as { statusCode?: number }).statusCode;
    if (!(err instanceof ParleyError) && status !== undefined && status >= 400 && status < 500) {
      const code = status === 404 ? ErrorCode.NotFound : status === 403 ? ErrorCode.Forbidden : ErrorCode.BadRequest;
      request.log.info({ code: fastifyCode, status, url: request.url }, 'request refused');
      return sendError(reply, { code, message: 'The request cannot be served.' });
    }
    const body = toErrorBody(err);
    if (body.code === ErrorCode.Internal) request.log.error({ err, url: request.url }, 'request failed');
    return sendError(reply, body);
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, { code: ErrorCode.NotFound, message: 'Not found.' }));

  // Prometheus scrapes, with the operator's token. Off without one: the figures describe the
  // server's load and its users' activity, which is nobody else's business.
  app.get('/metrics', async (request, reply) => {
    if (!deps.metricsToken) {
      return sendError(reply, {
        code: ErrorCode.NotFound,
        message: 'Metrics are off. Set METRICS_TOKEN to turn them on.',
      });
    }
    if (!metricsAuthorized(request.headers.authorization, deps.metricsToken)) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, { code: ErrorCode.Unauthorized, message: 'Send the metrics token as a Bearer token.' });
    }
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await store.ping();
    } catch (err) {
      app.log.error({ err }, 'health check: database unreachable');
      return sendError(reply, { code: ErrorCode.Unavailable, message: 'The database is unreachable.' });
    }
    if (!deps.cluster) return { ok: true, data: { status: 'ok', database: store.kind } };
    try {
      await deps.cluster.ping();
    } catch (err) {
      app.log.error({ err }, 'health check: redis unreachable');
      return sendError(reply, { code: ErrorCode.Unavailable, message: 'Redis is unreachable.' });
    }
    return { ok: true, data: { status: 'ok', database: store.kind, node: deps.cluster.nodeId() } };
  });

  registerWidgetFiles(app);

  // CORS preflight for the site API.
  // A refused origin still gets a proper preflight answer, so that the real request can reach
  // siteFor and come back with a readable origin_not_allowed instead of a bare network error.
  app.options('/api/v1/sites/:site/*', async (request, reply) => {
    await siteFor(store, request, reply, deps.demoOpen).catch((err: unknown) => {
      if (!(err instanceof ParleyError && err.code === ErrorCode.OriginNotAllowed)) throw err;
    });
    return reply
      .header('access-control-allow-methods', 'GET, HEAD, POST, PATCH, DELETE')
      .header('access-control-allow-headers', ['content-type', 'authorization', ...TUS_REQUEST_HEADERS].join(', '))
      .header('access-control-max-age', '600')
      .code(204)
      .send();
  });

  /** What the widget needs to know about a site before anyone signs in. */
  app.get('/api/v1/sites/:site/config', async (request, reply) => {
    const site = await siteFor(store, request, reply, deps.demoOpen);
    const settings = siteSettings(site);
    const data: SiteConfig = {
      site: site.id,
      name: site.name,
      registrationOpen: settings.registrationOpen,
      theme: settings.theme,
    };
    return { ok: true, data };
  });

  /** Sign in with a Parley account: returns a session token for the socket handshake. */
  app.post('/api/v1/sites/:site/sessions', async (request, reply) => {
    const site = await siteFor(store, request, reply, deps.demoOpen);
    const body = parseBody(loginSchema, request.body);
    await limitLogin(request, site.id, body.username);
    const session = await accounts.login(site.id, body.username, body.password);
    return reply.code(201).send({ ok: true, data: session });
  });

  /** Sign in with a host identity token (the same check the socket handshake makes). */
  app.post('/api/v1/sites/:site/sessions/identity', async (request, reply) => {
    const site = await siteFor(store, request, reply, deps.demoOpen);
    const body = parseBody(identityLoginSchema, request.body);
    await limitLogin(request, site.id, null);
    return reply.code(201).send({ ok: true, data: await accounts.loginWithIdentity(site, body.identity) });
  });

  /** Sign out: revokes the session named by the bearer token and closes its connections. */
  app.delete('/api/v1/sites/:site/sessions/current', async (request, reply) => {
    const site = await siteFor(store, request, reply, deps.demoOpen);
    const { user, sessionId } = await accounts.authenticate(site.id, bearer(request));
    await accounts.logout(sessionId);
    await endSessions(user.id, 'logout', { only: sessionId });
    return { ok: true, data: {} };
  });

  /** Sign up, where the site allows it. */
  app.post('/api/v1/sites/:site/users', async (request, reply) => {
    const site = await siteFor(store, request, reply, deps.demoOpen);
    const body = parseBody(registerSchema, request.body);
    if (!(await limits.registerPerAddress.take(request.ip))) throw tooMany('new accounts from your network');
    return reply.code(201).send({ ok: true, data: await accounts.register(site, body) });
  });

  /** Change password: ends every session of the user (closing their connections) and opens a new one. */
  app.post('/api/v1/sites/:site/password', async (request, reply) => {
    const site = await siteFor(store, request, reply, deps.demoOpen);
    const { user } = await accounts.authenticate(site.id, bearer(request));
    const body = parseBody(passwordChangeSchema, request.body);
    // A stolen session token must not become a way to guess the password behind it.
    if (!(await limits.loginPerAccount.take(`${site.id}\u0000${user.username}`))) throw tooMany('password attempts');
    const session = await accounts.changePassword(user, body.currentPassword, body.newPassword);
    await endSessions(user.id, 'password_changed', { except: sessionIdOf(session.token) });
    return reply.code(200).send({ ok: true, data: session });
  });

  await registerFileRoutes(app, {
    accounts,
    files: deps.files.service,
    signer: deps.files.signer,
    uploadsPerUser: deps.files.uploadsPerUser,
    logger: app.log,
    siteFor: (request, reply) => siteFor(store, request, reply, deps.demoOpen),
    bearer,
  });

  await registerEmailLinkPages(app, { store, accounts, confirmations: deps.confirmations, secret: deps.secret });

  // The demo pages and their scripts and styles only: not the folder's package.json or anything else.
  await app.register(fastifyStatic, {
    root: demoRoot,
    prefix: '/',
    index: ['index.html'],
    wildcard: true,
    // (The widget's files go through the same plugin with roots of their own: not limited here.)
    allowedPath: (path, root) => root !== demoRoot || path.endsWith('/') || DEMO_FILE.test(path),
  });
}
