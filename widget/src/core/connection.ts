import { signal } from '@preact/signals-core';
import { io, type Socket } from 'socket.io-client';
import type {
  ClientEventName,
  ClientToServerEvents,
  ErrorBody,
  HandshakeAuth,
  Payload,
  ReplyData,
  Result,
  ServerToClientEvents,
} from '@parley/backend/protocol';
import { CONNECT_TIMEOUT_MS, shutdownDelay, TRANSIENT_REFUSALS } from './reconnect-policy.js';
import { createReconnector } from './reconnector.js';

export type ConnectionStatus = 'signed-out' | 'connecting' | 'online' | 'offline';
export type ServerEvent = keyof ServerToClientEvents;
type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Subscribes to a server event, on this socket and every later one; returns the unsubscribe. */
export type On = <E extends ServerEvent>(event: E, handler: ServerToClientEvents[E]) => () => void;
/** Emits a request and unwraps its result; throws an Error carrying the server's code and message. */
export type Request = <E extends ClientEventName>(event: E, payload: Payload<E>) => Promise<ReplyData[E]>;

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The socket: typed requests with a timeout, reconnects with the reconnect policy (full-jitter
 * backoff; the server's own delay after server:shutdown), and handlers that outlive a
 * socket (a new sign-in makes a new one). It knows nothing of what the events mean; `refused` is
 * told when the server turns the handshake down for good.
 */
export type Connection = ReturnType<typeof createConnection>;

export function createConnection(server: string, refused: (error: ErrorBody) => void) {
  const status = signal<ConnectionStatus>('signed-out');
  let current: ClientSocket | null = null;
  const handlers = new Set<[ServerEvent, (...args: never[]) => void]>();

  const on: On = (event, handler) => {
    const entry: [ServerEvent, (...args: never[]) => void] = [event, handler as (...args: never[]) => void];
    handlers.add(entry);
    current?.on(event, handler as never);
    return () => {
      handlers.delete(entry);
      current?.off(event, handler as never);
    };
  };

  const request: Request = async (event, payload) => {
    const socket = current;
    if (!socket?.connected) throw new Error('Not connected.');
    // Socket.IO's typed emitWithAck cannot be indexed by a generic event; the cast is the seam.
    const timed = socket.timeout(REQUEST_TIMEOUT_MS) as unknown as {
      emitWithAck(e: typeof event, p: typeof payload): Promise<Result<ReplyData[typeof event]>>;
    };
    const result = await timed.emitWithAck(event, payload);
    if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
    return result.data;
  };

  /** Connects (again) with `auth`, replacing any socket there was. */
  const open = (auth: HandshakeAuth): void => {
    current?.disconnect();
    // Reconnects are ours, not Socket.IO's: its backoff jitters ±50% around one curve, so widgets
    // that lost a server at the same instant come back in waves (see reconnect-policy.ts).
    const socket: ClientSocket = io(server, {
      auth,
      transports: ['websocket', 'polling'],
      reconnection: false,
      timeout: CONNECT_TIMEOUT_MS,
    });
    current = socket;
    status.value = 'connecting';
    const retry = createReconnector(socket, () => current === socket);

    socket.on('connect_error', (err: Error & { data?: ErrorBody }) => {
      const code = err.data?.code;
      if (code && !TRANSIENT_REFUSALS.has(code)) {
        // Not a network problem: retrying cannot help.
        console.error(`[Parley] connection refused (${code}): ${err.data!.message}`);
        refused(err.data!);
        return;
      }
      status.value = 'offline';
      retry.failed(code !== undefined);
    });
    socket.on('connect', () => retry.connected());
    socket.on('server:shutdown', (hint) => {
      // A deploy, not a sign-out: the server closes the transport next and we reconnect (a load
      // balancer sends us to another node) after the delay it gave this connection, which spreads
      // the herd of reconnecting widgets. Pending messages go again after session:ready.
      retry.after(shutdownDelay(hint));
    });
    socket.on('disconnect', (reason) => {
      if (current !== socket) return;
      status.value = 'offline';
      // The server ended the session on purpose (session:ended came first); anything else is a loss.
      if (reason !== 'io server disconnect' && reason !== 'io client disconnect') retry.lost();
    });
    for (const [event, handler] of handlers) socket.on(event, handler as never);
  };

  return {
    status,
    get connected(): boolean {
      return current?.connected ?? false;
    },
    on,
    request,
    open,
    /** What the next reconnect presents (a session token once an identity token opened one). */
    setAuth(auth: HandshakeAuth): void {
      if (current) current.auth = auth;
    },
    close(): void {
      // Forgotten first: its own disconnect event must not set the status any more.
      const socket = current;
      current = null;
      socket?.disconnect();
    },
  };
}
