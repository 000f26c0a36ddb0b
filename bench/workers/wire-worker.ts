// Load generator of the wire-encoding scenario: pairs of clients exchange 200-byte messages at a
// fixed rate as the widget would (send, acknowledgement, the message to both, a delivered mark,
// the receipt back), with the encoding under test (lib/wire.ts). Counts complete exchanges.
import { io, type Socket } from 'socket.io-client';
import { serveRpc } from '../lib/rpc.ts';
import { sleep, waitUntil } from '../lib/util.ts';
import { chatText, clientWireOptions, type WireEncoding } from '../lib/wire.ts';

export interface WireInit {
  url: string;
  encoding: WireEncoding;
  /** User ids, two by two. */
  pairs: [string, string][];
  localAddress: string;
  bytes: number;
}

export interface WireRun {
  sent: number;
  acked: number;
  delivered: number;
  /** Receipts back at the sender: complete exchanges. */
  receipts: number;
  ms: number;
}

interface Entry {
  kind: 'message' | 'receipt';
  message?: { id: string; senderId: string; recipientId: string };
}

let init: WireInit;
const sockets = new Map<string, Socket>();
let counts = { sent: 0, acked: 0, delivered: 0, receipts: 0 };

async function connect(): Promise<number> {
  for (const user of init.pairs.flat()) {
    const socket = io(init.url, {
      auth: { user },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      // Node's client only (engine.io-client passes it to ws): its own loopback source address.
      ...{ localAddress: init.localAddress },
      ...clientWireOptions(init.encoding),
    });
    socket.on('inbox:entry', (entry: Entry) => {
      if (entry.kind === 'receipt') {
        counts.receipts++;
        return;
      }
      const m = entry.message!;
      if (m.recipientId !== user) return; // the sender's own copy
      counts.delivered++;
      // The widget marks a message delivered when it arrives in a chat that is not on screen.
      socket.emit(
        'conversation:read',
        { in: { kind: 'direct', id: m.senderId }, kind: 'delivered', upTo: m.id },
        () => undefined,
      );
    });
    sockets.set(user, socket);
  }
  await waitUntil(() => [...sockets.values()].every((s) => s.connected), 60_000, 'wire clients to connect');
  return sockets.size;
}

/** Sends `rate` messages a second for `ms`, open loop, then waits (bounded) for the receipts. */
async function run({ rate, ms }: { rate: number; ms: number }): Promise<WireRun> {
  counts = { sent: 0, acked: 0, delivered: 0, receipts: 0 };
  const t0 = performance.now();
  const total = Math.round((rate * ms) / 1000);
  let k = 0;
  while (k < total) {
    const due = t0 + (k * 1000) / rate;
    const now = performance.now();
    if (due > now) {
      await sleep(Math.max(1, due - now));
      continue;
    }
    const [a, b] = init.pairs[k % init.pairs.length]!;
    const [from, to] = Math.floor(k / init.pairs.length) % 2 === 0 ? [a, b] : [b, a];
    const text = chatText(`#${k}`, init.bytes);
    sockets
      .get(from)!
      .emit(
        'message:send',
        { in: { kind: 'direct', id: to }, clientId: `w-${k}`, content: { kind: 'text', text } },
        () => {
          counts.acked++;
        },
      );
    counts.sent++;
    k++;
  }
  // Every exchange is counted whole: bytes and CPU per message are only right once all are done.
  const deadline = performance.now() + 60_000;
  while (counts.receipts < counts.sent && performance.now() < deadline) await sleep(20);
  return { ...counts, ms: performance.now() - t0 };
}

serveRpc({
  init: (args: WireInit) => {
    init = args;
    return true;
  },
  connect,
  run,
  close: () => {
    for (const s of sockets.values()) s.close();
    sockets.clear();
    return true;
  },
});
