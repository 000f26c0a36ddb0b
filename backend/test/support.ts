/**
 * Helpers for integration tests: a real Parley server on a random port with its own SQLite file,
 * real socket.io-client connections, and polling waits. Nothing here is mocked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { createApp, type ParleyApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { repoRoot } from '../src/paths.js';
import {
  PROTOCOL_VERSION,
  type ClientEventName,
  type ClientToServerEvents,
  type ErrorBody,
  type InboxEntry,
  type LoginResponse,
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
import type { Store, UserRecord } from '../src/store/store.js';
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

export interface TestServer {
  app: ParleyApp;
  url: string;
  database: TestDatabase;
  /** Stops the server; `keepData` leaves the database (and Redis keys) for a restart. */
  close(keepData?: boolean): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'parley-test-'));
}

/**
 * A real server in this process on a random port. Its database is a fresh SQLite file, or a fresh
 * PostgreSQL database when PARLEY_TEST_DB=postgres; with PARLEY_TEST_REDIS=1 it runs in cluster
 * mode on a fresh Redis key prefix (see services.ts).
 */
export async function startServer(
  options: { database?: TestDatabase; config?: Partial<Config> } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const redisPrefix = useRedis ? testRedisPrefix() : null;
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
      ...options.config,
    },
  );
  const app = await createApp({ config, logger: createLogger(config.logLevel) });
  const port = await app.listen();
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    database,
    async close(keepData = false) {
      await app.close();
      if (keepData) return;
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

  async send(to: string, body: string, clientId = uuidv7()): Promise<ReplyData['message:send']> {
    return this.ok('message:send', { in: { kind: 'direct', id: to }, clientId, content: { kind: 'text', text: body } });
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
