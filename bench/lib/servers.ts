// Starts the measured servers as their own processes: the real Parley server
// (`backend/src/main.ts`, exactly as `npm start` runs it) and the bare Socket.IO relay.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeStats } from './probe.ts';
import { sleep, waitUntil } from './util.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const probeFile = fileURLToPath(new URL('./probe.ts', import.meta.url));

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  output(): string;
  /** Warning and error lines the server logged (JSON logs), counted by message. */
  warnings: Map<string, number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Memory and event-loop delay from inside the process (see probe.ts). */
  probe(options?: { gc?: boolean; reset?: boolean }): Promise<ProbeStats>;
  /** Starts a CPU profile inside the process, or stops it and writes it to `file` (.cpuprofile). */
  profile(action: 'start' | 'stop', file?: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface StartOptions {
  name: string;
  script: string;
  port: number;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Path answering 200 once the server is ready; or a pattern of the output line it prints when listening. */
  ready: { path: string } | { line: RegExp };
  readyTimeoutMs?: number;
}

export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const args = ['--expose-gc', ...(options.nodeArgs ?? []), '--import', 'tsx', '--import', probeFile, options.script];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  let partial = '';
  const warnings = new Map<string, number>();
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    if (output.length > 200_000) output = output.slice(-100_000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!/"level":(40|50|60)/.test(line)) continue;
      let message = line.slice(0, 160);
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: { code?: string; message?: string } };
        const cause = entry.err?.code ?? entry.err?.message?.trim().split('\n').at(-1)?.slice(0, 100);
        message = (entry.msg ?? message) + (cause ? ` (${cause})` : '');
      } catch {
        // keep the raw line
      }
      warnings.set(message, (warnings.get(message) ?? 0) + 1);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let nextProbe = 1;
  const waiting = new Map<number, (s: ProbeStats) => void>();
  const profiling = new Map<number, (result: string) => void>();
  child.on('message', (raw: unknown) => {
    const msg = raw as { probeReply?: number; stats?: ProbeStats; profiled?: string };
    if (typeof msg.probeReply !== 'number') return;
    if (msg.stats) waiting.get(msg.probeReply)?.(msg.stats);
    if (msg.profiled) profiling.get(msg.probeReply)?.(msg.profiled);
  });
  const url = `http://127.0.0.1:${options.port}`;
  const ready = waitUntil(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${options.name} exited early:\n${output.slice(-4000)}`);
      }
      // A log line rather than a probe connection when clients may be flooding the port: probes
      // would then wait in the full accept queue with everyone else.
      if ('line' in options.ready) return options.ready.line.test(output);
      try {
        const response = await fetch(url + options.ready.path, { signal: AbortSignal.timeout(1000) });
        return response.ok;
      } catch {
        return false;
      }
    },
    options.readyTimeoutMs ?? 60_000,
    `${options.name} to listen on ${url}`,
    50,
  );
  // A server that never came up must not outlive the run.
  await ready.catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const server: ServerProcess = {
    name: options.name,
    child,
    pid: child.pid!,
    port: options.port,
    url,
    output: () => output,
    warnings,
    exited,
    probe(opts = {}) {
      const id = nextProbe++;
      if (!child.connected) return Promise.reject(new Error(`${options.name} is gone`));
      return new Promise<ProbeStats>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${options.name} did not answer the probe within 30 s`));
        }, 30_000);
        waiting.set(id, (s) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(s);
        });
        child.send({ probe: id, gc: opts.gc ?? false, reset: opts.reset ?? false });
      });
    },
    profile(action, file) {
      const id = nextProbe++;
      if (!child.connected) return Promise.reject(new Error(`${options.name} is gone`));
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${options.name}: profiler did not answer`)), 60_000);
        profiling.set(id, (result) => {
          clearTimeout(timer);
          profiling.delete(id);
          if (result === 'ok') resolve();
          else reject(new Error(`${options.name}: profiler: ${result}`));
        });
        child.send({ probe: id, profile: action, file });
      });
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(10_000)]);
    },
  };
  return server;
}

export interface ParleyOptions {
  dbPath: string;
  port: number;
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** Count the server as up once it logs that it listens (a restart under a storm), not at /healthz. */
  readyOnListen?: boolean;
}

/** The real Parley server, configured for load: no per-user rate limit, quiet logs. */
export function startParley(options: ParleyOptions): Promise<ServerProcess> {
  return startServer({
    name: 'parley',
    script: join(repoRoot, 'backend', 'src', 'main.ts'),
    port: options.port,
    ready: options.readyOnListen ? { line: /"port":\d+/ } : { path: '/healthz' },
    // A restart under a storm starts while thousands of clients knock: give it longer.
    readyTimeoutMs: options.readyOnListen ? 120_000 : 60_000,
    nodeArgs: options.nodeArgs,
    env: {
      DATABASE_URL: `file:${options.dbPath}`,
      MESSAGE_RATE: '1000000',
      // The sign-in sample comes from one loopback address, as a whole office behind one NAT would.
      LOGIN_RATE_ADDRESS: '1000000',
      PRESENCE_GRACE_MS: '5000',
      // info only when the listening line is needed: it also logs each refused connection.
      LOG_LEVEL: options.readyOnListen ? 'info' : 'warn',
      PARLEY_DEMO: '1',
      NODE_ENV: 'production',
      ...options.env,
    },
  });
}

export function startRelay(port: number): Promise<ServerProcess> {
  return startServer({
    name: 'relay',
    script: join(repoRoot, 'bench', 'relay', 'server.ts'),
    port,
    ready: { path: '/ready' },
  });
}
