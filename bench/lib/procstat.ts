// Reads a process's CPU time, RSS and open files from /proc (Linux), from outside the process.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface ProcSample {
  at: number;
  cpuSeconds: number;
  rss: number;
}

export function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14, stime 15, rss (pages) 24.
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { at: performance.now(), cpuSeconds: (utime + stime) / TICKS_PER_SECOND, rss: rssPages * 4096 };
  } catch {
    return null;
  }
}

export function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** The soft limit on open files of a process (Linux), from /proc/<pid>/limits. */
export function openFileLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').split(/\s{2,}/).slice(1, 3);
    const num = (s: string | undefined) => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: num(soft), hard: num(hard) };
  } catch {
    return { soft: NaN, hard: NaN };
  }
}

/** CPU use of a process over time (1.0 = one core busy), sampled every `everyMs`. */
export class CpuMonitor {
  private timer: NodeJS.Timeout | undefined;
  private last: ProcSample | null = null;
  private readonly samples: number[] = [];
  private maxRss = 0;

  constructor(
    private readonly pid: () => number | undefined,
    private readonly everyMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.tick();
  }

  private tick(): void {
    const pid = this.pid();
    if (pid === undefined) return;
    const s = sampleProc(pid);
    if (!s) return;
    if (this.last && s.cpuSeconds >= this.last.cpuSeconds) {
      const elapsed = (s.at - this.last.at) / 1000;
      if (elapsed > 0) this.samples.push((s.cpuSeconds - this.last.cpuSeconds) / elapsed);
    }
    this.last = s;
    this.maxRss = Math.max(this.maxRss, s.rss);
  }

  stop(): { mean: number; peak: number; samples: number; peakRss: number } {
    if (this.timer) clearInterval(this.timer);
    this.tick();
    const mean = this.samples.length ? this.samples.reduce((a, b) => a + b, 0) / this.samples.length : NaN;
    return {
      mean,
      peak: this.samples.length ? Math.max(...this.samples) : NaN,
      samples: this.samples.length,
      peakRss: this.maxRss,
    };
  }
}
