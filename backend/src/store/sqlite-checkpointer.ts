import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';

/**
 * The worker's code, plain CommonJS so it runs the same under tsx, vitest and node: its own
 * better-sqlite3 connection to the database file runs a PASSIVE checkpoint every `everyMs`.
 * PASSIVE copies what it can from the WAL into the database without waiting for, or blocking,
 * the writer; the fsync it ends with happens on this thread, not on the server's event loop.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 5000 });
const run = (mode) => {
  try {
    const [r] = db.pragma('wal_checkpoint(' + mode + ')');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
};
const timer = setInterval(() => run('PASSIVE'), workerData.everyMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  run('PASSIVE');
  db.close();
  parentPort.close();
});
`;

type Report = { ok: true; busy: number; log: number; checkpointed: number } | { ok: false; error: string };

/**
 * Keeps SQLite's WAL from being checkpointed on the event loop. By default SQLite checkpoints
 * inside the commit that crosses 1,000 WAL pages: that commit then copies pages into the database
 * and fsyncs it, and every message waiting behind it waits too (the p99 spikes of the message
 * benchmark). With this running, the server's own connection sets `wal_autocheckpoint = 0` and a
 * worker thread checkpoints instead. If the worker fails, the server's connection goes back to
 * SQLite's automatic checkpoints, so the WAL never grows without bound.
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private stopped = false;
  private failures = 0;

  private constructor(
    file: string,
    everyMs: number,
    private readonly logger: Logger,
    private readonly fallBack: () => Promise<void>,
    onCheckpoint: (pages: number) => void,
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, { eval: true, workerData: { file, everyMs, driver } });
    this.worker.unref();
    this.worker.on('message', (report: Report) => {
      if (report.ok) {
        this.failures = 0;
        onCheckpoint(report.checkpointed);
        return;
      }
      this.logger.warn({ err: report.error }, 'WAL checkpoint failed; trying again');
      if (++this.failures === 5) this.giveUp(new Error(report.error));
    });
    this.worker.on('error', (err) => this.giveUp(err));
    this.worker.on('exit', (code) => {
      if (!this.stopped) this.giveUp(new Error(`checkpoint worker exited with code ${code}`));
    });
  }

  /**
   * Turns off automatic checkpoints on the server's connection (`setAutocheckpoint(0)`) and starts
   * the worker; `setAutocheckpoint(1000)` is how it falls back.
   */
  static async start(
    file: string,
    setAutocheckpoint: (pages: number) => Promise<void>,
    logger: Logger,
    /** Told after each checkpoint how many WAL pages are now in the database. */
    onCheckpoint: (pages: number) => void = () => {},
    everyMs = 1000,
  ): Promise<SqliteCheckpointer> {
    await setAutocheckpoint(0);
    return new SqliteCheckpointer(file, everyMs, logger, () => setAutocheckpoint(1000), onCheckpoint);
  }

  /** Runs a last checkpoint and ends the worker. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Unreferenced, the worker would not keep the process alive for its last checkpoint, and a
    // shutdown waiting for it would end with the process exiting under it.
    this.worker.ref();
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage('stop');
    await exited;
  }

  private giveUp(err: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.logger.error({ err }, 'WAL checkpoint worker failed; SQLite checkpoints on the server connection again');
    void this.worker.terminate();
    this.fallBack().catch((fallBackErr: unknown) =>
      this.logger.error({ err: fallBackErr }, 'could not turn automatic WAL checkpoints back on'),
    );
  }
}
