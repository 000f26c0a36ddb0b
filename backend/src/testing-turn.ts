/**
 * A real TURN relay for tests: Debian's coturn (`turnserver`), installed when missing, started in
 * the foreground on loopback with a shared secret (coturn `use-auth-secret`, the scheme Parley's
 * TURN_SECRET speaks), and a minimal TURN client that makes one allocation, which proves the relay
 * and the credentials work. Exported through `@parley/backend/testing`; nothing in src/ imports it.
 *
 * @example
 * const turn = await startCoturn();
 * const server = await spawnServer(dir, { TURN_URLS: turn.url, TURN_SECRET: turn.secret });
 * // … a call with iceTransportPolicy 'relay' …
 * await turn.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackage } from './testing-apt.js';

export interface Coturn {
  /** `turn:127.0.0.1:<port>?transport=udp`: for TURN_URLS and the browser. */
  url: string;
  /** The same relay over TCP (`?transport=tcp`). */
  tcpUrl: string;
  host: string;
  port: number;
  /** The static-auth-secret: give it to Parley as TURN_SECRET. */
  secret: string;
  realm: string;
  /** What turnserver printed so far (for a failing test's message). */
  output(): string;
  /** Stops turnserver and removes its temporary folder. */
  stop(): Promise<void>;
}

const TURNSERVER = process.env.TURNSERVER_PATH || 'turnserver';

function hasTurnserver(): boolean {
  try {
    execFileSync(TURNSERVER, ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // turnserver --version exits non-zero on some builds; only a missing binary is "missing".
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Installs Debian's `coturn` with apt-get when `turnserver` is missing (as e2e/ensure-chromium.mjs
 * does for Chromium): needs root and apt-get; throws with what to do otherwise.
 */
export function ensureCoturn(): void {
  ensureDebianPackage(
    'coturn',
    hasTurnserver,
    'turnserver (coturn)',
    'Install it: `sudo apt-get install -y coturn`, or set TURNSERVER_PATH.',
  );
}

/** Whether `port` is free on 127.0.0.1 for TCP (UDP is checked by turnserver failing to start). */
function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createSocket('udp4');
    probe.once('error', () => {
      probe.close();
      resolve(false);
    });
    probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A port free for TCP and UDP, with the next one free too (coturn's alternative port is port+1). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    const checks = await Promise.all([tcpFree(port), udpFree(port), tcpFree(port + 1), udpFree(port + 1)]);
    if (checks.every(Boolean)) return port;
  }
  throw new Error('no free port pair for turnserver');
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

/**
 * Starts turnserver in the foreground on 127.0.0.1 with a shared secret, installing coturn first
 * if needed, and resolves once it accepts connections. Loopback peers are allowed (a test's two
 * browsers are both on 127.0.0.1), which coturn accepts only with its CLI off (`--no-cli`).
 */
export async function startCoturn(options: { secret?: string; realm?: string } = {}): Promise<Coturn> {
  ensureCoturn();
  const secret = options.secret ?? randomBytes(18).toString('base64url');
  const realm = options.realm ?? 'parley.test';
  const dir = mkdtempSync(join(tmpdir(), 'parley-turn-'));
  // An empty configuration file, so /etc/turnserver.conf (whatever it says) is not read.
  const conf = join(dir, 'turnserver.conf');
  writeFileSync(conf, '');
  for (let attempt = 0; ; attempt++) {
    const port = await freePortPair();
    let log = '';
    const child: ChildProcess = spawn(
      TURNSERVER,
      [
        '-c',
        conf,
        '-n',
        `--listening-port=${port}`,
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        '--use-auth-secret',
        `--static-auth-secret=${secret}`,
        `--realm=${realm}`,
        '--fingerprint',
        '--no-cli',
        '--allow-loopback-peers',
        '--no-tls',
        '--no-dtls',
        '--no-multicast-peers',
        '--log-file=stdout',
        '--simple-log',
        `--pidfile=${join(dir, 'turnserver.pid')}`,
        `--userdb=${join(dir, 'turndb')}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let up = false;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await listening(port)) {
        up = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!up) {
      child.kill('SIGKILL');
      await exited;
      if (attempt < 3) continue; // a port taken meanwhile: another pair
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`turnserver did not start:\n${log.slice(-4000)}`);
    }
    const host = '127.0.0.1';
    return {
      url: `turn:${host}:${port}?transport=udp`,
      tcpUrl: `turn:${host}:${port}?transport=tcp`,
      host,
      port,
      secret,
      realm,
      output: () => log,
      async stop() {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(killer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal TURN client (RFC 5766 Allocate over UDP, long-term credentials), enough to prove that
// the relay hands out a relayed address for a username and password.

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const ALLOCATE_OK = 0x0103;
const ALLOCATE_ERROR = 0x0113;
const REFRESH = 0x0004;
const REFRESH_OK = 0x0104;
const ATTR = {
  username: 0x0006,
  integrity: 0x0008,
  error: 0x0009,
  realm: 0x0014,
  nonce: 0x0015,
  relayed: 0x0016,
  transport: 0x0019,
  lifetime: 0x000d,
} as const;

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function message(type: number, id: Buffer, attributes: Buffer[], key?: Buffer): Buffer {
  let body = Buffer.concat(attributes);
  const header = (length: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(length, 2);
    h.writeUInt32BE(MAGIC, 4);
    id.copy(h, 8);
    return h;
  };
  if (key) {
    // MESSAGE-INTEGRITY covers the header with the length counting the integrity attribute itself.
    const hmac = createHmac('sha1', key)
      .update(Buffer.concat([header(body.length + 24), body]))
      .digest();
    body = Buffer.concat([body, attribute(ATTR.integrity, hmac)]);
  }
  return Buffer.concat([header(body.length), body]);
}

function parse(packet: Buffer): { type: number; attrs: Map<number, Buffer> } {
  const type = packet.readUInt16BE(0);
  const length = packet.readUInt16BE(2);
  const attrs = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= 20 + length;) {
    const t = packet.readUInt16BE(at);
    const l = packet.readUInt16BE(at + 2);
    attrs.set(t, packet.subarray(at + 4, at + 4 + l));
    at += 4 + Math.ceil(l / 4) * 4;
  }
  return { type, attrs };
}

export type TurnAllocation =
  { ok: true; relayed: { address: string; port: number } } | { ok: false; code: number; reason: string };

/**
 * Asks a TURN server (UDP) for an allocation with these credentials: the unauthenticated request
 * gets the realm and nonce, the second one is signed with MD5(username:realm:password). Resolves
 * with the relayed address, or the error the server answered (401: wrong or expired credentials).
 */
export async function turnAllocate(
  server: { host: string; port: number },
  credentials: { username: string; credential: string },
  timeoutMs = 5000,
): Promise<TurnAllocation> {
  const socket = createSocket('udp4');
  const ask = (packet: Buffer) =>
    new Promise<ReturnType<typeof parse>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer from the TURN server')), timeoutMs);
      socket.once('message', (reply) => {
        clearTimeout(timer);
        resolve(parse(reply));
      });
      socket.send(packet, server.port, server.host);
    });
  const udp = Buffer.from([17, 0, 0, 0]); // REQUESTED-TRANSPORT: UDP
  const errorOf = (attrs: Map<number, Buffer>) => {
    const e = attrs.get(ATTR.error);
    return e
      ? { code: (e[2]! & 7) * 100 + e[3]!, reason: e.subarray(4).toString('utf8') }
      : { code: 0, reason: 'no error code' };
  };
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const first = await ask(message(ALLOCATE, randomBytes(12), [attribute(ATTR.transport, udp)]));
    if (first.type === ALLOCATE_OK) throw new Error('the TURN server allocated without credentials');
    const realm = first.attrs.get(ATTR.realm);
    const nonce = first.attrs.get(ATTR.nonce);
    if (first.type !== ALLOCATE_ERROR || !realm || !nonce) return { ok: false, ...errorOf(first.attrs) };
    const key = createHash('md5')
      .update(`${credentials.username}:${realm.toString('utf8')}:${credentials.credential}`)
      .digest();
    const second = await ask(
      message(
        ALLOCATE,
        randomBytes(12),
        [
          attribute(ATTR.transport, udp),
          attribute(ATTR.lifetime, Buffer.from([0, 0, 0, 60])),
          attribute(ATTR.username, Buffer.from(credentials.username, 'utf8')),
          attribute(ATTR.realm, realm),
          attribute(ATTR.nonce, nonce),
        ],
        key,
      ),
    );
    if (second.type !== ALLOCATE_OK) return { ok: false, ...errorOf(second.attrs) };
    const relayed = second.attrs.get(ATTR.relayed);
    if (!relayed) return { ok: false, code: 0, reason: 'no XOR-RELAYED-ADDRESS in the answer' };
    const port = relayed.readUInt16BE(2) ^ (MAGIC >>> 16);
    const address = [...relayed.subarray(4, 8)].map((b, i) => b ^ ((MAGIC >>> (24 - 8 * i)) & 0xff)).join('.');
    // Released at once (a Refresh with lifetime 0, RFC 8656 §7): a later request from a socket
    // that gets the same local port would otherwise meet this allocation and be answered
    // 437 Allocation Mismatch before its credentials are looked at (seen once in CI).
    const released = await ask(
      message(
        REFRESH,
        randomBytes(12),
        [
          attribute(ATTR.lifetime, Buffer.from([0, 0, 0, 0])),
          attribute(ATTR.username, Buffer.from(credentials.username, 'utf8')),
          attribute(ATTR.realm, realm),
          attribute(ATTR.nonce, nonce),
        ],
        key,
      ),
    );
    if (released.type !== REFRESH_OK) {
      const { code, reason } = errorOf(released.attrs);
      return { ok: false, code, reason: `allocated, but not released: ${reason}` };
    }
    return { ok: true, relayed: { address, port } };
  } finally {
    socket.close();
  }
}
