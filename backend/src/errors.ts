import { ErrorCode, type ErrorBody } from './protocol/index.js';

/** An error meant for the client: its code and message are safe to send as they are. */
export class ParleyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What caused it, for the log (never sent to the client). */
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ParleyError';
  }
}

/**
 * What a client may see of any thrown value: a ParleyError as it is, anything else as a generic
 * internal error, so no exception text or stack leaves the server. The caller logs the original.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ParleyError) return { code: err.code, message: err.message };
  return { code: ErrorCode.Internal, message: 'Something went wrong on the server.' };
}
