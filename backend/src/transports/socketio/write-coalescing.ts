import type { ParleyServer, ParleySocket } from './types.js';

/**
 * Sends the packets Engine.IO has queued for one connection in one system call. Engine.IO writes
 * a connection's first packet at once and queues the ones that follow until that write is done;
 * it then sends the queue as one WebSocket frame per packet, and each frame was its own write(2)
 * (on loopback the costliest part of a presence fan-out). Corking the TCP socket for the flush lets
 * the frames leave together, whatever produced them (the presence changes of one tick, a burst of
 * messages). It listens to the server's 'flush' event, documented with the connection and its
 * queue, so no listener is added per connection.
 *
 * Only WebSocket connections that started as WebSocket qualify: their handshake request's socket
 * is the one the frames are written to (after an upgrade from long-polling it is not).
 */
export function coalesceWrites(engine: ParleyServer['engine']): void {
  engine.on('flush', (conn: ParleySocket['conn'], queue: unknown[]) => {
    if (queue.length < 2 || conn.upgraded || conn.transport.name !== 'websocket') return;
    const socket = conn.request.socket;
    if (!socket || socket.destroyed) return;
    socket.cork();
    // The frames are written synchronously within the flush; they leave once it is over.
    process.nextTick(() => socket.uncork());
  });
}
