/**
 * A real XMPP server for tests: Debian's Prosody, installed when missing, started in the
 * foreground on loopback with its own configuration and data folder (a c2s port for XMPP clients,
 * a component port for Parley), and `prosodyctl register` for test users. It can be stopped and
 * started again on the same ports and data (a restart). Exported through `@parley/backend/testing`;
 * nothing in src/ imports it.
 *
 * @example
 * const prosody = await startProsody({ component: 'parley.localhost' });
 * await prosody.register('xena', 'xena-pass');
 * const server = await startServer({ config: { xmpp: prosody.componentConfig } });
 * // … an @xmpp/client as xena@localhost on prosody.c2sPort …
 * await prosody.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackage } from './testing-apt.js';

export interface Prosody {
  /** The virtual host of the test users (`localhost`). */
  host: string;
  /** The component's domain, e.g. `parley.localhost`. */
  component: string;
  c2sPort: number;
  componentPort: number;
  secret: string;
  /** What Parley needs to connect (XMPP_COMPONENT_HOST/PORT/DOMAIN/SECRET). */
  componentConfig: { host: string; port: number; domain: string; secret: string };
  /** Creates an account `<user>@<host>`. */
  register(user: string, password: string): Promise<void>;
  /** Stops Prosody (its data stays); `start` brings it back on the same ports. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** What Prosody printed so far. */
  output(): string;
  /** Stops Prosody and removes its folder. */
  stop(): Promise<void>;
}

const PROSODY = process.env.PROSODY_PATH || 'prosody';
const PROSODYCTL = process.env.PROSODYCTL_PATH || 'prosodyctl';

function hasProsody(): boolean {
  try {
    execFileSync('which', [PROSODY], { stdio: 'ignore' });
    return true;
  } catch {
    return existsSync(PROSODY);
  }
}

/**
 * Installs Debian's `prosody` with apt-get when it is missing (as testing-turn.ts does for
 * coturn): needs root and apt-get; throws with what to do otherwise.
 */
export function ensureProsody(): void {
  ensureDebianPackage(
    'prosody',
    hasProsody,
    'prosody',
    'Install it: `sudo apt-get install -y prosody`, or set PROSODY_PATH and PROSODYCTL_PATH.',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
  });
}

const lua = (s: string) => JSON.stringify(s);

/**
 * Starts Prosody with a configuration of its own in a temporary folder: one virtual host
 * (`localhost`) whose users log in without TLS (loopback only), one component, no s2s, offline
 * storage, and nothing read from /etc/prosody.
 */
export async function startProsody(options: { component?: string; host?: string } = {}): Promise<Prosody> {
  ensureProsody();
  const host = options.host ?? 'localhost';
  const component = options.component ?? 'parley.localhost';
  const secret = randomBytes(18).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'parley-prosody-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const c2sPort = await freePort();
  const componentPort = await freePort();
  const config = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    config,
    [
      'run_as_root = true', // CI runs as root; a test server on loopback with throwaway data.
      'daemonize = false',
      `pidfile = ${lua(join(dir, 'prosody.pid'))}`,
      `data_path = ${lua(data)}`,
      'plugin_paths = {}',
      'modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "offline"; "posix"; "blocklist"; "smacks" }',
      'modules_disabled = { "s2s" }',
      'authentication = "internal_hashed"',
      'storage = "internal"',
      'c2s_require_encryption = false',
      'allow_unencrypted_plain_auth = true',
      'interfaces = { "127.0.0.1" }',
      `c2s_ports = { ${c2sPort} }`,
      's2s_ports = {}',
      `component_ports = { ${componentPort} }`,
      'component_interfaces = { "127.0.0.1" }',
      'http_ports = {}',
      'https_ports = {}',
      'c2s_direct_tls_ports = {}',
      'log = { { levels = { min = "info" }, to = "console" } }',
      `VirtualHost ${lua(host)}`,
      `Component ${lua(component)}`,
      `  component_secret = ${lua(secret)}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  async function start(): Promise<void> {
    const proc = spawn(PROSODY, ['--config', config, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      if ((await listening(c2sPort)) && (await listening(componentPort))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    proc.kill('SIGKILL');
    await exited;
    throw new Error(`prosody did not start:\n${log.slice(-4000)}`);
  }

  async function kill(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  }

  try {
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    host,
    component,
    c2sPort,
    componentPort,
    secret,
    componentConfig: { host: '127.0.0.1', port: componentPort, domain: component, secret },
    async register(user, password) {
      execFileSync(PROSODYCTL, ['--config', config, 'register', user, host, password], { stdio: 'pipe' });
    },
    kill,
    start,
    output: () => log,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
