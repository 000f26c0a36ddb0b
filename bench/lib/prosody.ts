// Prosody, the classic XMPP server, beside Parley: installed from Debian's package when missing
// (as root with apt-get), started by the benchmark as a foreground child process with its own
// temporary config and data folder on loopback, with offline storage on.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall, firstLine } from './apt.ts';
import { portOpen } from './servers.ts';
import { sleep, waitUntil } from './util.ts';

const PROSODY = '/usr/bin/prosody';
const POLICY = '/usr/sbin/policy-rc.d';

export type ProsodyAvailability = { ok: true; version: string } | { ok: false; reason: string };

function version(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'prosody'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown version';
  }
}

/** Finds Prosody, installing Debian's package when it is missing and this process may. */
export function ensureProsody(log: (m: string) => void): ProsodyAvailability {
  if (existsSync(PROSODY)) return { ok: true, version: version() };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    const reason = `Prosody is not installed and cannot be installed from here (${hasApt ? 'not root' : 'no apt-get'})`;
    log(`${reason}. Install it with \`sudo apt-get install -y prosody\` to get its row.`);
    return { ok: false, reason };
  }
  log('installing Prosody with apt-get (once per machine)…');
  // Keep the package from starting a system-wide daemon: the benchmark runs its own.
  const ownPolicy = !existsSync(POLICY);
  try {
    if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    aptInstall('prosody', 300_000);
  } catch (err) {
    const reason = `installing Prosody failed: ${firstLine(err)}`;
    log(reason);
    return { ok: false, reason };
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
  return existsSync(PROSODY)
    ? { ok: true, version: version() }
    : { ok: false, reason: 'apt-get ran but prosody is missing' };
}

export interface ProsodyServer {
  child: ChildProcess;
  pid: number;
  port: number;
  domain: string;
  stop(): Promise<void>;
  output(): string;
}

const lua = (s: string) => JSON.stringify(s); // a Lua string literal for plain ASCII paths

export async function startProsody(options: {
  dir: string;
  port: number;
  users: string[];
  password: string;
}): Promise<ProsodyServer> {
  const domain = 'localhost';
  const data = join(options.dir, 'data');
  mkdirSync(join(data, domain, 'accounts'), { recursive: true });
  mkdirSync(join(options.dir, 'certs'), { recursive: true });
  // Accounts as mod_auth_internal_plain stores them: one Lua file per user.
  for (const user of options.users) {
    writeFileSync(
      join(data, domain, 'accounts', `${user}.dat`),
      `return {\n\t["password"] = ${lua(options.password)};\n};\n`,
    );
  }
  const config = join(options.dir, 'prosody.cfg.lua');
  writeFileSync(
    config,
    `-- Written by Parley's benchmark for one run.
run_as_root = true
pidfile = ${lua(join(options.dir, 'prosody.pid'))}
data_path = ${lua(data)}
certificates = ${lua(join(options.dir, 'certs'))}
network_backend = "epoll"
modules_enabled = { "roster"; "saslauth"; "disco"; "offline"; "ping"; "posix" }
modules_disabled = { "s2s" }
c2s_ports = { ${options.port} }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = { }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
log = { error = ${lua(join(options.dir, 'prosody.log'))} }
VirtualHost "${domain}"
`,
  );
  const child = spawn(PROSODY, ['-F', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.dir });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`prosody exited: ${output.slice(-2000)}`);
      return portOpen(options.port);
    },
    30_000,
    'prosody to listen',
    100,
  );
  return {
    child,
    pid: child.pid!,
    port: options.port,
    domain,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
