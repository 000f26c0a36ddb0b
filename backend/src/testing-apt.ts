import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Installs a Debian package with apt-get for a test that needs a real daemon (coturn, Prosody),
 * once per machine: needs root and apt-get, and throws with what to do otherwise (`hint`).
 * `present` says whether the program is there, before and after.
 */
export function ensureDebianPackage(pkg: string, present: () => boolean, label: string, hint: string): void {
  if (present()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `${label} is missing and cannot be installed from here (${isRoot ? 'no apt-get' : 'not root'}). ${hint}`,
    );
  }
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  console.log(`${pkg}: installing with apt-get (once per machine)…`);
  try {
    execFileSync('apt-get', [...lock, 'install', '-y', '-qq', pkg], { stdio: 'inherit', env });
  } catch {
    // The package lists may be missing or stale on a fresh machine.
    execFileSync('apt-get', [...lock, 'update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', [...lock, 'install', '-y', '-qq', pkg], { stdio: 'inherit', env });
  }
  if (!present()) throw new Error(`apt-get installed ${pkg} but ${label} is still missing`);
}
