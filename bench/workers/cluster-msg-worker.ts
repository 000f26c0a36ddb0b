// Cross-node messages in a cluster: like msg-worker.ts (both members of each pair in this process,
// so latency is measured on one clock; open-loop sends from lib/open-loop.ts), but the two members
// of a pair connect to different nodes, so every message crosses from one node to another.
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@parley/backend/protocol';
import type { InboxEntry, Result, ReplyData, SessionReady } from '@parley/backend/protocol';
import { arrived, runStep, type StepArgs, type StepResult } from '../lib/open-loop.ts';
import { serveRpc } from '../lib/rpc.ts';
import { SITE, type Peer } from '../lib/seed.ts';
import { waitUntil } from '../lib/util.ts';

export interface ClusterMsgInit {
  urls: string[];
  pairs: [Peer, Peer][];
  /** The node of each pair's first and second member (never the same). */
  nodes: [number, number][];
  localAddress?: string;
  tag: string;
}

interface Client {
  peer: Peer;
  socket: Socket;
}

let init: ClusterMsgInit;
let unacknowledged = 0;
let clients: Client[] = [];

async function connect({ timeoutMs }: { timeoutMs: number }): Promise<{ connected: number; ms: number }> {
  const started = performance.now();
  clients = init.pairs.flatMap((pair, i) =>
    pair.map((peer, side) => {
      const socket = io(init.urls[init.nodes[i]![side]!]!, {
        auth: { v: PROTOCOL_VERSION, site: SITE, token: peer.token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: 60_000,
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
      });
      socket.on('inbox:entry', (entry: InboxEntry) => {
        // Receipts are not part of this measurement, nor the copy each sender gets of its own message.
        if (entry.kind === 'message' && entry.message.recipientId === peer.id)
          arrived('text' in entry.message.content ? (entry.message.content.text ?? '') : '');
      });
      return { peer, socket };
    }),
  );
  let ready = 0;
  const failures: string[] = [];
  for (const c of clients) {
    c.socket.once('session:ready', (_r: SessionReady) => ready++);
    c.socket.once('connect_error', (err: Error) => failures.push(err.message));
  }
  await waitUntil(() => ready + failures.length >= clients.length, timeoutMs, 'messaging clients to connect');
  if (failures.length)
    throw new Error(`${failures.length} of ${clients.length} clients could not connect: ${failures[0]}`);
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
  init: (args: ClusterMsgInit) => {
    init = args;
    return true;
  },
  connect,
  step,
  pending: () => unacknowledged,
  /** Connected clients per node. */
  connected: () => {
    const per = init.urls.map(() => 0);
    clients.forEach((c, j) => {
      if (c.socket.connected) per[init.nodes[Math.floor(j / 2)]![j % 2]!]!++;
    });
    return per;
  },
  close: () => {
    for (const c of clients) c.socket.close();
    clients = [];
    return true;
  },
});
