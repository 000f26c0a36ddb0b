import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type RawServerDefault } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import { Server } from 'socket.io';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { seedDemo } from './demo-seed.js';
import { attachGateway, socketIoTransport } from './transports/socketio/index.js';
import { watchSessions } from './transports/socketio/session-watch.js';
import type { Lifecycle, ParleyServer } from './transports/socketio/types.js';
import { registerDemoRoutes } from './http/demo-routes.js';
import { frameworkError, registerRoutes } from './http/routes.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { registerApiDocs } from './http/api-docs.js';
import { ApiKeys } from './services/host-api/api-keys.js';
import { HostApi } from './services/host-api/host-api.js';
import { Accounts } from './services/accounts.js';
import nodemailer from 'nodemailer';
import { DigestMailer } from './services/digest-mailer.js';
import { EmailConfirmation } from './services/email-confirmation.js';
import { InboxWriter } from './services/inbox-writer.js';
import { ConnectionAuth } from './services/connection-auth.js';
import { ActionTokens } from './services/action-tokens.js';
import { Conversations } from './services/conversations.js';
import { FileUrlSigner } from './services/files/signed-urls.js';
import { FileService } from './services/files/files.js';
import { openFileStores } from './services/files/staging.js';
import { Messaging } from './services/messaging.js';
import { MessageChanges } from './services/message-changes.js';
import { Calls } from './services/calls/calls.js';
import { LocalCallRegistry } from './services/calls/call-registry.js';
import { IceService } from './services/calls/ice.js';
import { Fanout } from './services/fanout.js';
import { PresenceService } from './services/presence.js';
import { LocalPresenceRegistry } from './services/presence-registry.js';
import { LocalOnlineDirectory } from './services/online-directory.js';
import { RateLimiter, type Limiter } from './services/rate-limiter.js';
import { Relations } from './services/relations.js';
import { RoomService } from './services/rooms.js';
import { RosterService } from './services/roster.js';
import { ProfileProvider } from './services/profiles/profile-provider.js';
import { scheduleRetention } from './services/retention.js';
import { shutdownWindowMs, spreadDelayMs } from './services/shutdown-spread.js';
import { migrate } from './store/migrate.js';
import { PrismaStore } from './store/prisma-store.js';
import { SqliteCheckpointer } from './store/sqlite-checkpointer.js';
import type { Store } from './store/store.js';
import { ClusterError } from './cluster/redis.js';
import { Metrics } from './metrics.js';
import { joinCluster, type Cluster } from './cluster/cluster.js';
import { XmppGateway } from './transports/xmpp/index.js';
import { Webhooks } from './services/webhooks/webhooks.js';
import { WebhookDispatcher } from './services/webhooks/dispatcher.js';

export interface ParleyApp {
  http: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>;
  /** Every Fastify route (method and URL) as registered. */
  routes: readonly { method: string; url: string }[];
  io: ParleyServer;
  store: Store;
  logger: Logger;
  /** The digest e-mailer (its `scan()` runs one pass at once, for tests). */
  digests: DigestMailer;
  /** Cluster mode (REDIS_URL) only: this node's part in the cluster. */
  cluster: Cluster | null;
  /** What GET /metrics serves. */
  metrics: Metrics;
  /** Stored files and uploads (its `sweep(now)` runs one cleanup pass at once, for tests). */
  files: FileService;
  /** The XMPP gateway (XMPP_COMPONENT_DOMAIN set), or null. */
  xmpp: XmppGateway | null;
  /** Webhook endpoints and the events queued as they happen (docs/webhooks.md). */
  webhooks: Webhooks;
  /** Works the webhook outbox (its `pass()` runs one pass at once, for tests). */
  webhookDispatcher: WebhookDispatcher;
  /** Listens on config.port (0 = any free port) and resolves with the port taken. */
  listen(): Promise<number>;
  /**
   * Graceful shutdown: stops taking connections and requests, tells every client to reconnect
   * elsewhere (`server:shutdown`), writes what is queued and answers it, closes the connections at
   * the transport level (clients reconnect by themselves), then closes the database. Calling it
   * again returns the same promise.
   */
  close(): Promise<void>;
}

/** Connections waiting to be accepted before the kernel drops new ones (see listen()). */
const LISTEN_BACKLOG = 4096;

/** The Content-Security-Policy of the demo page: the widget needs only its script, its socket and https avatars. */
export const DEMO_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  // The widget styles itself with constructed stylesheets, which style-src does not govern.
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'https:', 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'self'"],
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface AppOptions {
  config: Config;
  /** A store to use instead of opening config.database (tests may share one). */
  store?: Store;
  logger?: Logger;
  /** The time edit windows are checked against (tests move it past a window); the system clock by default. */
  clock?: () => Date;
}

/**
 * Builds a complete Parley server from its dependencies: migrates the database, seeds the demo
 * site when asked, and wires HTTP and Socket.IO on one port. Nothing listens until `listen()`.
 */
export async function createApp({ config, ...given }: AppOptions): Promise<ParleyApp> {
  const logger = given.logger ?? createLogger(config.logLevel);
  if (config.redis && config.database.kind === 'sqlite') {
    // Nodes on several machines cannot share an SQLite file, and even on one machine its single
    // writer would serialise the whole cluster.
    throw new ClusterError('cluster mode (REDIS_URL) needs PostgreSQL: set DATABASE_URL to a postgres:// URL');
  }
  if (config.redis && config.files.storage !== 's3') {
    // Another node could not read a file stored on this one's disk, nor continue its uploads.
    throw new ClusterError('cluster mode (REDIS_URL) needs shared file storage: set FILE_STORAGE=s3 and S3_BUCKET');
  }
  let store = given.store;
  let checkpointer: SqliteCheckpointer | null = null;
  const metrics = new Metrics();
  if (!store) {
    const applied = await migrate(config.database);
    if (applied.length) logger.info({ applied }, 'applied database migrations');
    const own = await PrismaStore.open(config.database);
    await own.startHotPath(config.database, logger.child({ part: 'writer' }), config.searchIndexing);
    if (config.database.kind === 'sqlite' && config.database.url !== ':memory:') {
      checkpointer = await SqliteCheckpointer.start(
        config.database.url,
        (pages) => own.setWalAutocheckpoint(pages),
        logger.child({ part: 'checkpoints' }),
        (pages) => {
          metrics.checkpoints.inc();
          metrics.walPages.set(pages);
        },
      );
    }
    store = own;
  }
  if (config.demo) await seedDemo(store, logger);

  // Fastify logs every request at info; keep those for debug runs only.
  const httpLogger = logger.child({ part: 'http' }, { level: logger.isLevelEnabled('debug') ? logger.level : 'warn' });
  // Timeouts against clients that hold a request open by sending it slowly. Node checks them on
  // an interval: a quarter of the shorter one, so a request is cut within 1.25× its limit.
  const requestTimeout = Math.max(config.httpRequestTimeoutMs, config.httpHeadersTimeoutMs);
  const http = Fastify({
    loggerInstance: httpLogger,
    bodyLimit: 64 * 1024,
    requestTimeout,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs,
    http: {
      headersTimeout: config.httpHeadersTimeoutMs,
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(5000, Math.floor(Math.min(requestTimeout, config.httpHeadersTimeoutMs) / 4)),
      ),
    },
    // Per-address limits count the client, which is the proxy's X-Forwarded-For only when trusted.
    frameworkErrors: frameworkError,
    trustProxy: config.trustProxyHops > 0 ? (_address: string, hop: number) => hop < config.trustProxyHops : false,
  });
  // Every route as registered, for the test that the OpenAPI document describes each server API route.
  const routes: { method: string; url: string }[] = [];
  http.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  await http.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: DEMO_CSP },
    // parley.js is loaded by other sites' pages: it must be fetchable cross-origin (the API has CORS).
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  const cluster = config.redis
    ? await joinCluster({
        url: config.redis.url,
        prefix: config.redis.prefix,
        presenceGraceMs: config.presenceGraceMs,
        presenceExpiryMs: config.presenceExpiryMs,
        logger,
      })
    : null;
  const io: ParleyServer = new Server(http.server, {
    ...(cluster ? { adapter: cluster.adapter } : {}),
    // One node: WebSocket first, long-polling for networks that block WebSockets. Cluster mode
    // defaults to WebSocket only, which needs no sticky sessions (docs/deployment.md).
    transports: config.transports,
    maxHttpBufferSize: 64 * 1024,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    // Origins are checked per site in the handshake middleware, where the site is known.
    cors: { origin: true, credentials: false },
    serveClient: false,
  });

  // The core's delivery to connected users; Socket.IO is its one transport today.
  const notify = new Fanout();
  notify.subscribe(socketIoTransport(io, { local: cluster === null }));
  const accounts = new Accounts(store, config.sessionTtlMs);
  const relations = new Relations(store);
  if (cluster) await cluster.syncRelations(relations);
  const registry = cluster ? cluster.presence : new LocalPresenceRegistry(config.presenceGraceMs);
  // Webhooks: presence and room events are queued as they happen; messages are scanned for later.
  const webhooks = new Webhooks(store, config.webhooks, logger.child({ part: 'webhooks' }), given.clock);
  const webhookDispatcher = new WebhookDispatcher(
    store,
    webhooks,
    config.webhooks,
    logger.child({ part: 'webhooks' }),
    given.clock,
  );
  const presence = new PresenceService(
    registry,
    store,
    relations,
    notify,
    logger,
    cluster ? cluster.onlineDirectory : new LocalOnlineDirectory(),
    webhooks.presence,
  );
  const writer = new InboxWriter(store, logger, metrics);
  const messaging = new Messaging(store, notify);
  const roster = new RosterService(store, relations, presence, notify);
  // Sites' profile providers: names and avatars of host users fetched in the background.
  const profiles = new ProfileProvider({
    store,
    announcer: roster,
    config: config.profiles,
    logger: logger.child({ part: 'profiles' }),
  });
  const fileUrls = new FileUrlSigner(config.secret, config.files.urlTtlMs);
  const conversations = new Conversations(store, writer, messaging, relations, notify, fileUrls);
  const messageChanges = new MessageChanges(store, conversations, messaging, given.clock);
  const fileStores = openFileStores(config.files);
  const files = new FileService({
    store,
    ...fileStores,
    conversations,
    config: config.files,
    logger: logger.child({ part: 'files' }),
  });
  const rooms = new RoomService(
    store,
    relations,
    presence,
    notify,
    logger.child({ part: 'rooms' }),
    config.roomCaps,
    webhooks.rooms,
  );
  // Token buckets: in this process on one node, in Redis (shared by every node) in cluster mode.
  const limiter = (name: string, rate: number, burst: number): Limiter =>
    cluster ? cluster.limiter(name, rate, burst) : new RateLimiter(rate, burst);
  const rate = config.messageRatePerSecond;
  // Sign-ins per address: one bucket for the HTTP routes and identity handshakes on the socket.
  const loginPerAddress = limiter(
    'loginPerAddress',
    config.loginPerAddressPerMinute / 60,
    config.loginPerAddressPerMinute,
  );
  const limits = {
    message: limiter('message', rate, rate * 2),
    typing: limiter('typing', 5, 10),
    actions: limiter('actions', config.actionRatePerSecond, config.actionRatePerSecond * 2),
    buddyRequests: limiter('buddyRequests', config.buddyRequestsPerMinute / 60, config.buddyRequestsPerMinute),
    // A search reads more than any other request (a scan of the conversation for short queries).
    search: limiter('search', config.searchPerMinute / 60, config.searchPerMinute),
    calls: limiter('calls', config.callsPerMinute / 60, config.callsPerMinute),
    // An offer or answer and a burst of ICE candidates per call; a few calls' worth at once.
    signals: limiter('callSignals', Math.max(50, rate), Math.max(200, rate * 2)),
  };
  // Calls in progress: in memory on one node, in Redis (seen by every node) in cluster mode. A
  // ringing call outlives its ring time by a margin in Redis, in case the node timing it dies.
  const calls = new Calls({
    store,
    relations,
    registry: cluster ? cluster.callRegistry(config.callRingMs + 15_000) : new LocalCallRegistry(),
    notify,
    writer,
    messaging,
    ice: new IceService(config.ice),
    logger: logger.child({ part: 'calls' }),
    ringMs: config.callRingMs,
  });
  const lifecycle: Lifecycle = { closing: false, inFlight: 0 };
  // The second transport: XMPP users reach the site's users through a Prosody component.
  const xmpp = config.xmpp
    ? new XmppGateway({
        config: config.xmpp,
        store,
        conversations,
        messageChanges,
        roster,
        presence,
        relations,
        limits,
        logger: logger.child({ part: 'xmpp' }),
      })
    : null;
  if (xmpp) notify.subscribe(xmpp);

  if (config.demo) {
    registerDemoRoutes(http, store, config.demoOpen);
    logger.warn(
      { open: config.demoOpen },
      config.demoOpen
        ? 'the demo site is on and open to every address (PARLEY_DEMO=1): its passwords are public'
        : 'the demo site is on for clients on this machine only; set PARLEY_DEMO=0 to turn it off',
    );
  }
  const digests = new DigestMailer(
    store,
    {
      smtpUrl: config.smtpUrl,
      mailFrom: config.mailFrom,
      delayMs: config.digestDelayMs,
      checkMs: config.digestCheckMs,
      publicUrl: config.publicUrl,
      secret: config.secret,
    },
    logger.child({ part: 'digests' }),
  );

  const confirmations = new EmailConfirmation(
    store,
    config.smtpUrl ? nodemailer.createTransport(config.smtpUrl) : null,
    {
      publicUrl: config.publicUrl,
      secret: config.secret,
      mailFrom: config.mailFrom,
      ttlMs: config.emailConfirmTtlMs,
    },
    {
      perUser: limiter('confirmMailUser', config.confirmMailsPerUserPerHour / 3600, config.confirmMailsPerUserPerHour),
      perAddress: limiter(
        'confirmMailAddress',
        config.confirmMailsPerAddressPerDay / 86_400,
        config.confirmMailsPerAddressPerDay,
      ),
    },
    logger.child({ part: 'email-confirmation' }),
  );

  await registerRoutes(http, {
    store,
    accounts,
    confirmations,
    secret: config.secret,
    endSessions: (userId, reason, match) => notify.endSessions(userId, reason, match),
    limits: {
      loginPerAccount: limiter(
        'loginPerAccount',
        config.loginPerAccountPerMinute / 60,
        config.loginPerAccountPerMinute,
      ),
      loginPerAddress,
      registerPerAddress: limiter(
        'registerPerAddress',
        config.registerPerAddressPerHour / 3600,
        config.registerPerAddressPerHour,
      ),
    },
    lifecycle,
    cluster,
    metrics,
    metricsToken: config.metricsToken,
    demoOpen: config.demoOpen,
    files: { service: files, signer: fileUrls, uploadsPerUser: limits.actions },
  });
  // The server API for host sites' servers (docs/api.md), on the same services as the socket.
  registerAdminRoutes(http, {
    store,
    apiKeys: new ApiKeys(store),
    host: new HostApi({
      store,
      accounts,
      rooms,
      conversations,
      roster,
      presence,
      profiles,
      endSessions: (userId, reason, match) => notify.endSessions(userId, reason, match),
      logger: logger.child({ part: 'host-api' }),
    }),
    perKey: limiter('apiKey', config.apiKeyRatePerSecond, config.apiKeyRatePerSecond * 2),
    webhooks,
  });
  registerApiDocs(http);
  attachGateway(io, {
    store,
    accounts,
    confirmations,
    messaging,
    conversations,
    messageChanges,
    roster,
    rooms,
    presence,
    notify,
    calls,
    profiles,
    // Signed actions: used `jti`s in the database on one node, in Redis (every node sees them) in cluster mode.
    actionTokens: new ActionTokens(
      cluster ? cluster.usedActionTokens : { claim: (...a) => store.claimActionToken(...a) },
      given.clock,
    ),
    limits,
    logger,
    lifecycle,
    admission: new ConnectionAuth(store, accounts, relations, {
      // Identity sign-ins take from the same bucket per address as the HTTP sign-in routes.
      signInAllowed: async (address) => loginPerAddress.take(address),
      // Counted by the presence registry: on every node in cluster mode. Two handshakes at the
      // same moment may both pass at the limit; it bounds hoarding, not an exact number.
      tooManyConnections: async (userId) => (await presence.connectionCount(userId)) >= config.maxConnectionsPerUser,
      demoOpen: config.demoOpen,
    }),
    trustProxyHops: config.trustProxyHops,
    metrics,
  });

  const stopRetention = scheduleRetention(store, logger);
  const stopFileSweep = files.schedule(config.files.cleanupEveryMs);
  const stopSessionWatch = watchSessions(io, store, logger.child({ part: 'sessions' }), {
    everyMs: config.sessionCheckMs,
  });
  const ownStore = !given.store;
  const db = store;
  let closed: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    lifecycle.closing = true;
    calls.close();
    profiles.close();
    const stopXmpp = xmpp?.stop(); // stanzas already taken are written with the rest below
    stopRetention();
    stopFileSweep();
    stopSessionWatch();
    const stopDigests = digests.stop(); // a digest being sent finishes before the database closes
    const stopWebhooks = webhookDispatcher.stop(); // attempts under way finish (or time out) first
    const started = performance.now();
    // 1. No new connections: the listening socket closes (a load balancer moves on to other nodes),
    //    and handshakes or requests still arriving on open keep-alive connections are refused.
    http.server.close();
    // 2. Tell every client to reconnect elsewhere. From now on new events answer `unavailable`
    //    (the widget keeps such messages pending and resends them after reconnecting).
    //    Only this node's clients (`io.of('/').sockets`): in cluster mode `io.emit` would reach every node's.
    //    Each client gets its own delay in a window sized to how many there are (shutdown-spread.ts).
    const local = [...io.of('/').sockets.values()];
    const reconnectWithinMs = shutdownWindowMs(local.length);
    for (const [i, socket] of local.entries()) {
      socket.emit('server:shutdown', {
        reconnectWithinMs,
        reconnectAfterMs: spreadDelayMs(i, local.length, reconnectWithinMs),
      });
    }
    // 3. Flush: every event already being handled is answered, everything queued is written, and
    //    the acknowledgements are on their way out of Engine.IO's buffers.
    const deadline = started + config.shutdownTimeoutMs / 2;
    while (lifecycle.inFlight > 0 && performance.now() < deadline) await sleep(10);
    if (lifecycle.inFlight > 0) logger.warn({ inFlight: lifecycle.inFlight }, 'shutdown: events still unanswered');
    await stopXmpp;
    await writer.drain();
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(
      [...io.of('/').sockets.values()].map(({ conn }) =>
        // writeBuffer is Engine.IO's outgoing queue (typed private); 'drain' fires when it empties.
        (conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length === 0
          ? undefined
          : new Promise<void>((resolve) => {
              conn.once('drain', resolve);
              setTimeout(resolve, 1000).unref();
            }),
      ),
    );
    // 4. Close connections at the transport level, not with a Socket.IO disconnect: clients see
    //    "transport close" and reconnect by themselves. Engine.IO sends what is buffered first.
    //    io.close() also closes the HTTP server, which waits for every HTTP connection: one that was
    //    busy when the listening socket closed and idle since would hold it for its keep-alive
    //    timeout (72 s). Idle ones go now; whatever is left, after a second (all is answered).
    http.server.closeIdleConnections();
    const lingering = setTimeout(() => http.server.closeAllConnections(), 1000);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    clearTimeout(lingering);
    await presence.close();
    await http.close();
    await stopDigests;
    await stopWebhooks;
    await webhooks.settled(); // presence and room events of the shutdown itself reach the outbox
    confirmations.close();
    await cluster?.close();
    await checkpointer?.stop();
    if (ownStore) await db.close();
    logger.info({ ms: Math.round(performance.now() - started) }, 'shut down');
  }

  return {
    http,
    routes,
    io,
    store,
    logger,
    digests,
    cluster,
    metrics,
    files,
    xmpp,
    webhooks,
    webhookDispatcher,
    async listen() {
      // A long accept queue: after a restart every client comes back within seconds, and a short one
      // (Node's default is 511) drops their SYNs, which the kernel retries only after 1, 3, 7 s.
      // Linux caps it at net.core.somaxconn.
      await http.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
      const address = http.server.address();
      digests.start();
      webhookDispatcher.start();
      xmpp?.start();
      return typeof address === 'object' && address ? address.port : config.port;
    },
    close() {
      closed ??= shutdown();
      return closed;
    },
  };
}
