// Load generator for one-to-one messages over Socket.IO: Parley (real auth, storage) or the bare
// relay. Both members of each pair live in this process, so sender and recipient timestamps come
// from one clock (performance.now()). Sends are open loop (lib/open-loop.ts).
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@parley/backend/protocol';
import type { InboxEntry, Result, ReplyData, SessionReady } from '@parley/backend/protocol';
import { arrived, runStep, type StepArgs, type StepResult } from '../lib/open-loop.ts';
import { serveRpc } from '../lib/rpc.ts';
import { SITE, type Peer } from '../lib/seed.ts';
import { waitUntil } from '../lib/util.ts';

export interface MsgInit {
  url: string;
  kind: 'parley' | 'relay';
  pairs: [Peer, Peer][];
  localAddress?: string;
  tag: string;
}

interface Client {
  peer: Peer;
  socket: Socket;
}

let init: MsgInit;
/** Sends not acknowledged yet, over all steps: the server's backlog as this worker sees it. */
let unacknowledged = 0;
let clients: Client[] = [];

function onEntry(me: Peer, entry: InboxEntry): void {
  if (entry.kind !== 'message') return; // receipts are not part of this measurement
  const m = entry.message;
  if (m.recipientId !== me.id) return; // Parley also pushes each message to its sender
  arrived('text' in m.content ? (m.content.text ?? '') : '');
}

async function connect(): Promise<{ connected: number; ms: number }> {
  const started = performance.now();
  const peers = init.pairs.flat();
  clients = peers.map((peer) => {
    const socket = io(init.url, {
      auth: init.kind === 'parley' ? { v: PROTOCOL_VERSION, site: SITE, token: peer.token } : { user: peer.id },
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

function step(args: StepArgs): Promise<StepResult> {
  return runStep(init.tag, init.pairs, clients, args, ({ from, to, id, body }, outcome) => {
    unacknowledged++;
    from.socket.emit(
      'message:send',
      { in: { kind: 'direct', id: to.id }, clientId: id, content: { kind: 'text', text: body } },
      (result: Result<ReplyData['message:send']>) => {
        unacknowledged--;
        if (!result?.ok) outcome.failed();
        else outcome.acked();
      },
    );
  });
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
