// Installing a missing system package from Debian's archive, as the benchmark does for Chromium and
// Prosody on machines that start without them.
import { execFileSync } from 'node:child_process';

/** Runs `apt-get update`, then installs `pkg` quietly; throws what apt-get failed with. */
export function aptInstall(pkg: string, timeoutMs: number): void {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], {
    stdio: 'ignore',
    timeout: timeoutMs,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** The first line of what went wrong, for a one-line report. */
export const firstLine = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err));
