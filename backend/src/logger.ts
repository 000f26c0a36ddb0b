import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout (or `destination`, which tests use to read them). Tokens and passwords are
 * never logged on purpose; the redact list is a backstop, and a test reads every line written
 * during the sign-in flows to prove no secret gets through.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { app: 'parley' },
    redact: [
      'token',
      'password',
      'identity',
      'secret',
      '*.token',
      '*.password',
      '*.identity',
      '*.secret',
      'req.headers.authorization',
      'req.headers.cookie',
    ],
  };
  return destination ? pino(options, destination) : pino(options);
}
