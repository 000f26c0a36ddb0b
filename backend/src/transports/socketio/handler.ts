import { ErrorCode, type ClientEventName, type Payload, type ReplyData, type Result } from '../../protocol/index.js';
import { containsNul, describeIssues, schemas } from '../../protocol/schemas.js';
import { toErrorBody } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { Metrics } from '../../metrics.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { Lifecycle, ParleySocket } from './types.js';

/** How the server answers one client event: its rate limit, and what it does for the socket it came on. */
export interface Route<E extends ClientEventName> {
  /** Taken once per event, keyed by the user. */
  limiter?: Limiter;
  /**
   * `afterAnswer` hands over work to run right after the acknowledgement is sent, in the same
   * turn: a message's delivery to everyone else, so the sender's connection gets its answer
   * (which carries its own inbox entry) before any later entry of its inbox.
   */
  run(socket: ParleySocket, payload: Payload<E>, afterAnswer: (then: () => void) => void): Promise<ReplyData[E]>;
}

/** A route for every event of the protocol (the type checker sees that none is missing). */
export type Routes = { [E in ClientEventName]: Route<E> };

type Reply = (result: Result<unknown>) => void;

/**
 * The one listener of every event of every socket: `socket.onAny(listener)`, which Socket.IO calls
 * with the socket as `this`. Built once per server, so a connection costs no closures of its own
 * (there were about seventy per socket, a third of the heap a connection took). For each event:
 * unknown events are refused; while the node shuts down, events are answered `unavailable`;
 * otherwise the event counts as in flight until answered (shutdown waits for the answers) and is
 * timed for /metrics, its rate limit is taken, its payload validated against its schema, and its
 * route's result or error code (never exception text) answers the acknowledgement. Unexpected
 * errors are logged with the user, socket and event.
 */
export function createEventListener(
  routes: Routes,
  deps: { logger: Logger; lifecycle: Lifecycle; metrics: Metrics },
): (this: ParleySocket, event: unknown, ...args: unknown[]) => void {
  const { logger, lifecycle, metrics } = deps;

  async function answer(socket: ParleySocket, event: ClientEventName, payload: unknown, reply: Reply): Promise<void> {
    const route = routes[event] as Route<ClientEventName>;
    if (route.limiter && !(await route.limiter.take(socket.data.user.id))) {
      reply({ ok: false, error: { code: ErrorCode.RateLimited, message: 'Too many requests. Wait a moment.' } });
      return;
    }
    if (containsNul(payload)) {
      reply({ ok: false, error: { code: ErrorCode.BadRequest, message: 'Text must not contain U+0000.' } });
      return;
    }
    const parsed = schemas[event].safeParse(payload);
    if (!parsed.success) {
      reply({ ok: false, error: { code: ErrorCode.BadRequest, message: describeIssues(parsed.error) } });
      return;
    }
    let then: (() => void) | undefined;
    try {
      const data = await route.run(socket, parsed.data as Payload<ClientEventName>, (work) => (then = work));
      reply({ ok: true, data });
    } catch (err) {
      const body = toErrorBody(err);
      if (body.code === ErrorCode.Internal) {
        logger.error({ err, event, socket: socket.id, user: socket.data.user.id }, 'event handler failed');
      }
      reply({ ok: false, error: body });
      return;
    }
    try {
      then?.();
    } catch (err) {
      logger.error({ err, event, socket: socket.id, user: socket.data.user.id }, 'work after the answer failed');
    }
  }

  return function onEvent(this: ParleySocket, event: unknown, ...args: unknown[]): void {
    const ack = args[args.length - 1];
    // Own keys only: `toString` or `__proto__` are in every object but are no events.
    if (typeof event !== 'string' || !Object.hasOwn(schemas, event)) {
      if (typeof ack === 'function') {
        metrics.events.observe({ event: 'unknown', outcome: ErrorCode.BadRequest }, 0);
        (ack as Reply)({
          ok: false,
          error: { code: ErrorCode.BadRequest, message: `Unknown event "${String(event).slice(0, 64)}".` },
        });
      }
      return;
    }
    const name = event as ClientEventName;
    if (typeof ack !== 'function') {
      logger.warn({ event, socket: this.id, user: this.data.user.id }, 'event without acknowledgement ignored');
      return;
    }
    if (lifecycle.closing) {
      // Shutting down: answer at once; the client resends after reconnecting to another node.
      (ack as Reply)({
        ok: false,
        error: { code: ErrorCode.Unavailable, message: 'The server is restarting. Send again after reconnecting.' },
      });
      logger.debug({ event, socket: this.id, user: this.data.user.id }, 'event refused: shutting down');
      return;
    }
    // In flight until answered, so shutdown can wait for the answer; timed for /metrics.
    lifecycle.inFlight++;
    const timer = metrics.events.startTimer({ event: Metrics.eventLabel(name) });
    let answered = false;
    const reply: Reply = (result) => {
      if (answered) return;
      answered = true;
      lifecycle.inFlight--;
      timer({ outcome: result.ok ? 'ok' : result.error.code });
      (ack as Reply)(result);
    };
    answer(this, name, args[0], reply).catch((err: unknown) => {
      // The rate limiter failed (Redis away, in cluster mode): answer anyway, never leave it in flight.
      logger.error({ err, event, socket: this.id, user: this.data.user.id }, 'event handler failed');
      reply({ ok: false, error: toErrorBody(err) });
    });
  };
}
