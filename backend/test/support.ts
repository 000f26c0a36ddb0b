/**
 * Helpers for integration tests: a real Parley server on a random port with its own SQLite file,
 * real socket.io-client connections, and polling waits. Nothing here is mocked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { createApp, type ParleyApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { repoRoot } from '../src/paths.js';
import {
  PROTOCOL_VERSION,
  type ClientEventName,
  type ClientToServerEvents,
  type ConversationKey,
  type ErrorBody,
  type InboxEntry,
  type LoginResponse,
  type MessageContent,
  type PresenceChanged,
  type Receipt,
  type RoomInfo,
  type RoomRemoved,
  type RoomSeen,
  type RosterChanged,
  type SessionEnded,
  type TypingChanged,
  type ReplyData,
  type Result,
  type ServerToClientEvents,
  type SessionReady,
} from '../src/protocol/index.js';
import { hashPassword } from '../src/services/accounts.js';
import type { SiteRecord, Store, UserRecord } from '../src/store/store.js';
import { parseDatabaseUrl } from '../src/store/database-url.js';
import {
  createSqliteDatabase,
  createTestDatabase,
  dropRedisPrefix,
  TEST_REDIS_URL,
  testRedisPrefix,
  useRedis,
  type TestDatabase,
} from './services.js';
import { startS3 } from './s3.js';

export interface TestServer {
  app: ParleyApp;
  url: string;
  database: TestDatabase;
  /** Stops the server; `keepData` leaves the database (and Redis keys) for a restart. */
  close(keepData?: boolean): Promise<void>;
}

export interface ServerOptions {
  database?: TestDatabase;
  config?: Partial<Config>;
  /** Sites to create beside the seeded `demo`; unset fields get test defaults (origins localhost). */
  sites?: (Partial<SiteRecord> & { id: string })[];
}

/** A test file's server: started before its tests, stopped after them with every client it connected. */
export interface FileServer extends TestServer {
  /**
   * Signs `username` in and connects a client that closes with the file. The password defaults to
   * `<name>-pass`, as {@link addUser} sets it; pass {@link demoPassword} for the seeded demo users.
   */
  connect(username: string, options?: { site?: string; password?: string }): Promise<SignedIn>;
  /** Closes `client` with the file. */
  track<T extends TestClient>(client: T): T;
  idOf(username: string, site?: string): Promise<string>;
  /** Adds a user (see {@link addUser}) and a way to connect as them. */
  user(username: string, options?: { buddies?: string[]; site?: string }): Promise<NewTestUser>;
  /** Two fresh mutual buddies, each with one tab connected: `[a, b, aTab, bTab]`. */
  buddies(a: string, b: string): Promise<[NewTestUser, NewTestUser, SignedIn, SignedIn]>;
  /** Two fresh mutual buddies, so tests do not disturb each other's conversations. */
  pair(
    a: string,
    b: string,
  ): Promise<{ connect: (username: string) => Promise<SignedIn>; ids: Record<string, string> }>;
}

/** A client with the session token it connected with. */
export type SignedIn = TestClient & { token: string };
export interface NewTestUser {
  id: string;
  connect(): Promise<SignedIn>;
}

/**
 * Registers `beforeAll`/`afterAll` that start one server for the calling test file and stop it; the
 * returned object reads through to that server once started.
 *
 * @example
 * const server = useServer({ sites: [{ id: 'open', settings: { strangersMayMessage: true } }] });
 * it('…', async () => { const alice = await server.connect('alice', { password: demoPassword('alice') }); });
 */
export function useServer(options: ServerOptions = {}): FileServer {
  let started: TestServer | undefined;
  const clients: TestClient[] = [];
  const current = () => {
    if (!started) throw new Error('the test server is not started (use it inside a test or hook)');
    return started;
  };
  beforeAll(async () => {
    started = await startServer(options);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await started?.close();
  });
  const handle: FileServer = {
    get app() {
      return current().app;
    },
    get url() {
      return current().url;
    },
    get database() {
      return current().database;
    },
    close: (keepData) => current().close(keepData),
    track(client) {
      clients.push(client);
      return client;
    },
    async connect(username, { site = 'demo', password = `${username}-pass` } = {}) {
      const { token } = await login(handle.url, username, password, site);
      return Object.assign(handle.track(await TestClient.connect(handle.url, token, { site })), { token });
    },
    async user(username, { buddies, site } = {}) {
      const record = await addUser(current(), username, { buddies, site });
      return { id: record.id, connect: () => handle.connect(username, { site }) };
    },
    async buddies(a, b) {
      const first = await handle.user(a);
      const second = await handle.user(b, { buddies: [a] });
      return [first, second, await first.connect(), await second.connect()];
    },
    async pair(a, b) {
      const ids = { [a]: (await handle.user(a)).id, [b]: (await handle.user(b, { buddies: [a] })).id };
      return { connect: (username: string) => handle.connect(username), ids };
    },
    async idOf(username, site = 'demo') {
      return (await current().app.store.findUserByUsername(site, username))!.id;
    },
  };
  return handle;
}

/** An HTTP request to the server's API with a JSON body and an optional bearer token. */
export async function api(
  server: Pick<TestServer, 'url'>,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: { ok: boolean; data?: any; error?: ErrorBody } }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { ok: boolean; data?: any; error?: ErrorBody } };
}

/** A host identity token (HS256 under the site's secret), valid for five minutes unless `times` say otherwise. */
export function identityToken(
  secret: string,
  claims: Record<string, unknown>,
  times: { iat?: number; exp?: number; aud?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(times.iat ?? now)
    .setExpirationTime(times.exp ?? now + 300);
  return (times.aud ? jwt.setAudience(times.aud) : jwt).sign(new TextEncoder().encode(secret));
}

/** The error code of a request's result, or `ok`. */
export const codeOf = async (promise: Promise<{ ok: boolean; error?: { code: string } }>) => {
  const result = await promise;
  return result.ok ? 'ok' : result.error!.code;
};

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'parley-test-'));
}

/**
 * A real server in this process on a random port. Its database is a fresh SQLite file, or a fresh
 * PostgreSQL database when PARLEY_TEST_DB=postgres; with PARLEY_TEST_REDIS=1 it runs in cluster
 * mode on a fresh Redis key prefix (see services.ts).
 */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const redisPrefix = useRedis ? testRedisPrefix() : null;
  // Files on this server's own folder; in cluster mode (which refuses local disk) on an S3-compatible
  // server of its own, on that folder too.
  const filesDir = tempDir();
  const s3 = useRedis ? await startS3(join(filesDir, 's3')) : null;
  const config = loadConfig(
    {},
    {
      port: 0,
      host: '127.0.0.1',
      database: parseDatabaseUrl(database.url, repoRoot),
      redis: redisPrefix ? { url: TEST_REDIS_URL, prefix: redisPrefix } : null,
      presenceGraceMs: 300,
      logLevel: process.env.TEST_LOG_LEVEL ?? 'error',
      demo: true,
      // Tests send in bursts and sign in often from one address; the rate limits have their own tests.
      messageRatePerSecond: 10_000,
      actionRatePerSecond: 10_000,
      loginPerAccountPerMinute: 100_000,
      loginPerAddressPerMinute: 100_000,
      registerPerAddressPerHour: 100_000,
      buddyRequestsPerMinute: 100_000,
      searchPerMinute: 100_000,
      callsPerMinute: 100_000,
      ...options.config,
      files: {
        ...loadConfig({}).files,
        storage: s3 ? 's3' : 'local',
        s3: s3?.config ?? null,
        localDir: join(filesDir, 'files'),
        ...options.config?.files,
      },
    },
  );
  const app = await createApp({ config, logger: createLogger(config.logLevel) });
  for (const site of options.sites ?? [])
    await app.store.createSite({
      name: site.id,
      secret: `${site.id}-site-secret-0123456789abcdef`,
      origins: ['http://localhost:*'],
      settings: {},
      ...site,
    });
  const port = await app.listen();
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    database,
    async close(keepData = false) {
      await app.close();
      await s3?.close();
      if (keepData) return;
      rmSync(filesDir, { recursive: true, force: true });
      await database.drop();
      if (redisPrefix) await dropRedisPrefix(redisPrefix);
    },
  };
}

/** Adds a user with a password to a site, optionally as mutual buddies of `buddies`. */
export async function addUser(
  server: TestServer | Store,
  username: string,
  options: { site?: string; buddies?: string[]; password?: string } = {},
): Promise<UserRecord> {
  const store = 'app' in server ? server.app.store : server;
  const siteId = options.site ?? 'demo';
  await store.createUser({
    id: uuidv7(),
    siteId,
    username,
    displayName: username[0]!.toUpperCase() + username.slice(1),
    avatarUrl: null,
    passwordHash: await hashPassword(options.password ?? `${username}-pass`),
  });
  const user = (await store.findUserByUsername(siteId, username))!;
  for (const other of options.buddies ?? []) {
    const buddy = (await store.findUserByUsername(siteId, other))!;
    await store.setBuddies(user.id, buddy.id, 'accepted');
  }
  return user;
}

export const demoPassword = (username: string) => `${username}-demo`;

export async function login(
  url: string,
  username: string,
  password = demoPassword(username),
  site = 'demo',
): Promise<LoginResponse> {
  const response = await fetch(`${url}/api/v1/sites/${site}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await response.json()) as Result<LoginResponse>;
  if (!body.ok) throw new Error(`login failed: ${body.error.code} ${body.error.message}`);
  return body.data;
}

/** The text of a message's content (a file's caption), or undefined for kinds without text (a call log). */
export const textOf = (content: MessageContent): string | undefined => ('text' in content ? content.text : undefined);

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type MessageEntry = Extract<InboxEntry, { kind: 'message' }>;
export const messagesOf = (entries: InboxEntry[]): MessageEntry[] =>
  entries.filter((e): e is MessageEntry => e.kind === 'message');

/** A connected test client that records everything the server pushes. */
export class TestClient {
  readonly entries: InboxEntry[] = [];
  readonly presence: PresenceChanged[] = [];
  readonly rosterChanges: RosterChanged[] = [];
  readonly typing: TypingChanged[] = [];
  readonly ended: SessionEnded[] = [];
  /** Every room:changed, in arrival order. */
  readonly roomChanges: RoomInfo[] = [];
  readonly roomRemovals: RoomRemoved[] = [];
  readonly roomSeen: RoomSeen[] = [];

  /** The message entries pushed live, in arrival order. */
  get messages(): MessageEntry[] {
    return messagesOf(this.entries);
  }

  /** The receipt entries pushed live. */
  get receipts(): Receipt[] {
    return this.entries.flatMap((e) => (e.kind === 'receipt' ? [e.receipt] : []));
  }

  private constructor(
    readonly socket: ClientSocket,
    readonly ready: SessionReady,
  ) {
    socket.on('inbox:entry', (e) => this.entries.push(e));
    socket.on('presence:changed', (p) => this.presence.push(p));
    socket.on('roster:changed', (c) => this.rosterChanges.push(c));
    socket.on('typing:changed', (t) => this.typing.push(t));
    socket.on('session:ended', (e) => this.ended.push(e));
    socket.on('room:changed', ({ room }) => this.roomChanges.push(room));
    socket.on('room:removed', (r) => this.roomRemovals.push(r));
    socket.on('room:seen', (s) => this.roomSeen.push(s));
  }

  static async connect(
    url: string,
    token: string,
    options: { site?: string; origin?: string; v?: number; identity?: boolean } = {},
  ): Promise<TestClient> {
    const credential = options.identity ? { identity: token } : { token };
    const socket: ClientSocket = io(url, {
      auth: { v: options.v ?? PROTOCOL_VERSION, site: options.site ?? 'demo', ...credential },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: options.origin ? { origin: options.origin } : {},
    });
    const ready = await new Promise<SessionReady>((resolve, reject) => {
      socket.once('session:ready', resolve);
      socket.once('connect_error', (err: Error & { data?: ErrorBody }) => {
        socket.close();
        reject(Object.assign(new Error(err.message), { data: err.data }));
      });
    });
    const client = new TestClient(socket, ready);
    return client;
  }

  /** Emits an event and resolves with its acknowledgement. */
  request<E extends ClientEventName>(event: E, payload: unknown): Promise<Result<ReplyData[E]>> {
    if (!this.socket.connected) return Promise.reject(new Error(`not connected (${event})`));
    return (this.socket.timeout(10_000).emitWithAck as (e: string, p: unknown) => Promise<Result<ReplyData[E]>>)(
      event,
      payload,
    );
  }

  /** Sends a text to a user (by id) or into a conversation, and returns the data. */
  async send(to: string | ConversationKey, body: string, clientId = uuidv7()): Promise<ReplyData['message:send']> {
    const result = await this.trySend(to, body, clientId);
    if (!result.ok) throw new Error(`message:send failed: ${result.error.code} ${result.error.message}`);
    return result.data;
  }

  /** Sends a text and returns the result, refused or not. */
  trySend(to: string | ConversationKey, body: string, clientId = uuidv7()): Promise<Result<ReplyData['message:send']>> {
    const key = typeof to === 'string' ? { kind: 'direct', id: to } : to;
    return this.request('message:send', { in: key, clientId, content: { kind: 'text', text: body } });
  }

  /** Emits and returns the data, throwing on an error result. */
  async ok<E extends ClientEventName>(event: E, payload: unknown): Promise<ReplyData[E]> {
    const result = await this.request(event, payload);
    if (!result.ok) throw new Error(`${event} failed: ${result.error.code} ${result.error.message}`);
    return result.data;
  }

  /** Everything in the inbox after `after`, following pages. */
  async syncAll(after = 0): Promise<InboxEntry[]> {
    const all: InboxEntry[] = [];
    for (;;) {
      const result = await this.request('inbox:sync', { after });
      if (!result.ok) throw new Error(`sync failed: ${result.error.code}`);
      all.push(...result.data.entries);
      after = result.data.entries.at(-1)?.seq ?? after;
      if (!result.data.hasMore) return all;
    }
  }

  close(): void {
    this.socket.close();
  }
}

export async function connectAs(url: string, username: string): Promise<TestClient> {
  const { token } = await login(url, username);
  return TestClient.connect(url, token);
}

/** Polls until `check` returns true (or a truthy value), failing after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<Exclude<T, undefined | null | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, undefined | null | false | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Databases and server processes for kill-and-restart tests, removed after the file: every process
 * still running is killed and every database dropped.
 */
export function useServerProcesses() {
  const databases: TestDatabase[] = [];
  const running: ServerProcess[] = [];
  afterAll(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    for (const d of databases) await d.drop();
  });
  return {
    async database(): Promise<TestDatabase> {
      const db = await createTestDatabase();
      databases.push(db);
      return db;
    },
    async start(db: TestDatabase, env: Record<string, string> = {}): Promise<ServerProcess> {
      const p = await spawnServer(db, env);
      running.push(p);
      return p;
    },
  };
}

/** The real server as its own process (`tsx backend/src/main.ts`), for kill and restart tests. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `main.ts` on `database` (a TestDatabase or a SQLite folder) with extra environment. */
export async function spawnServer(
  database: TestDatabase | string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const db = typeof database === 'string' ? createSqliteDatabase(database) : database;
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'backend', 'src', 'main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      PRESENCE_GRACE_MS: '300',
      LOG_LEVEL: 'info',
      MESSAGE_RATE: '100000',
      ACTION_RATE: '100000',
      LOGIN_RATE_ACCOUNT: '100000',
      LOGIN_RATE_ADDRESS: '100000',
      REGISTER_RATE: '100000',
      BUDDY_REQUEST_RATE: '100000',
      SEARCH_RATE: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
      return /"port":(\d+)/.exec(output)?.[1];
    },
    // Generous: on a shared 2-core machine under load, tsx plus migrations can take a while.
    90_000,
    'the server to listen',
  ).catch((err: unknown) => {
    child.kill('SIGKILL'); // never leave a half-started server behind
    throw err;
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** tus `Upload-Metadata`: comma-separated `key base64(value)`. */
export function tusMetadata(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** A tus creation request (no body); the answer's status, Location and JSON error, if any. */
export async function createUpload(
  server: Pick<TestServer, 'url'>,
  token: string,
  length: number,
  metadata: Record<string, string>,
  site = 'demo',
): Promise<{ status: number; location: string | null; headers: Headers; error?: ErrorBody }> {
  const response = await fetch(`${server.url}/api/v1/sites/${site}/uploads`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'tus-resumable': '1.0.0',
      'upload-length': String(length),
      'upload-metadata': tusMetadata(metadata),
    },
  });
  const text = await response.text();
  const error = text.startsWith('{') ? (JSON.parse(text) as { error?: ErrorBody }).error : undefined;
  return { status: response.status, location: response.headers.get('location'), headers: response.headers, error };
}

/** A tus PATCH of `bytes` at `offset` to an upload (`location` as the server gave it). */
export async function patchUpload(
  server: Pick<TestServer, 'url'>,
  token: string,
  location: string,
  bytes: Uint8Array,
  offset = 0,
): Promise<{ status: number; offset: number | null; error?: ErrorBody }> {
  const response = await fetch(new URL(location, server.url), {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${token}`,
      'tus-resumable': '1.0.0',
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
    },
    body: new Blob([bytes as Uint8Array<ArrayBuffer>]),
  });
  const text = await response.text();
  const error = text.startsWith('{') ? (JSON.parse(text) as { error?: ErrorBody }).error : undefined;
  const at = response.headers.get('upload-offset');
  return { status: response.status, offset: at === null ? null : Number(at), error };
}

/**
 * Uploads `bytes` in one creation and one PATCH; resolves with the file id (the last segment of
 * Location) and the final PATCH's status and error.
 */
export async function uploadFile(
  server: Pick<TestServer, 'url'>,
  token: string,
  bytes: Uint8Array,
  metadata: Record<string, string>,
  site = 'demo',
): Promise<{ id: string; status: number; error?: ErrorBody }> {
  const created = await createUpload(server, token, bytes.length, metadata, site);
  if (created.status !== 201 || !created.location) {
    return { id: '', status: created.status, error: created.error };
  }
  const id = created.location.split('/').pop()!;
  const patched = await patchUpload(server, token, created.location, bytes);
  return { id, status: patched.status, error: patched.error };
}
