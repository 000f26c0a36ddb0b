// `npm run cluster [-- <nodes>]`: several Parley nodes on one machine, on ports PORT, PORT+1, …
// (default 3 nodes from 3000), sharing DATABASE_URL (PostgreSQL) and REDIS_URL. Every other
// setting is passed through. Ctrl-C stops them all. See docs/deployment.md.
// Cluster mode stores files on S3-compatible storage: without FILE_STORAGE set, this script starts
// one in its own process (s3rver, a development server) on data/cluster-s3 and points the nodes at it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { repoRoot } from '../src/paths.js';
import { startS3, type TestS3 } from '../src/testing.js';

const count = Number(process.argv[2] ?? process.env.NODES ?? 3);
if (!Number.isInteger(count) || count < 1 || count > 32) {
  console.error(`cluster: the number of nodes must be 1 to 32, got "${process.argv[2] ?? process.env.NODES}"`);
  process.exit(2);
}

let s3: TestS3 | null = null;
if (process.env.REDIS_URL && !process.env.FILE_STORAGE) {
  s3 = await startS3(join(repoRoot, 'data', 'cluster-s3'));
  Object.assign(process.env, s3.env);
  console.log(`cluster: files on a development S3 server at ${s3.config.endpoint} (data/cluster-s3)`);
}

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  console.error(`cluster: ${(err as Error).message}`);
  process.exit(2);
}
if (!config.redis || config.database.kind !== 'postgres') {
  console.error(
    [
      'cluster: several nodes need a PostgreSQL database and a Redis, for example',
      '  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/parley REDIS_URL=redis://127.0.0.1:6379 npm run cluster',
      `(now: DATABASE_URL is ${config.database.kind}, REDIS_URL is ${config.redis ? 'set' : 'unset'})`,
    ].join('\n'),
  );
  process.exit(2);
}
const basePort = config.port || 3000;
const children: ChildProcess[] = [];
let stopping = false;

/** Starts node `i` and resolves once it listens (it says so over IPC, whatever LOG_LEVEL is). */
function startNode(i: number): Promise<void> {
  const port = basePort + i;
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'backend', 'src', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(child);
  const tag = `[node ${i + 1} :${port}]`;
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        console.log(`${tag} ${line}`);
      });
    }
    child.on('message', (message: { type?: string }) => {
      if (message.type === 'parley:listening') resolve();
    });
    child.once('exit', (code, signal) => {
      console.log(`${tag} exited (${signal ?? `code ${code}`})`);
      reject(new Error(`${tag} stopped before it listened`));
      if (!stopping && children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(1);
    });
  });
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
    .then(() => s3?.close())
    .then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

try {
  // The first node migrates the database (and seeds the demo); the others start once it is up.
  await startNode(0);
  await Promise.all(Array.from({ length: count - 1 }, (_, i) => startNode(i + 1)));
  const urls = Array.from({ length: count }, (_, i) => `http://localhost:${basePort + i}/`);
  console.log(`cluster: ${count} node(s) up: ${urls.join(' ')}`);
} catch (err) {
  console.error(`cluster: ${(err as Error).message}; stopping`);
  stop();
}
