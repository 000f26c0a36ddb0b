/**
 * The crash scenario, shared by the crash test (`npm test`, short) and `npm run bench:crash`
 * (long): N clients send to each other continuously through the real server process, which is
 * killed with SIGKILL mid-traffic and restarted on the same SQLite file and port, several times.
 *
 * Each client behaves as the widget does: it keeps a few messages in flight, treats a message as
 * sent only when acknowledged, resends every unacknowledged one with the same client id after
 * reconnecting, and applies its inbox through the widget's own InboxCursor (live entries plus
 * syncs). At the end every client's outbox must be acknowledged, and every recipient must have
 * applied each of its sender's messages exactly once and in the order they were written, matching
 * what the database holds. The scenario reports violations rather than throwing, so a failing run
 * says everything that went wrong.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { io, type Socket } from 'socket.io-client';
import { createInboxCursor, type InboxCursor, type SyncPage } from '../../widget/src/core/inbox-cursor.js';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type InboxEntry,
  type ReplyData,
  type Result,
  type ServerToClientEvents,
} from '../src/protocol/index.js';
import { Accounts } from '../src/services/accounts.js';
import { migrate } from '../src/store/migrate.js';
import { PrismaStore } from '../src/store/prisma-store.js';
import type { DatabaseTarget } from '../src/store/database-url.js';
import { sleep, spawnServer, textOf, waitFor, type ServerProcess } from './support.js';

export interface CrashOptions {
  /** Concurrent clients, each its own user; client i writes to client i+1 (a ring). */
  clients: number;
  /** SIGKILL and restart cycles. */
  kills: number;
  /** New acknowledgements to wait for before each kill. */
  acksPerRound: number;
  /** Messages each client keeps unacknowledged at once. */
  inFlight: number;
  /** A folder for the SQLite file; the caller removes it. */
  dir: string;
  log?: (line: string) => void;
}

export interface CrashReport {
  clients: number;
  kills: number;
  /** Distinct messages the clients wrote (each acknowledged by the end). */
  messages: number;
  /** Acknowledgements received at the moment of each kill (cumulative). */
  ackedAtKill: number[];
  /** Emissions of message:send, first sends and resends. */
  sends: number;
  /** Emissions of a message already sent once on an earlier connection (or after a timeout). */
  resends: number;
  /** Resends the server recognised as already stored (stored, but the ack was lost in the kill). */
  duplicateAcks: number;
  /** Messages applied by recipients. */
  delivered: number;
  /** Per restart: from starting the new process to every client being signed in again. */
  recoveryMs: number[];
  /** Whole run, set-up included. */
  durationMs: number;
  /** Acknowledged messages per second of traffic (restarts excluded). */
  ackRate: number;
  /** Everything that broke a promise; empty on success. */
  violations: string[];
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

interface Outgoing {
  clientId: string;
  n: number;
  body: string;
  sent: boolean;
  acked: boolean;
  messageId: string | null;
}

interface Applied {
  id: string;
  senderId: string;
  clientId: string;
  seq: number;
}

const SITE = 'crash';

class SimClient {
  readonly socket: ClientSocket;
  userId = '';
  peerId = '';
  readyCount = 0;
  ready = false;
  generating = true;
  closed = false;
  readonly outbox: Outgoing[] = [];
  readonly unacked: Outgoing[] = [];
  readonly awaiting = new Set<string>();
  readonly applied: Applied[] = [];
  sends = 0;
  resends = 0;
  duplicateAcks = 0;
  acked = 0;
  private epoch = 0;
  private nextN = 0;
  private readonly cursor: InboxCursor;

  constructor(
    readonly index: number,
    url: string,
    token: string,
    private readonly inFlight: number,
    private readonly violations: string[],
  ) {
    this.socket = io(url, {
      auth: { v: PROTOCOL_VERSION, site: SITE, token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      timeout: 10_000,
    });
    this.cursor = createInboxCursor(
      0,
      (after: number) => this.fetchPage(after),
      (entry: Parameters<SimClient['apply']>[0]) => this.apply(entry),
      () => undefined,
    );
    this.socket.on('session:ready', (ready) => {
      this.userId = ready.user.id;
      this.epoch++;
      this.awaiting.clear();
      this.ready = true;
      this.readyCount++;
      void this.cursor.sync();
      this.pump();
    });
    this.socket.on('disconnect', () => {
      this.ready = false;
      this.epoch++;
      this.awaiting.clear();
    });
    this.socket.on('inbox:entry', (entry) => this.cursor.receive(entry));
  }

  /** Keeps `inFlight` messages unacknowledged: resends first (oldest first), then new ones. */
  pump(): void {
    while (this.ready && this.peerId && this.awaiting.size < this.inFlight) {
      const next = this.unacked.find((m) => !this.awaiting.has(m.clientId)) ?? (this.generating ? this.create() : null);
      if (!next) return;
      this.emit(next);
    }
  }

  private create(): Outgoing {
    const n = this.nextN++;
    const m: Outgoing = {
      clientId: `c${this.index}-${n}`,
      n,
      body: `crash test ${this.index} #${n}`,
      sent: false,
      acked: false,
      messageId: null,
    };
    this.outbox.push(m);
    this.unacked.push(m);
    return m;
  }

  private emit(m: Outgoing): void {
    const epoch = this.epoch;
    this.awaiting.add(m.clientId);
    this.sends++;
    if (m.sent) this.resends++;
    m.sent = true;
    this.socket
      .timeout(15_000)
      .emit(
        'message:send',
        { in: { kind: 'direct', id: this.peerId }, clientId: m.clientId, content: { kind: 'text', text: m.body } },
        (err: Error | null, result: Result<ReplyData['message:send']>) => {
          if (epoch === this.epoch) this.awaiting.delete(m.clientId);
          if (err) {
            // No answer (the server died under it): it stays unacknowledged and goes again.
            if (epoch === this.epoch) this.pump();
            return;
          }
          if (result.ok) this.onAck(m, result.data);
          else if (result.error.code !== 'unavailable') {
            this.violations.push(`client ${this.index}: ${m.clientId} refused: ${result.error.code}`);
          }
          if (epoch === this.epoch) this.pump();
        },
      );
  }

  private onAck(m: Outgoing, data: ReplyData['message:send']): void {
    if (m.acked) {
      if (m.messageId !== data.message.id) {
        this.violations.push(`client ${this.index}: ${m.clientId} acknowledged as two messages`);
      }
      return;
    }
    if (data.duplicate) this.duplicateAcks++;
    if (textOf(data.message.content) !== m.body || data.message.clientId !== m.clientId) {
      this.violations.push(`client ${this.index}: ${m.clientId} acknowledged with another message`);
    }
    m.acked = true;
    m.messageId = data.message.id;
    this.acked++;
    const at = this.unacked.indexOf(m);
    if (at >= 0) this.unacked.splice(at, 1);
  }

  private apply(entry: InboxEntry): void {
    if (entry.kind !== 'message' || entry.message.recipientId !== this.userId) return;
    const { id, senderId, clientId } = entry.message;
    this.applied.push({ id, senderId, clientId, seq: entry.seq });
  }

  /** The cursor's page reader: waits out disconnections instead of failing the sync. */
  private async fetchPage(after: number): Promise<SyncPage> {
    for (;;) {
      if (this.closed) return { entries: [], hasMore: false };
      if (this.ready) {
        try {
          const result = await this.socket.timeout(10_000).emitWithAck('inbox:sync', { after });
          if (result.ok) return result.data;
        } catch {
          // Disconnected mid-request: try again once signed in again.
        }
      }
      await sleep(100);
    }
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }
}

/**
 * Creates the site (strangers may message, so no buddy set-up is needed) and its users, each with
 * a session, straight in the database before the server starts: the run measures traffic, not
 * sign-ins (argon2 has its own tests).
 */
async function seed(target: DatabaseTarget, count: number): Promise<string[]> {
  await migrate(target);
  const store = await PrismaStore.open(target);
  const accounts = new Accounts(store, 24 * 3_600_000);
  try {
    await store.createSite({
      id: SITE,
      name: 'Crash test',
      secret: randomBytes(32).toString('base64url'),
      origins: [],
      settings: { strangersMayMessage: true },
    });
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = uuidv7();
      await store.createUser({
        id,
        siteId: SITE,
        username: `user-${i}`,
        displayName: `User ${i}`,
        avatarUrl: null,
        passwordHash: null,
      });
      tokens.push((await accounts.openSession((await store.getUser(id))!)).token);
    }
    return tokens;
  } finally {
    await store.close();
  }
}

/** Runs the scenario; see the module comment. The server process is stopped at the end. */
export async function runCrashScenario(options: CrashOptions): Promise<CrashReport> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const violations: string[] = [];
  const target: DatabaseTarget = { kind: 'sqlite', url: join(options.dir, 'parley.db') };
  const tokens = await seed(target, options.clients);

  const env = { PARLEY_DEMO: '0' };
  let server: ServerProcess = await spawnServer(options.dir, env);
  const port = new URL(server.url).port;
  const clients: SimClient[] = [];
  try {
    tokens.forEach((token, i) => clients.push(new SimClient(i, server.url, token, options.inFlight, violations)));
    await waitFor(() => clients.every((c) => c.readyCount >= 1), 60_000, 'every client to sign in');
    for (const c of clients) c.peerId = clients[(c.index + 1) % clients.length]!.userId;
    log(`${clients.length} clients signed in; sending`);

    const totalAcked = () => clients.reduce((sum, c) => sum + c.acked, 0);
    let trafficMs = 0;
    let trafficFrom = performance.now();
    for (const c of clients) c.pump();

    const ackedAtKill: number[] = [];
    const recoveryMs: number[] = [];
    for (let round = 0; round < options.kills; round++) {
      const goal = totalAcked() + options.acksPerRound;
      await waitFor(() => totalAcked() >= goal, 300_000, `${options.acksPerRound} more acknowledgements`);
      server.child.kill('SIGKILL');
      await server.exited;
      trafficMs += performance.now() - trafficFrom;
      ackedAtKill.push(totalAcked());
      const restartAt = performance.now();
      server = await spawnServer(options.dir, { ...env, PORT: port });
      log(`restarted in ${Math.round(performance.now() - restartAt)} ms`);
      await waitFor(
        () => clients.every((c) => c.readyCount >= round + 2),
        // Generous: on a loaded two-core machine 50 reconnects compete with the resumed traffic.
        300_000,
        'every client to reconnect after the restart',
      );
      recoveryMs.push(Math.round(performance.now() - restartAt));
      trafficFrom = performance.now();
      log(
        `kill ${round + 1}/${options.kills}: ${ackedAtKill.at(-1)} acknowledged; all back in ${recoveryMs.at(-1)} ms`,
      );
    }

    // Stop writing new messages; what is still unacknowledged is resent until it is.
    for (const c of clients) c.generating = false;
    await waitFor(() => clients.every((c) => c.unacked.length === 0), 300_000, 'every message to be acknowledged');
    trafficMs += performance.now() - trafficFrom;
    const senderOf = (c: SimClient) => clients[(c.index - 1 + clients.length) % clients.length]!;
    await waitFor(
      () => clients.every((c) => c.applied.length >= senderOf(c).outbox.length),
      300_000,
      'every message to be delivered',
    );
    await sleep(300); // anything extra (a duplicate) would arrive now

    const messages = clients.reduce((sum, c) => sum + c.outbox.length, 0);
    for (const receiver of clients) {
      const sender = senderOf(receiver);
      const expected = sender.outbox.map((m) => m.messageId);
      const got = receiver.applied.map((a) => a.id);
      if (new Set(got).size !== got.length) violations.push(`client ${receiver.index} applied a message twice`);
      // Acknowledged order is creation order: each client's messages must arrive in that order.
      if (got.join() !== expected.join()) {
        const missing = expected.filter((id) => !got.includes(id!)).length;
        violations.push(
          `client ${receiver.index}: applied ${got.length} of ${expected.length} (missing ${missing}) or out of order`,
        );
      }
    }

    for (const c of clients) c.close();
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    if (exit.code !== 0) violations.push(`the last server exited with ${exit.code ?? exit.signal} on SIGTERM`);

    // The database agrees: each recipient's inbox is one gapless sequence holding exactly what
    // the recipient applied, in that order.
    const store = await PrismaStore.open(target);
    try {
      for (const receiver of clients) {
        const entries = await store.readInbox(receiver.userId, 0, 1_000_000);
        if (entries.some((e, i) => e.seq !== i + 1)) violations.push(`client ${receiver.index}: inbox has gaps`);
        const stored = entries.flatMap((e) =>
          e.kind === 'message' && e.message.recipientId === receiver.userId ? [e.message.id] : [],
        );
        if (stored.join() !== receiver.applied.map((a) => a.id).join()) {
          violations.push(`client ${receiver.index}: the stored inbox differs from what was applied`);
        }
      }
    } finally {
      await store.close();
    }

    return {
      clients: clients.length,
      kills: options.kills,
      messages,
      ackedAtKill,
      sends: clients.reduce((sum, c) => sum + c.sends, 0),
      resends: clients.reduce((sum, c) => sum + c.resends, 0),
      duplicateAcks: clients.reduce((sum, c) => sum + c.duplicateAcks, 0),
      delivered: clients.reduce((sum, c) => sum + c.applied.length, 0),
      recoveryMs,
      durationMs: Math.round(performance.now() - started),
      ackRate: Math.round(totalAcked() / (trafficMs / 1000)),
      violations,
    };
  } catch (err) {
    throw new Error(`crash scenario failed (${String(err)}); server output:\n${server.output().slice(-4000)}`, {
      cause: err,
    });
  } finally {
    for (const c of clients) c.close();
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  }
}
