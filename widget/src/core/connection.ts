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

export type ConnectionStatus = 'signed-out' | 'connecting' | 'online' | 'offline';
export type ServerEvent = keyof ServerToClientEvents;
type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Subscribes to a server event, on this socket and every later one; returns the unsubscribe. */
export type On = <E extends ServerEvent>(event: E, handler: ServerToClientEvents[E]) => () => void;
/** Emits a request and unwraps its result; throws an Error carrying the server's code and message. */
export type Request = <E extends ClientEventName>(event: E, payload: Payload<E>) => Promise<ReplyData[E]>;

const REQUEST_TIMEOUT_MS = 15_000;
/** Handshake refusals that may pass (a node shutting down, a full quota, a fault); others are final. */
const TRANSIENT = new Set<string>(['internal', 'unavailable', 'rate_limited']);

/**
 * The socket: typed requests with a timeout, reconnects with backoff, and handlers that outlive a
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
    const socket: ClientSocket = io(server, {
      auth,
      transports: ['websocket', 'polling'],
      // Exponential backoff with jitter, so a restarted server is not hit by every client at once.
      reconnectionDelay: 500,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
    });
    current = socket;
    status.value = 'connecting';
    let refusals = 0;

    socket.on('connect_error', (err: Error & { data?: ErrorBody }) => {
      const code = err.data?.code;
      if (code && !TRANSIENT.has(code)) {
        // Not a network problem: retrying cannot help.
        console.error(`[Parley] connection refused (${code}): ${err.data!.message}`);
        refused(err.data!);
        return;
      }
      status.value = 'offline';
      // A refusal from the server (as opposed to a network error) is not retried by Socket.IO itself.
      if (code) {
        refusals++;
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(refusals, 5)) * (0.5 + Math.random());
        setTimeout(() => {
          if (current === socket && !socket.connected) socket.connect();
        }, delay);
      }
    });
    socket.on('connect', () => {
      refusals = 0;
      socket.io.reconnectionDelay(500);
    });
    socket.on('server:shutdown', ({ reconnectWithinMs }) => {
      // A deploy, not a sign-out: the server closes the transport next and Socket.IO reconnects by
      // itself (a load balancer sends it to another node). Spread the herd of reconnecting widgets;
      // pending messages go again after session:ready, with their client ids.
      socket.io.reconnectionDelay(250 + Math.random() * Math.max(0, reconnectWithinMs - 250));
    });
    socket.on('disconnect', () => {
      if (current === socket) status.value = 'offline';
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
