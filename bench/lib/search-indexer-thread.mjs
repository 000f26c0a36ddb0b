// bench/search-indexing.ts, placement "own connection": the search indexer on a connection of its
// own in this thread, a pass of `pass` messages every `everyMs` (passes back to back while more
// wait), until told to stop. Registers tsx itself: worker threads do not inherit the loader.
import { parentPort, workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
const { default: Database } = await import('better-sqlite3');
const { SearchIndexer } = await import('@parley/backend/testing');

const db = new Database(workerData.file, { timeout: 5000 });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const indexer = new SearchIndexer(db);
let stopped = false;
const tick = () => {
  if (stopped) return;
  while (indexer.pass(workerData.pass).more && !stopped);
  setTimeout(tick, workerData.everyMs);
};
setTimeout(tick, workerData.everyMs);
parentPort.on('message', () => {
  stopped = true;
  db.close();
  parentPort.close();
});
// oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker thread's port, not a window
parentPort.postMessage({ ready: true });
