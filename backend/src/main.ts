// `npm start`: runs one Parley node with the settings from the environment (docs/configuration.md).
import { createApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfig(process.env);
const app = await createApp({ config });
const port = await app.listen();
app.logger.info({ port, database: config.database.kind }, `Parley is listening on http://localhost:${port}/`);
// A parent that started this node with an IPC channel (`npm run cluster`) learns that it listens
// from this message, whatever LOG_LEVEL hides; the channel must not keep the process alive.
if (process.send) {
  process.send({ type: 'parley:listening', port });
  process.channel?.unref();
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    // Bounded: if something hangs, leave anyway; every acknowledged message is already on disk,
    // and clients resend what was not acknowledged.
    setTimeout(() => {
      app.logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
