// The ceiling: a bare Socket.IO relay on the same stack as Parley (Node, Socket.IO 4.8, WebSocket
// transport) with no authentication, no validation and no storage. A client names itself in the
// handshake (`auth.user`) and joins that room; `message:send` is acknowledged at once and pushed
// to the recipient's room in the same shape Parley pushes (`inbox:entry`). The benchmark drives it
// with the same generator, pairs, sizes and rates as Parley.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

/** Parley's protocol 2 shape, so both servers get the same frames (no validation here). */
interface SendPayload {
  in: { kind: 'direct'; id: string };
  clientId: string;
  content: { kind: 'text'; text: string };
}

const port = Number(process.env.PORT ?? 0);
const http = createServer((req, res) => {
  res.writeHead(req.url === '/ready' ? 200 : 404).end();
});
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
  pingInterval: 20_000,
  pingTimeout: 20_000,
});
let nextId = 0;

io.on('connection', (socket) => {
  const me = String((socket.handshake.auth as { user?: unknown }).user ?? socket.id);
  void socket.join(me);
  socket.on('message:send', (payload: SendPayload, ack: (reply: unknown) => void) => {
    const message = {
      id: String(++nextId),
      clientId: payload.clientId,
      conversationId: '',
      senderId: me,
      recipientId: payload.in.id,
      content: payload.content,
      createdAt: new Date().toISOString(),
    };
    io.to(payload.in.id).emit('inbox:entry', { seq: 0, kind: 'message', message });
    if (typeof ack === 'function') ack({ ok: true, data: { message, seq: 0, duplicate: false } });
  });
});

http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  console.log(JSON.stringify({ relay: true, port: typeof address === 'object' && address ? address.port : port }));
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void io.close();
    process.exit(0);
  });
}
