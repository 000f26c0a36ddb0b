// Holds many authenticated Parley connections spread over the nodes of a cluster (the cluster
// scenario). Each user is given its node by the coordinator; each connection leaves from one of
// this worker's loopback source addresses, so one address's ephemeral ports do not cap the count.
// Connections do not reconnect: a connection that drops is counted as lost, not hidden.
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@parley/backend/protocol';
import type { ErrorBody, SessionReady } from '@parley/backend/protocol';
import { encodeHistogram, newHistogram, recordMs } from '../lib/hist.ts';
import { serveRpc } from '../lib/rpc.ts';
import { SITE, type Peer } from '../lib/seed.ts';
import { sleep } from '../lib/util.ts';

export interface ClusterConnInit {
  /** One URL per node. */
  urls: string[];
  localAddresses: string[];
  name: string;
}

export interface ClusterConnectArgs {
  /** Each user with the index of the node it connects to. */
  users: { peer: Peer; node: number }[];
  /** Connections started per second by this worker, at most. */
  rate: number;
  /** At most this many attempts of this worker under way at once. */
  maxInFlight: number;
  /** Start no new attempt after this long. */
  budgetMs: number;
  /** Stop waiting for stragglers after this long. */
  timeoutMs: number;
}

export interface ClusterConnectResult {
  attempted: number;
  skipped: number;
  ready: number;
  failed: number;
  errors: Record<string, number>;
  /** Start of the attempt to session:ready, µs histogram (base64). */
  latency: string;
  spanMs: number;
  presenceEvents: number;
}

export interface ClusterConnStatus {
  clients: number;
  /** Connected and ready, per node. */
  connected: number[];
  /** Connections that were ready and then dropped, with the reasons. */
  dropped: Record<string, number>;
  presenceEvents: number;
  /** CPU time this process has used so far (user + system), ms. */
  cpuMs: number;
  rss: number;
}

interface Client {
  socket: Socket;
  node: number;
  ready: boolean;
}

let init: ClusterConnInit;
const clients: Client[] = [];
const dropped: Record<string, number> = {};
let presenceEvents = 0;
let nextAddress = 0;

function open(peer: Peer, node: number, onFirst: (ok: boolean, code?: string) => void): void {
  const localAddress = init.localAddresses[nextAddress++ % init.localAddresses.length];
  const socket = io(init.urls[node]!, {
    auth: { v: PROTOCOL_VERSION, site: SITE, token: peer.token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: 60_000,
    ...(localAddress ? { localAddress } : {}),
  });
  const client: Client = { socket, node, ready: false };
  let settled = false;
  socket.once('session:ready', (_ready: SessionReady) => {
    client.ready = true;
    if (!settled) {
      settled = true;
      onFirst(true);
    }
  });
  socket.on('presence:changed', () => presenceEvents++);
  socket.on('disconnect', (reason: string) => {
    if (client.ready) dropped[reason] = (dropped[reason] ?? 0) + 1;
    client.ready = false;
  });
  socket.on('connect_error', (err: Error & { data?: ErrorBody }) => {
    if (settled) return;
    settled = true;
    socket.close();
    onFirst(false, err.data?.code ?? err.message);
  });
  clients.push(client);
}

async function connectAll(args: ClusterConnectArgs): Promise<ClusterConnectResult> {
  const latency = newHistogram();
  const errors: Record<string, number> = {};
  let ready = 0;
  let failed = 0;
  let lastReady = 0;
  const presenceBefore = presenceEvents;
  const began = performance.now();
  const interval = 1000 / args.rate;
  let started = 0;
  for (const { peer, node } of args.users) {
    if (performance.now() - began > args.budgetMs) break;
    const wait = began + started * interval - performance.now();
    if (wait > 1) await sleep(wait);
    while (started - ready - failed >= args.maxInFlight) await sleep(2);
    if (performance.now() - began > args.budgetMs) break;
    const t = performance.now();
    started++;
    open(peer, node, (ok, code) => {
      if (ok) {
        ready++;
        lastReady = performance.now();
        recordMs(latency, lastReady - t);
      } else {
        failed++;
        errors[code ?? 'error'] = (errors[code ?? 'error'] ?? 0) + 1;
      }
    });
  }
  const deadline = performance.now() + args.timeoutMs;
  while (ready + failed < started && performance.now() < deadline) await sleep(50);
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
    presenceEvents: presenceEvents - presenceBefore,
  };
}

serveRpc({
  init: (args: ClusterConnInit) => {
    init = args;
    return true;
  },
  connect: connectAll,
  status: (): ClusterConnStatus => {
    const connected = init.urls.map(() => 0);
    for (const c of clients) if (c.ready) connected[c.node]!++;
    const cpu = process.cpuUsage();
    return {
      clients: clients.length,
      connected,
      dropped,
      presenceEvents,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rss: process.memoryUsage().rss,
    };
  },
  close: async () => {
    for (const c of clients.splice(0)) c.socket.close();
    return true;
  },
});
