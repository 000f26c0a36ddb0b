import { ErrorCode, type ClientEventName, type Payload, type ReplyData, type Result } from '../protocol/index.js';
import { containsNul, describeIssues, schemas } from '../protocol/schemas.js';
import { toErrorBody } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Limiter } from '../services/rate-limiter.js';
import type { ParleySocket } from './types.js';

/**
 * Registers one client event: validates the payload against its schema, runs the handler and
 * answers the acknowledgement with a Result. Handler errors become error codes (never exception
 * text); unexpected ones are logged with the user, socket and event.
 */
export function handle<E extends ClientEventName>(
  socket: ParleySocket,
  logger: Logger,
  event: E,
  handler: (payload: Payload<E>) => Promise<ReplyData[E]>,
  limiter?: Limiter,
): void {
  const listener = async (payload: unknown, ack: unknown) => {
    if (typeof ack !== 'function') {
      logger.warn({ event, socket: socket.id, user: socket.data.user.id }, 'event without acknowledgement ignored');
      return;
    }
    const reply = ack as (result: Result<ReplyData[E]>) => void;
    if (limiter && !(await limiter.take(socket.data.user.id))) {
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
    try {
      reply({ ok: true, data: await handler(parsed.data as Payload<E>) });
    } catch (err) {
      const body = toErrorBody(err);
      if (body.code === ErrorCode.Internal) {
        logger.error({ err, event, socket: socket.id, user: socket.data.user.id }, 'event handler failed');
      }
      reply({ ok: false, error: body });
    }
  };
  // Socket.IO's typed `on` cannot express "validate unknown input first"; the cast is the seam.
  (socket.on as (event: string, listener: (...args: unknown[]) => void) => void)(event, (...args) => {
    void listener(args[0], args[args.length - 1]);
  });
}

/** Answers events the protocol does not know with an error instead of silence. */
export function refuseUnknownEvents(socket: ParleySocket): void {
  socket.onAny((event: string, ...args: unknown[]) => {
    // Own keys only: `toString` or `__proto__` are in every object but are no events.
    if (Object.hasOwn(schemas, event)) return;
    const ack = args[args.length - 1];
    if (typeof ack === 'function') {
      ack({
        ok: false,
        error: { code: ErrorCode.BadRequest, message: `Unknown event "${String(event).slice(0, 64)}".` },
      });
    }
  });
}
