import { resolve } from 'node:path';
import { parseDatabaseUrl, type DatabaseTarget } from './store/database-url.js';
import { repoRoot } from './paths.js';
import type { RoomCaps } from './services/rooms.js';
import type { FilesConfig, S3Config } from './services/files/files-config.js';
import type { IceSettings } from './services/calls/ice.js';
export type { FilesConfig, S3Config } from './services/files/files-config.js';
import { withoutTrailing } from './text.js';
import type { XmppConfig } from './transports/xmpp/xmpp-config.js';
export type { XmppConfig } from './transports/xmpp/xmpp-config.js';
import { PROFILE_PROVIDER_DEFAULTS, type ProfileProviderConfig } from './services/profiles/profile-config.js';
import type { WebhookConfig } from './services/webhooks/webhook-config.js';
export type { WebhookConfig } from './services/webhooks/webhook-config.js';

/** Server settings, read once from the environment. Each is documented in docs/configuration.md. */
export interface Config {
  /** PORT: where HTTP and Socket.IO listen. 0 picks a free port (tests). Default 3000. */
  port: number;
  /** HOST: interface to bind. Default all interfaces. */
  host: string;
  /** DATABASE_URL: SQLite file (default file:./data/parley.db) or a postgres:// URL. */
  database: DatabaseTarget;
  /** PRESENCE_GRACE_MS: how long a user with no open connection still shows online. Default 5000. */
  presenceGraceMs: number;
  /** SESSION_TTL_HOURS: lifetime of a sign-in. Default 720 (30 days). */
  sessionTtlMs: number;
  /**
   * PARLEY_DEMO: "0" skips creating the demo site and users. Default on, answering only clients on
   * this machine (loopback); "1" turns it on for clients anywhere (a public demo server).
   */
  demo: boolean;
  /** PARLEY_DEMO=1: the demo site answers clients from any address, not only loopback. */
  demoOpen: boolean;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). Default info. */
  logLevel: string;
  /** MESSAGE_RATE: messages a user may send per second, sustained (burst is twice). Default 20. */
  messageRatePerSecond: number;
  /** ACTION_RATE: other requests (roster, search, history, sync…) per second and user; burst twice. Default 20. */
  actionRatePerSecond: number;
  /** API_KEY_RATE: server API requests per second and API key (docs/api.md); burst twice. Default 20. */
  apiKeyRatePerSecond: number;
  /** LOGIN_RATE_ACCOUNT: sign-in attempts per minute for one username of a site (burst the same). Default 10. */
  loginPerAccountPerMinute: number;
  /** LOGIN_RATE_ADDRESS: sign-in attempts (password and identity) per minute from one address. Default 30. */
  loginPerAddressPerMinute: number;
  /** REGISTER_RATE: accounts one address may create per hour. Default 10. */
  registerPerAddressPerHour: number;
  /** SEARCH_RATE: message:search requests per minute and user (burst the same). Default 60. */
  searchPerMinute: number;
  /**
   * SQLite: when the writer thread indexes new messages for search (docs/architecture.md, "Message
   * search"). SEARCH_INDEX_MS: at least this often (default 250; 0: never by itself, for tests);
   * SEARCH_INDEX_BATCH: messages per pass, and new messages that start one early (default 500).
   */
  searchIndexing: { everyMs: number; batch: number };
  /** BUDDY_REQUEST_RATE: buddy requests per minute and user (burst the same). Default 30. */
  buddyRequestsPerMinute: number;
  /** MAX_CONNECTIONS_PER_USER: open sockets one user may hold on this node. Default 20. */
  maxConnectionsPerUser: number;
  /**
   * Caps on rooms, so that no user's room:list (nor a victim's) grows without bound:
   * ROOMS_OWNED_MAX (default 50), ROOMS_HELD_MAX (200), ROOM_INVITES_PENDING_MAX (50),
   * ROOM_INVITES_SENT_MAX (100). See RoomCaps.
   */
  roomCaps: RoomCaps;
  /**
   * TRUST_PROXY: how many reverse proxies in front of Parley to trust for X-Forwarded-For (the
   * client address that per-address limits count). Default 0: the TCP peer is the client.
   */
  trustProxyHops: number;
  /**
   * HTTP_REQUEST_TIMEOUT_MS: a request whose headers and body have not all arrived this long after
   * it began is answered 408 and its connection closed (slow-body attacks). Default 30000.
   */
  httpRequestTimeoutMs: number;
  /** HTTP_HEADERS_TIMEOUT_MS: the same for the request's headers alone. Default 10000. */
  httpHeadersTimeoutMs: number;
  /** HTTP_KEEP_ALIVE_TIMEOUT_MS: how long an idle kept-alive connection stays open. Default 72000. */
  httpKeepAliveTimeoutMs: number;
  /**
   * SESSION_CHECK_SECONDS: how often open connections are checked against their session's expiry
   * and their site's current settings and origins. Default 5.
   */
  sessionCheckMs: number;
  /** SHUTDOWN_TIMEOUT_MS: how long SIGTERM may take to hand clients off and flush writes. Default 10000. */
  shutdownTimeoutMs: number;
  /** SMTP_URL: where digest e-mails are sent (smtp:// or smtps://, with credentials). Unset: no e-mail. */
  smtpUrl: string | null;
  /** MAIL_FROM: the From of digest e-mails. Default "Parley <parley@localhost>". */
  mailFrom: string;
  /** DIGEST_DELAY_MINUTES: how long a message waits unread before a digest tells of it. Default 30. */
  digestDelayMs: number;
  /** DIGEST_CHECK_SECONDS: how often waiting messages are looked for. Default 60. */
  digestCheckMs: number;
  /** EMAIL_CONFIRM_TTL_HOURS: how long the link of a confirmation e-mail works. Default 48. */
  emailConfirmTtlMs: number;
  /** CONFIRM_RATE_USER: confirmation e-mails one user may cause per hour (burst the same). Default 5. */
  confirmMailsPerUserPerHour: number;
  /** CONFIRM_RATE_ADDRESS: confirmation e-mails one address may receive per day (burst the same). Default 3. */
  confirmMailsPerAddressPerDay: number;
  /** PUBLIC_URL: this server's address as users reach it, for unsubscribe and confirmation links. Default http://localhost:PORT. */
  publicUrl: string;
  /** PARLEY_SECRET: key that signs unsubscribe and e-mail confirmation links. Unset: each site's own secret. */
  secret: string | null;
  /** METRICS_TOKEN: bearer token a scraper must send to GET /metrics. Unset: /metrics is off. */
  metricsToken: string | null;
  /** Pictures, files and voice messages: where they are stored and what each user may upload. */
  files: FilesConfig;
  /**
   * REDIS_URL (+ REDIS_PREFIX, default "parley:"): cluster mode. Socket.IO fan-out between nodes,
   * presence and rate limits go through this Redis. Unset: one node, all of it in memory.
   */
  redis: { url: string; prefix: string } | null;
  /**
   * PRESENCE_EXPIRY_MS (cluster mode): a node that has not renewed its heartbeat for this long is
   * taken for dead and its users go offline. Heartbeats every third of it. Default 15000.
   */
  presenceExpiryMs: number;
  /**
   * TRANSPORTS: Socket.IO transports the server accepts, comma-separated. Default
   * "websocket,polling" on one node, "websocket" in cluster mode (polling needs sticky sessions).
   */
  transports: Transport[];
  /**
   * Calls: STUN_URLS and TURN_URLS (comma-separated), TURN_SECRET (coturn's static-auth-secret,
   * required with TURN_URLS), TURN_TTL_SECONDS (default 3600). No STUN or TURN by default: on a LAN
   * host candidates suffice. See docs/turn.md.
   */
  ice: IceSettings;
  /** CALL_RING_SECONDS: how long a call rings before it is missed. Default 45. */
  callRingMs: number;
  /** CALL_RATE: calls (and direct transfers) a user may start per minute (burst the same). Default 20. */
  callsPerMinute: number;
  /**
   * The XMPP gateway (docs/xmpp.md): XMPP_COMPONENT_DOMAIN (the component's domain, e.g.
   * parley.example; unset: no gateway), XMPP_COMPONENT_SECRET (its component_secret in Prosody),
   * XMPP_COMPONENT_HOST (default 127.0.0.1), XMPP_COMPONENT_PORT (default 5347), and
   * XMPP_SERVER_DOMAIN (a host Prosody serves itself, pinged to learn that it has taken what the
   * component sent; default the component domain without its first label).
   */
  xmpp: XmppConfig | null;
  /**
   * Sites' profile providers (docs/api.md#profile-provider): PROFILE_TIMEOUT_MS, how long Parley
   * waits for a provider's answer (default 3000); PROFILE_CACHE_HOURS, how long a fetched profile
   * is kept before the provider is asked again (default 24).
   */
  profiles: ProfileProviderConfig;
  /** Webhooks (docs/webhooks.md): WEBHOOK_* settings, each documented in WebhookConfig. */
  webhooks: WebhookConfig;
}

export type Transport = 'websocket' | 'polling';

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

/** An integer of at least 1 (a timeout or cap of 0 would turn the protection off). */
function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = int(env, name, fallback);
  if (value < 1) throw new Error(`${name} must be at least 1, got "${value}"`);
  return value;
}

function transports(raw: string | undefined, cluster: boolean): Transport[] {
  if (raw === undefined || raw.trim() === '') return cluster ? ['websocket'] : ['websocket', 'polling'];
  const list = raw.split(',').map((t) => t.trim());
  const bad = list.filter((t) => t !== 'websocket' && t !== 'polling');
  if (bad.length > 0 || list.length === 0) {
    throw new Error(`TRANSPORTS must list "websocket" and/or "polling", got "${raw}"`);
  }
  return [...new Set(list as Transport[])];
}

function redis(env: NodeJS.ProcessEnv): Config['redis'] {
  const url = env.REDIS_URL?.trim();
  if (!url) return null;
  if (!/^rediss?:\/\//i.test(url)) throw new Error(`REDIS_URL must start with redis:// or rediss://, got "${url}"`);
  const prefix = env.REDIS_PREFIX ?? 'parley:';
  if (!/^[\w.:-]{0,64}$/.test(prefix)) {
    throw new Error(`REDIS_PREFIX may hold only letters, digits, "_", ".", ":" and "-" (64 at most)`);
  }
  return { url, prefix };
}

export function loadConfig(env: NodeJS.ProcessEnv, overrides: Partial<Config> = {}): Config {
  const port = int(env, 'PORT', 3000);
  const cluster = redis(env);
  const presenceExpiryMs = int(env, 'PRESENCE_EXPIRY_MS', 15_000);
  if (presenceExpiryMs < 1000) throw new Error('PRESENCE_EXPIRY_MS must be at least 1000');
  return {
    port,
    host: env.HOST || '0.0.0.0',
    database: parseDatabaseUrl(env.DATABASE_URL || 'file:./data/parley.db', repoRoot),
    presenceGraceMs: int(env, 'PRESENCE_GRACE_MS', 5000),
    sessionTtlMs: int(env, 'SESSION_TTL_HOURS', 720) * 3_600_000,
    demo: env.PARLEY_DEMO !== '0',
    demoOpen: env.PARLEY_DEMO === '1',
    logLevel: env.LOG_LEVEL || 'info',
    messageRatePerSecond: int(env, 'MESSAGE_RATE', 20),
    actionRatePerSecond: int(env, 'ACTION_RATE', 20),
    apiKeyRatePerSecond: int(env, 'API_KEY_RATE', 20),
    loginPerAccountPerMinute: int(env, 'LOGIN_RATE_ACCOUNT', 10),
    loginPerAddressPerMinute: int(env, 'LOGIN_RATE_ADDRESS', 30),
    registerPerAddressPerHour: int(env, 'REGISTER_RATE', 10),
    searchPerMinute: int(env, 'SEARCH_RATE', 60),
    searchIndexing: { everyMs: int(env, 'SEARCH_INDEX_MS', 250), batch: positive(env, 'SEARCH_INDEX_BATCH', 500) },
    buddyRequestsPerMinute: int(env, 'BUDDY_REQUEST_RATE', 30),
    maxConnectionsPerUser: int(env, 'MAX_CONNECTIONS_PER_USER', 20),
    roomCaps: {
      owned: positive(env, 'ROOMS_OWNED_MAX', 50),
      held: positive(env, 'ROOMS_HELD_MAX', 200),
      invitesPending: positive(env, 'ROOM_INVITES_PENDING_MAX', 50),
      invitesSent: positive(env, 'ROOM_INVITES_SENT_MAX', 100),
    },
    trustProxyHops: int(env, 'TRUST_PROXY', 0),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000),
    sessionCheckMs: positive(env, 'SESSION_CHECK_SECONDS', 5) * 1000,
    httpRequestTimeoutMs: positive(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000),
    httpHeadersTimeoutMs: positive(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000),
    httpKeepAliveTimeoutMs: positive(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000),
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM || 'Parley <parley@localhost>',
    digestDelayMs: int(env, 'DIGEST_DELAY_MINUTES', 30) * 60_000,
    digestCheckMs: Math.max(1, int(env, 'DIGEST_CHECK_SECONDS', 60)) * 1000,
    emailConfirmTtlMs: Math.max(1, int(env, 'EMAIL_CONFIRM_TTL_HOURS', 48)) * 3_600_000,
    confirmMailsPerUserPerHour: int(env, 'CONFIRM_RATE_USER', 5),
    confirmMailsPerAddressPerDay: int(env, 'CONFIRM_RATE_ADDRESS', 3),
    publicUrl: withoutTrailing(env.PUBLIC_URL || `http://localhost:${port}`, '/'),
    secret: env.PARLEY_SECRET || null,
    metricsToken: env.METRICS_TOKEN || null,
    files: filesConfig(env, cluster !== null),
    redis: cluster,
    presenceExpiryMs,
    transports: transports(env.TRANSPORTS, cluster !== null),
    ice: iceSettings(env),
    callRingMs: positive(env, 'CALL_RING_SECONDS', 45) * 1000,
    callsPerMinute: positive(env, 'CALL_RATE', 20),
    xmpp: xmppConfig(env),
    profiles: {
      ...PROFILE_PROVIDER_DEFAULTS,
      timeoutMs: positive(env, 'PROFILE_TIMEOUT_MS', PROFILE_PROVIDER_DEFAULTS.timeoutMs),
      cacheMs: positive(env, 'PROFILE_CACHE_HOURS', 24) * 3_600_000,
    },
    webhooks: webhookConfig(env),
    ...overrides,
  };
}

function webhookConfig(env: NodeJS.ProcessEnv): WebhookConfig {
  return {
    allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === '1',
    checkMs: positive(env, 'WEBHOOK_CHECK_MS', 1000),
    settleMs: int(env, 'WEBHOOK_SETTLE_MS', 5000),
    timeoutMs: positive(env, 'WEBHOOK_TIMEOUT_MS', 10_000),
    retryBaseMs: positive(env, 'WEBHOOK_RETRY_BASE_MS', 30_000),
    retryMaxMs: positive(env, 'WEBHOOK_RETRY_MAX_MS', 3_600_000),
    retryForMs: positive(env, 'WEBHOOK_RETRY_HOURS', 24) * 3_600_000,
    unreadLookbackMs: int(env, 'WEBHOOK_UNREAD_LOOKBACK_MINUTES', 60) * 60_000,
    keepMs: positive(env, 'WEBHOOK_KEEP_DAYS', 7) * 86_400_000,
  };
}

const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function xmppConfig(env: NodeJS.ProcessEnv): XmppConfig | null {
  const domain = env.XMPP_COMPONENT_DOMAIN?.trim().toLowerCase();
  if (!domain) return null;
  if (!DOMAIN.test(domain)) throw new Error(`XMPP_COMPONENT_DOMAIN must be a domain name, got "${domain}"`);
  const secret = env.XMPP_COMPONENT_SECRET;
  if (!secret) throw new Error('XMPP_COMPONENT_DOMAIN needs XMPP_COMPONENT_SECRET (the component_secret in Prosody)');
  const port = positive(env, 'XMPP_COMPONENT_PORT', 5347);
  if (port > 65_535) throw new Error('XMPP_COMPONENT_PORT must be a port number');
  const serverDomain = env.XMPP_SERVER_DOMAIN?.trim().toLowerCase();
  if (serverDomain !== undefined && serverDomain !== '' && !DOMAIN.test(serverDomain)) {
    throw new Error(`XMPP_SERVER_DOMAIN must be a domain name, got "${serverDomain}"`);
  }
  return {
    host: env.XMPP_COMPONENT_HOST?.trim() || '127.0.0.1',
    port,
    domain,
    secret,
    ...(serverDomain ? { serverDomain } : {}),
  };
}

function urlList(env: NodeJS.ProcessEnv, name: string, schemes: RegExp): string[] {
  const list = (env[name] ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const bad = list.find((u) => !schemes.test(u) || u.length > 512);
  if (bad !== undefined) throw new Error(`${name} must list URLs starting with ${schemes.source}, got "${bad}"`);
  return list;
}

function iceSettings(env: NodeJS.ProcessEnv): IceSettings {
  const turnUrls = urlList(env, 'TURN_URLS', /^turns?:/);
  const turnSecret = env.TURN_SECRET || null;
  if (turnUrls.length > 0 && !turnSecret) throw new Error('TURN_URLS needs TURN_SECRET (coturn static-auth-secret)');
  return {
    stunUrls: urlList(env, 'STUN_URLS', /^stuns?:/),
    turnUrls,
    turnSecret,
    turnTtlSeconds: positive(env, 'TURN_TTL_SECONDS', 3600),
  };
}

function filesConfig(env: NodeJS.ProcessEnv, cluster: boolean): FilesConfig {
  const storage = env.FILE_STORAGE || 'local';
  if (storage !== 'local' && storage !== 's3') throw new Error('FILE_STORAGE must be "local" or "s3"');
  if (storage === 'local' && cluster)
    throw new Error(
      "Cluster mode (REDIS_URL) needs shared file storage: set FILE_STORAGE=s3 and S3_BUCKET (local disk is one node's only)",
    );
  let s3: S3Config | null = null;
  if (storage === 's3') {
    if (!env.S3_BUCKET) throw new Error('FILE_STORAGE=s3 needs S3_BUCKET');
    s3 = {
      endpoint: env.S3_ENDPOINT || null,
      region: env.S3_REGION || 'us-east-1',
      bucket: env.S3_BUCKET,
      accessKeyId: env.S3_ACCESS_KEY_ID || null,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY || null,
      forcePathStyle: env.S3_FORCE_PATH_STYLE === '1',
      prefix: env.S3_PREFIX ?? 'parley/',
    };
  }
  return {
    storage,
    localDir: resolve(repoRoot, env.FILE_DIR || 'data/files'),
    s3,
    urlTtlMs: positive(env, 'FILE_URL_TTL_MINUTES', 15) * 60_000,
    dailyQuotaBytes: positive(env, 'FILE_QUOTA_MB_PER_DAY', 100) * 1024 * 1024,
    orphanGraceMs: positive(env, 'FILE_ORPHAN_HOURS', 24) * 3_600_000,
    cleanupEveryMs: positive(env, 'FILE_CLEANUP_MINUTES', 15) * 60_000,
  };
}
