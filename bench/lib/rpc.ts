// A small request/response layer over child_process IPC between the coordinator and its load
// generator processes. Every call has a time limit; a worker exits when its parent goes away.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Request {
  rpc: number;
  cmd: string;
  args: unknown;
}
interface Reply {
  rpc: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
interface Event {
  event: string;
  data: unknown;
}

export class WorkerHandle {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((event: string, data: unknown) => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (raw: unknown) => {
      const msg = raw as Partial<Reply & Event>;
      if (typeof msg.rpc === 'number') {
        const waiter = this.pending.get(msg.rpc);
        if (!waiter) return;
        this.pending.delete(msg.rpc);
        if (msg.ok) waiter.resolve(msg.result);
        else waiter.reject(new Error(`${name}: ${msg.error}`));
      } else if (typeof msg.event === 'string') {
        for (const l of this.listeners) l(msg.event, msg.data);
      }
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        for (const w of this.pending.values()) w.reject(new Error(`${name} exited (${code})`));
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    const rpc = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rpc);
        reject(new Error(`${this.name}: ${cmd} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rpc, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ rpc, cmd, args } satisfies Request);
    });
  }

  onEvent(listener: (event: string, data: unknown) => void): void {
    this.listeners.push(listener);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts a worker script (TypeScript, through tsx) as its own process. */
export function startWorker(file: URL, name: string, execArgv: string[] = []): WorkerHandle {
  const child = fork(fileURLToPath(file), [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return new WorkerHandle(name, child);
}

/** Worker side: answers the coordinator's calls with the given handlers. */
export function serveRpc(handlers: Record<string, (args: never) => unknown>): void {
  if (!process.send) throw new Error('this file is a bench worker; run it through `npm run bench`');
  process.on('message', (raw: unknown) => {
    const { rpc, cmd, args } = raw as Request;
    const handler = handlers[cmd];
    const reply = (r: Reply) => process.send?.(r);
    if (!handler) return reply({ rpc, ok: false, error: `unknown command ${cmd}` });
    Promise.resolve()
      .then(() => (handler as (a: unknown) => unknown)(args))
      .then(
        (result) => reply({ rpc, ok: true, result }),
        (err: unknown) =>
          reply({ rpc, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  // The coordinator went away: nothing to report to any more.
  process.on('disconnect', () => process.exit(0));
  // Stopped: exit normally, so a worker started with --cpu-prof writes its profile.
  process.on('SIGTERM', () => process.exit(0));
}

export function emitEvent(event: string, data: unknown): void {
  process.send?.({ event, data } satisfies Event);
}
