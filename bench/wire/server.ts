// The wire-encoding scenario's server: Parley's traffic for one-to-one chat, packet for packet,
// on Socket.IO with one of three encodings (WIRE_ENCODING): the default JSON parser, the MessagePack
// parser (socket.io-msgpack-parser; the clients use it too) or JSON with permessage-deflate. It
// stores nothing, so what differs between the three runs is the encoding and nothing else.
//
// Per message, as Parley does it (see docs/protocol.md): `message:send` is acknowledged with the
// stored message (the sending connection's copy of its inbox entry), the message goes to the
// recipient and to the sender's other connections (none here: one each) as an `inbox:entry`; the
// recipient marks it delivered (`conversation:read`, acknowledged) and the receipt goes to the
// sender as an `inbox:entry`.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { Server } from 'socket.io';
import { serverWireOptions, type WireEncoding } from '../lib/wire.ts';

interface SendPayload {
  in: { kind: 'direct'; id: string };
  clientId: string;
  content: { kind: 'text'; text: string };
}
interface ReadPayload {
  in: { kind: 'direct'; id: string };
  kind: 'delivered' | 'read';
  upTo: string;
}

const encoding = (process.env.WIRE_ENCODING ?? 'json') as WireEncoding;
const port = Number(process.env.PORT ?? 0);
// Bytes on the server's TCP connections (WebSocket frames and handshakes; no TCP/IP headers):
// closed connections' totals plus the open ones' counters, served at /bytes.
const open = new Set<Socket>();
const closed = { read: 0, written: 0 };
const http = createServer((req, res) => {
  if (req.url === '/bytes') {
    let read = closed.read;
    let written = closed.written;
    for (const socket of open) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ read, written }));
    return;
  }
  res.writeHead(req.url === '/ready' ? 200 : 404).end();
});
http.on('connection', (socket: Socket) => {
  open.add(socket);
  socket.once('close', () => {
    open.delete(socket);
    closed.read += socket.bytesRead;
    closed.written += socket.bytesWritten;
  });
});
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
  pingInterval: 25_000,
  pingTimeout: 20_000,
  ...serverWireOptions(encoding),
});
const seqs = new Map<string, number>();
const nextSeq = (user: string) => {
  const seq = (seqs.get(user) ?? 0) + 1;
  seqs.set(user, seq);
  return seq;
};
const conversationId = (a: string, b: string) => (a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`);

io.on('connection', (socket) => {
  const me = String((socket.handshake.auth as { user?: unknown }).user ?? socket.id);
  void socket.join(me);
  socket.on('message:send', (p: SendPayload, ack: (reply: unknown) => void) => {
    const message = {
      id: randomUUID(),
      clientId: p.clientId,
      conversationId: conversationId(me, p.in.id),
      senderId: me,
      recipientId: p.in.id,
      content: p.content,
      createdAt: new Date().toISOString(),
    };
    const seq = nextSeq(me);
    ack({ ok: true, data: { message, seq, duplicate: false } });
    io.to(p.in.id).emit('inbox:entry', { seq: nextSeq(p.in.id), kind: 'message', message });
    socket.to(me).emit('inbox:entry', { seq, kind: 'message', message }); // not to this connection
  });
  socket.on('conversation:read', (p: ReadPayload, ack: (reply: unknown) => void) => {
    ack({ ok: true, data: { advanced: true } });
    const receipt = {
      conversationId: conversationId(me, p.in.id),
      readerId: me,
      peerId: p.in.id,
      kind: p.kind,
      upTo: p.upTo,
      at: new Date().toISOString(),
    };
    io.to(p.in.id).emit('inbox:entry', { seq: nextSeq(p.in.id), kind: 'receipt', receipt });
  });
});

http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  console.log(JSON.stringify({ wire: encoding, port: typeof address === 'object' && address ? address.port : port }));
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void io.close();
    process.exit(0);
  });
}
