// Load generator for one-to-one messages over Socket.IO: Parley (real auth, storage) or the bare
// relay. Both members of each pair live in this process, so sender and recipient timestamps come
// from one clock (performance.now()). Sends are open loop: message k of a step is due at
// t0 + k/rate whatever happened to earlier ones, and its latency is counted from that due time,
// so a stalled server (or generator) shows up in the figures instead of hiding.
import { io, type Socket } from 'socket.io-client';
import type { InboxEntry, Result, ReplyData, SessionReady } from '@parley/backend/protocol';
import { encodeHistogram, newHistogram, recordMs } from '../lib/hist.ts';
import { serveRpc } from '../lib/rpc.ts';
import { padBody, SITE, type Peer } from '../lib/seed.ts';
import { sleep, waitUntil } from '../lib/util.ts';

export interface MsgInit {
  url: string;
  kind: 'parley' | 'relay';
  pairs: [Peer, Peer][];
  localAddress?: string;
  tag: string;
}

export interface StepArgs {
  step: number;
  /** Messages per second from this worker. */
  rate: number;
  warmupMs: number;
  measureMs: number;
  /** How long to wait for the last messages after sending stops. */
  drainMs: number;
}

export interface StepResult {
  sent: number;
  measuredSent: number;
  received: number;
  measuredReceived: number;
  duplicates: number;
  ackErrors: number;
  latency: string;
  ack: string;
  lag: string;
  measureMs: number;
  elapsedMs: number;
  cpuMs: number;
}

interface Client {
  peer: Peer;
  socket: Socket;
}

let init: MsgInit;
/** Sends not acknowledged yet, over all steps: the server's backlog as this worker sees it. */
let unacknowledged = 0;
let clients: Client[] = [];
let current: {
  step: number;
  measureFrom: number;
  measureTo: number;
  received: number;
  measuredReceived: number;
  seen: Set<number>;
  duplicates: number;
  latency: ReturnType<typeof newHistogram>;
} | null = null;

function onEntry(me: Peer, entry: InboxEntry): void {
  if (entry.kind !== 'message') return; // receipts are not part of this measurement
  const m = entry.message;
  if (m.recipientId !== me.id || !current) return; // Parley also pushes each message to its sender
  const [tag, stepText, kText, dueText] = m.body.split(' ', 4);
  if (tag !== init.tag || Number(stepText) !== current.step) return;
  const now = performance.now();
  const k = Number(kText);
  if (current.seen.has(k)) {
    current.duplicates++;
    return;
  }
  current.seen.add(k);
  current.received++;
  const due = Number(dueText);
  if (due >= current.measureFrom && due < current.measureTo) {
    current.measuredReceived++;
    recordMs(current.latency, now - due);
  }
}

async function connect(): Promise<{ connected: number; ms: number }> {
  const started = performance.now();
  const peers = init.pairs.flat();
  clients = peers.map((peer) => {
    const socket = io(init.url, {
      auth: init.kind === 'parley' ? { v: 1, site: SITE, token: peer.token } : { user: peer.id },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 30_000,
      ...(init.localAddress ? { localAddress: init.localAddress } : {}),
    });
    socket.on('inbox:entry', (entry: InboxEntry) => onEntry(peer, entry));
    return { peer, socket };
  });
  let ready = 0;
  let failed = 0;
  for (const c of clients) {
    if (init.kind === 'parley') c.socket.once('session:ready', (_r: SessionReady) => ready++);
    else c.socket.once('connect', () => ready++);
    c.socket.once('connect_error', () => failed++);
  }
  await waitUntil(() => ready + failed >= clients.length, 60_000, 'clients to connect');
  if (failed) throw new Error(`${failed} of ${clients.length} clients could not connect`);
  return { connected: ready, ms: performance.now() - started };
}

async function step(args: StepArgs): Promise<StepResult> {
  const latency = newHistogram();
  const ack = newHistogram();
  const lag = newHistogram();
  const interval = 1000 / args.rate;
  const total = Math.max(1, Math.round((args.rate * (args.warmupMs + args.measureMs)) / 1000));
  const t0 = performance.now() + 20;
  const measureFrom = t0 + args.warmupMs;
  const measureTo = t0 + args.warmupMs + args.measureMs;
  current = {
    step: args.step,
    measureFrom,
    measureTo,
    received: 0,
    measuredReceived: 0,
    seen: new Set(),
    duplicates: 0,
    latency,
  };
  const cpuStart = process.cpuUsage();
  const began = performance.now();
  let sent = 0;
  let measuredSent = 0;
  let ackErrors = 0;
  const pairs = init.pairs.length;
  const send = (k: number, due: number) => {
    const pair = init.pairs[k % pairs]!;
    const forward = Math.floor(k / pairs) % 2 === 0;
    const from = clients[(k % pairs) * 2 + (forward ? 0 : 1)]!;
    const to = forward ? pair[1] : pair[0];
    const body = padBody(`${init.tag} ${args.step} ${k} ${due.toFixed(3)} `);
    const measured = due >= measureFrom && due < measureTo;
    if (measured) measuredSent++;
    unacknowledged++;
    from.socket.emit(
      'message:send',
      { to: to.id, clientId: `${init.tag}-${args.step}-${k}`, body },
      (result: Result<ReplyData['message:send']>) => {
        unacknowledged--;
        if (!result?.ok) ackErrors++;
        else if (measured) recordMs(ack, performance.now() - due);
      },
    );
    sent++;
  };
  await new Promise<void>((resolve) => {
    let k = 0;
    const tick = () => {
      const now = performance.now();
      while (k < total) {
        const due = t0 + k * interval;
        if (due > now) break;
        recordMs(lag, now - due);
        send(k, due);
        k++;
      }
      if (k < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  // Wait (bounded) for what is still on its way.
  const deadline = performance.now() + args.drainMs;
  while (current.received < sent && performance.now() < deadline) await sleep(20);
  const cpu = process.cpuUsage(cpuStart);
  const result: StepResult = {
    sent,
    measuredSent,
    received: current.received,
    measuredReceived: current.measuredReceived,
    duplicates: current.duplicates,
    ackErrors,
    latency: encodeHistogram(latency),
    ack: encodeHistogram(ack),
    lag: encodeHistogram(lag),
    measureMs: args.measureMs,
    elapsedMs: performance.now() - began,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  current = null;
  return result;
}

serveRpc({
  init: (args: MsgInit) => {
    init = args;
    return true;
  },
  connect,
  step,
  pending: () => unacknowledged,
  close: () => {
    for (const c of clients) c.socket.close();
    clients = [];
    return true;
  },
});
