import { reconnectDelay, refusedDelay } from './reconnect-policy.js';

/** What the reconnector needs of a socket (Socket.IO's client socket has both). */
export interface Reconnectable {
  readonly connected: boolean;
  connect(): unknown;
}

export type Reconnector = ReturnType<typeof createReconnector>;

/**
 * Schedules the attempts to get a socket back, by the reconnect policy: after a loss with
 * reconnectDelay (full-jitter backoff), after a refusal with refusedDelay, and after
 * `server:shutdown` with the delay the server gave this connection. One timer at a time; nothing
 * once `alive()` is false (a new sign-in replaced the socket, or the widget shut down). The socket
 * is made with Socket.IO's own reconnection off; the connection tells this what happened.
 *
 * The benchmark's reconnect storm (bench/workers/conn-worker.ts) drives its sockets with this too.
 */
export function createReconnector(socket: Reconnectable, alive: () => boolean = () => true) {
  let attempt = 0;
  let refusals = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Set by server:shutdown: the next wait is this, not the backoff's. */
  let hinted: number | undefined;
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (alive() && !socket.connected) socket.connect();
    }, ms);
  };
  return {
    /** The server said when to come back (server:shutdown); the loss follows. */
    after(ms: number): void {
      hinted = ms;
    },
    /** The connection dropped (anything but a disconnect on purpose). */
    lost(): void {
      if (!alive()) return;
      const ms = hinted ?? reconnectDelay(attempt++);
      hinted = undefined;
      schedule(ms);
    },
    /** An attempt failed: a network error or timeout, or a refusal that may pass (`refusal`). */
    failed(refusal: boolean): void {
      if (!alive()) return;
      schedule(refusal ? refusedDelay(++refusals) : reconnectDelay(attempt++));
    },
    /** Connected: the next loss starts the backoff from the beginning. */
    connected(): void {
      clearTimeout(timer);
      timer = undefined;
      attempt = 0;
      refusals = 0;
      hinted = undefined;
    },
    /** Stops any attempt that is scheduled. */
    cancel(): void {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
