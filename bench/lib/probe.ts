// Loaded into the measured server process with `--import` (it changes nothing the server does):
// answers the coordinator's IPC questions about the process's own memory and event-loop delay,
// which cannot be read from outside. The load itself always comes from other processes.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProbeStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Event-loop delay since the last reset, ms. */
  eld: { p50: number; p99: number; max: number; mean: number; count: number };
  cpuUserUs: number;
  cpuSystemUs: number;
}

const RESOLUTION_MS = 10;
const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
eld.enable();

let inspector: Session | undefined;

/** CPU profiling on demand (`--cpu-prof` of the benchmark), through the inspector of this process. */
function profile(id: number, action: 'start' | 'stop', file?: string): void {
  const done = (error?: string): void => {
    process.send?.({ probeReply: id, profiled: error ?? 'ok' });
  };
  if (action === 'start') {
    inspector ??= new Session();
    try {
      inspector.connect();
    } catch {
      // already connected
    }
    inspector.post('Profiler.enable', () =>
      inspector!.post('Profiler.setSamplingInterval', { interval: 1000 }, () =>
        inspector!.post('Profiler.start', (err) => done(err?.message)),
      ),
    );
    return;
  }
  if (!inspector) return done('not profiling');
  inspector.post('Profiler.stop', (err, result) => {
    if (err || !file) return done(err?.message ?? 'no file');
    writeFileSync(file, JSON.stringify(result.profile));
    done();
  });
}

if (process.send) {
  process.on('message', (raw: unknown) => {
    const msg = raw as { probe?: number; gc?: boolean; reset?: boolean; profile?: 'start' | 'stop'; file?: string };
    if (typeof msg?.probe !== 'number') return;
    if (msg.profile) return profile(msg.probe, msg.profile, msg.file);
    const gc = (globalThis as { gc?: () => void }).gc;
    if (msg.gc && gc) {
      gc();
      gc();
    }
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    // The histogram holds whole timer intervals; the delay is what exceeds the interval.
    const over = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const stats: ProbeStats = {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      eld: {
        p50: over(eld.percentile(50)),
        p99: over(eld.percentile(99)),
        max: over(eld.max),
        mean: over(eld.mean),
        count: eld.count,
      },
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
    };
    if (msg.reset) eld.reset();
    process.send?.({ probeReply: msg.probe, stats });
  });
  process.channel?.unref();
}
