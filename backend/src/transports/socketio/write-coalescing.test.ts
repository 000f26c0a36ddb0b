import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParleyServer } from './types.js';
import { coalesceWrites } from './write-coalescing.js';

/**
 * A real Socket.IO server and client over loopback: a burst of events to one connection, and how
 * many writes its TCP socket made for them (counted through the socket's own `_write`/`_writev`,
 * the methods a stream implementation provides, which each end in one system call).
 */
const opened: { http: HttpServer; io: Server; client: ClientSocket }[] = [];

afterEach(async () => {
  for (const { http, io, client } of opened.splice(0)) {
    client.close();
    await new Promise<void>((resolve) => io.close(() => resolve()));
    http.close();
  }
});

async function burst(coalesce: boolean, events: number): Promise<{ writes: number; received: number[] }> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  if (coalesce) coalesceWrites((io as unknown as ParleyServer).engine);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const connected = new Promise<import('socket.io').Socket>((resolve) => io.on('connection', resolve));
  const client = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  opened.push({ http, io, client });
  const socket = await connected;
  const received: number[] = [];
  const all = new Promise<void>((resolve) =>
    client.on('n', (i: number) => {
      received.push(i);
      if (received.length === events) resolve();
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 50)); // the handshake's own writes are done
  const raw = socket.conn.request.socket as NetSocket & {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = raw[method].bind(raw);
    raw[method] = (...args: unknown[]) => {
      writes++;
      original(...args);
    };
  }
  for (let i = 0; i < events; i++) socket.emit('n', i);
  await all;
  return { writes, received };
}

describe('coalesceWrites', () => {
  it('sends the packets queued for one connection in one write, in order', async () => {
    const { writes, received } = await burst(true, 30);
    expect(received).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // The first packet leaves at once; the 29 queued behind it leave together.
    expect(writes).toBeLessThanOrEqual(3);
  });

  it('(without it, each queued packet is a write of its own)', async () => {
    const { writes, received } = await burst(false, 30);
    expect(received).toHaveLength(30);
    expect(writes).toBeGreaterThanOrEqual(20);
  });
});
