import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  os: string;
  node: string;
  disk: string;
  /** Load average (1 min) when the run started: other work on the machine skews the figures. */
  loadAtStart: number;
  loadAtEnd?: number;
  openFilesLimit: string;
}

function cpuModel(): string {
  try {
    const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
    const model = /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim();
    if (model) return model;
  } catch {
    // fall through
  }
  return cpus()[0]?.model ?? 'unknown';
}

function disk(path: string): string {
  try {
    const out = execFileSync('df', ['-hT', path], { encoding: 'utf8' }).trim().split('\n')[1] ?? '';
    const [device, fsType] = out.split(/\s+/);
    return `${fsType} on ${device}`;
  } catch {
    return 'unknown';
  }
}

export function describeMachine(dataDir: string, openFiles: { soft: number; hard: number }): Machine {
  let os = `${type()} ${release()}`;
  try {
    os = /PRETTY_NAME="(.+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] + ` (${type()} ${release()})`;
  } catch {
    // keep the kernel name
  }
  return {
    cores: cpus().length,
    cpuModel: cpuModel(),
    memoryBytes: totalmem(),
    os,
    node: process.version,
    disk: disk(dataDir),
    loadAtStart: loadavg()[0]!,
    openFilesLimit: `${openFiles.soft} soft / ${openFiles.hard} hard`,
  };
}
