// Holds many authenticated Parley connections (scenario 1) and reconnects them after the server
// is restarted (scenario 4). Each client connects from one of several loopback source addresses,
// so the ephemeral port range of one address does not cap the count. Clients keep an inbox
// cursor like the widget does, and after a reconnect they sync from it.
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@parley/backend/protocol';
import type {
  ErrorBody,
  InboxEntry,
  LoginResponse,
  Result,
  ReplyData,
  ServerShutdown,
  SessionReady,
} from '@parley/backend/protocol';
import { encodeHistogram, newHistogram, recordMs } from '../lib/hist.ts';
import { emitEvent, serveRpc } from '../lib/rpc.ts';
import { SITE, type Peer } from '../lib/seed.ts';
import { sleep } from '../lib/util.ts';
// The widget core's own reconnect policy, so the storm's clients come back as visitors' widgets do.
import { CONNECT_TIMEOUT_MS, shutdownDelay, TRANSIENT_REFUSALS } from '../../widget/src/core/reconnect-policy.ts';
import { createReconnector } from '../../widget/src/core/reconnector.ts';

export interface ConnInit {
  url: string;
  localAddresses: string[];
  password: string;
  name: string;
}

export interface ConnectArgs {
  users: Peer[];
  /** Connections started per second by this worker. */
  rate: number;
  /** Sign in through POST /sessions (argon2) first instead of using the seeded token. */
  login: boolean;
  /** At most this many attempts of this worker under way at once (so an overload shows as a lower rate, not a pile-up). */
  maxInFlight: number;
  /** Start no new attempt after this long (the scenario's time budget). */
  budgetMs: number;
  /** Stop waiting for stragglers after this long. */
  timeoutMs: number;
}

export interface ConnectResult {
  attempted: number;
  /** Not attempted: the time budget ran out first. */
  skipped: number;
  ready: number;
  failed: number;
  errors: Record<string, number>;
  /** Start of the attempt to session:ready, µs histogram (base64). */
  latency: string;
  /** From first start to last ready. */
  spanMs: number;
  startSpanMs: number;
  presenceEvents: number;
  /** This generator's CPU time (user + system) during the call, and the call's wall time, ms. */
  cpuMs: number;
  elapsedMs: number;
}

export interface StormStatus {
  clients: number;
  disconnected: number;
  reconnected: number;
  synced: number;
  syncedEntries: number;
  syncErrors: number;
  /** performance.timeOrigin-based wall times (ms since epoch) of the last reconnect and last sync. */
  lastReconnectAt: number;
  lastSyncedAt: number;
  reconnectLatency: string;
  /** Why connection attempts and syncs failed during the storm, counted. */
  failures: Record<string, number>;
  /** This generator's CPU time (user + system) since it started, ms. */
  cpuMs: number;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

interface Client {
  peer: Peer;
  socket: Socket;
  cursor: number;
  ready: boolean;
  startedAt: number;
  disconnectedAt: number;
  storm: 'idle' | 'armed' | 'reconnected' | 'synced';
  /** Closed for good (trimmed, or the scenario ended): no more reconnects. */
  gone: boolean;
}

let init: ConnInit;
const clients: Client[] = [];
let presenceEvents = 0;
let nextAddress = 0;
/** A reconnect storm's counters before anything happened, armed at `armedAt`. */
const calmStorm = (armedAt: number) => ({
  armedAt,
  disconnected: 0,
  reconnected: 0,
  synced: 0,
  syncedEntries: 0,
  syncErrors: 0,
  lastReconnectAt: 0,
  lastSyncedAt: 0,
  latency: newHistogram(),
  failures: {} as Record<string, number>,
});
const storm = calmStorm(0);
const note = (what: string) => (storm.failures[what] = (storm.failures[what] ?? 0) + 1);

const wall = () => performance.timeOrigin + performance.now();

async function login(peer: Peer): Promise<string> {
  const response = await fetch(`${init.url}/api/v1/sites/${SITE}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: peer.username, password: init.password }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as Result<LoginResponse>;
  if (!body.ok) throw new Error(body.error.code);
  return body.data.token;
}

async function syncFrom(client: Client): Promise<void> {
  for (let page = 0; page < 1000; page++) {
    const result = (await client.socket.timeout(60_000).emitWithAck('inbox:sync', { after: client.cursor })) as Result<
      ReplyData['inbox:sync']
    >;
    if (!result.ok) throw new Error(result.error.code);
    for (const e of result.data.entries) client.cursor = Math.max(client.cursor, e.seq);
    storm.syncedEntries += result.data.entries.length;
    if (!result.data.hasMore) return;
  }
}

function open(peer: Peer, token: string, onFirstReady: (ok: boolean, error?: string) => void): Client {
  const localAddress = init.localAddresses[nextAddress++ % init.localAddresses.length];
  const socket = io(init.url, {
    auth: { v: PROTOCOL_VERSION, site: SITE, token },
    transports: ['websocket'],
    forceNew: true,
    // As the widget: Socket.IO's reconnection off, the widget core's reconnector in charge.
    reconnection: false,
    timeout: CONNECT_TIMEOUT_MS,
    ...(localAddress ? { localAddress } : {}),
  });
  const retry = createReconnector(socket, () => !client.gone);
  const client: Client = {
    peer,
    socket,
    cursor: 0,
    ready: false,
    startedAt: performance.now(),
    disconnectedAt: 0,
    storm: 'idle',
    gone: false,
  };
  let first = true;
  socket.on('session:ready', (ready: SessionReady) => {
    client.ready = true;
    if (first) {
      first = false;
      client.cursor = ready.inboxHead;
      onFirstReady(true);
      return;
    }
    if (client.storm === 'armed' || client.storm === 'reconnected') {
      if (client.storm === 'armed') {
        client.storm = 'reconnected';
        storm.reconnected++;
        storm.lastReconnectAt = wall();
      }
      // Like the widget: catch up from the cursor (always once, even when nothing is new). A sync
      // cut short by another disconnect is done again after the next reconnect.
      syncFrom(client).then(
        () => {
          if (client.storm === 'synced') return;
          client.storm = 'synced';
          storm.synced++;
          storm.lastSyncedAt = wall();
          recordMs(storm.latency, performance.now() - storm.armedAt);
        },
        (err: unknown) => {
          storm.syncErrors++;
          note(`sync: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
    }
  });
  socket.on('inbox:entry', (entry: InboxEntry) => {
    client.cursor = Math.max(client.cursor, entry.seq);
  });
  socket.on('presence:changed', () => presenceEvents++);
  // The same wiring as widget/src/core/connection.ts: the reconnect policy decides every wait.
  socket.on('connect', () => retry.connected());
  socket.on('server:shutdown', (hint: ServerShutdown) => retry.after(shutdownDelay(hint)));
  socket.on('disconnect', (reason) => {
    if (reason !== 'io server disconnect' && reason !== 'io client disconnect') retry.lost();
    client.ready = false;
    if (client.storm === 'armed' && !client.disconnectedAt) {
      client.disconnectedAt = performance.now();
      storm.disconnected++;
    }
  });
  socket.on('connect_error', (err: Error & { data?: ErrorBody; description?: unknown }) => {
    if (client.storm === 'armed') {
      const cause = err.description as { message?: string; error?: { code?: string; message?: string } } | undefined;
      const detail = cause?.error?.code ?? cause?.error?.message ?? cause?.message;
      note(`connect_error: ${err.data?.code ?? err.message}${detail ? ` (${detail})` : ''}`);
    }
    if (first && err.data?.code) {
      // A refusal (the server said no) of a first connection is final here; a transport error is retried.
      first = false;
      socket.close();
      onFirstReady(false, err.data.code);
      return;
    }
    if (!err.data?.code || TRANSIENT_REFUSALS.has(err.data.code)) retry.failed(err.data?.code !== undefined);
  });
  clients.push(client);
  return client;
}

async function connectAll(args: ConnectArgs): Promise<ConnectResult> {
  const latency = newHistogram();
  const errors: Record<string, number> = {};
  let ready = 0;
  let failed = 0;
  let lastReady = 0;
  const presenceBefore = presenceEvents;
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  const interval = 1000 / args.rate;
  let started = 0;
  const fail = (code: string) => {
    failed++;
    errors[code] = (errors[code] ?? 0) + 1;
  };
  const progress = setInterval(() => emitEvent('progress', { worker: init.name, started, ready, failed }), 1000);
  for (const peer of args.users) {
    if (performance.now() - began > args.budgetMs) break;
    const due = began + started * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (started - ready - failed >= args.maxInFlight) await sleep(2);
    const t = performance.now();
    started++;
    const connectWith = (token: string) =>
      open(peer, token, (ok, code) => {
        if (ok) {
          ready++;
          lastReady = performance.now();
          recordMs(latency, lastReady - t);
        } else fail(code ?? 'error');
      });
    if (args.login) {
      login(peer).then(connectWith, (err: unknown) => fail(err instanceof Error ? err.message : 'login'));
    } else connectWith(peer.token);
  }
  const startSpanMs = performance.now() - began;
  const deadline = performance.now() + args.timeoutMs;
  while (ready + failed < started && performance.now() < deadline) await sleep(50);
  clearInterval(progress);
  const pending = started - ready - failed;
  if (pending > 0) errors['not ready in time'] = pending;
  return {
    attempted: started,
    skipped: args.users.length - started,
    ready,
    failed: failed + pending,
    errors,
    latency: encodeHistogram(latency),
    spanMs: (lastReady || performance.now()) - began,
    startSpanMs,
    presenceEvents: presenceEvents - presenceBefore,
    cpuMs: cpuMs(process.cpuUsage(cpuBefore)),
    elapsedMs: performance.now() - began,
  };
}

serveRpc({
  init: (args: ConnInit) => {
    init = args;
    return true;
  },
  connect: connectAll,
  status: () => ({
    clients: clients.length,
    connected: clients.filter((c) => c.ready).length,
    presenceEvents,
  }),
  /** Keeps the first `keep` clients and closes the rest for good. */
  trim: ({ keep }: { keep: number }) => {
    const gone = clients.splice(keep);
    for (const c of gone) {
      c.gone = true;
      c.socket.close();
    }
    return clients.length;
  },
  arm: () => {
    Object.assign(storm, calmStorm(performance.now()));
    for (const c of clients) {
      c.storm = 'armed';
      c.disconnectedAt = 0;
    }
    return clients.length;
  },
  stormStatus: (): StormStatus => ({
    clients: clients.length,
    disconnected: storm.disconnected,
    reconnected: storm.reconnected,
    synced: storm.synced,
    syncedEntries: storm.syncedEntries,
    syncErrors: storm.syncErrors,
    lastReconnectAt: storm.lastReconnectAt,
    lastSyncedAt: storm.lastSyncedAt,
    reconnectLatency: encodeHistogram(storm.latency),
    failures: storm.failures,
    cpuMs: cpuMs(process.cpuUsage()),
  }),
  close: async () => {
    for (const c of clients.splice(0)) {
      c.gone = true;
      c.socket.close();
    }
    return true;
  },
});
