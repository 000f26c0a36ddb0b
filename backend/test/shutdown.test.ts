import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type ReplyData,
  type Result,
  type ServerShutdown,
  type ServerToClientEvents,
} from '../src/protocol/index.js';
import { login, messagesOf, TestClient, useServerProcesses, waitFor } from './support.js';

/**
 * Graceful shutdown (SIGTERM): the node stops taking connections, tells its clients to reconnect
 * elsewhere, answers and writes what it was handling, closes the transports so clients reconnect
 * by themselves, and exits 0 within SHUTDOWN_TIMEOUT_MS. A client that keeps sending through it
 * loses nothing and stores nothing twice once a node is back on the address.
 */
const processes = useServerProcesses();

const SHUTDOWN_TIMEOUT_MS = 8000;

describe('SIGTERM', () => {
  it('hands clients off, flushes, refuses new connections and exits in time; nothing is lost', async () => {
    const db = await processes.database();
    const env = { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) };
    const first = await processes.start(db, env);
    const port = new URL(first.url).port;
    const { token } = await login(first.url, 'alice');
    const bobToken = (await login(first.url, 'bob')).token;

    // Alice's client behaves as the widget's does: Socket.IO's own reconnection, resend on ready.
    const alice: Socket<ServerToClientEvents, ClientToServerEvents> = io(first.url, {
      auth: { v: PROTOCOL_VERSION, site: 'demo', token },
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    const notices: ServerShutdown[] = [];
    const disconnects: string[] = [];
    let readies = 0;
    let bobId = '';
    alice.on('server:shutdown', (n) => notices.push(n));
    alice.on('disconnect', (reason) => disconnects.push(reason));

    const outbox = new Map<string, { acked: boolean; id?: string }>();
    const answers = { ok: 0, unavailable: 0, other: 0, none: 0 };
    let stop = false;
    const send = (clientId: string) =>
      new Promise<void>((resolve) => {
        alice.timeout(5000).emit(
          'message:send',
          {
            in: { kind: 'direct', id: bobId },
            clientId,
            content: { kind: 'text', text: `through shutdown ${clientId}` },
          },
          (err: Error | null, result: Result<ReplyData['message:send']>) => {
            if (err) answers.none++;
            else if (result.ok) {
              answers.ok++;
              outbox.set(clientId, { acked: true, id: result.data.message.id });
            } else if (result.error.code === 'unavailable') answers.unavailable++;
            else answers.other++;
            resolve();
          },
        );
      });
    // Three lanes of continuous sending; each message is new until the stop, then only resends.
    let counter = 0;
    const lanes = async () => {
      while (!stop) {
        if (!alice.connected || readies === 0) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const clientId = `s-${counter++}`;
        outbox.set(clientId, { acked: false });
        await send(clientId);
      }
    };
    alice.on('session:ready', (ready) => {
      bobId = ready.roster.find((r) => r.user.username === 'bob')!.user.id;
      readies++;
    });
    await waitFor(() => readies === 1, 20_000, 'alice to sign in');
    const sending = Promise.all([lanes(), lanes(), lanes()]);
    await waitFor(() => answers.ok >= 30, 20_000, 'traffic to flow');

    const termAt = Date.now();
    first.child.kill('SIGTERM');
    await waitFor(() => notices.length > 0, 10_000, 'the server:shutdown notice');
    // This connection's own delay, within the window the node spreads its clients over.
    expect(notices[0]!.reconnectWithinMs).toBeGreaterThanOrEqual(2000);
    expect(notices[0]!.reconnectAfterMs).toBeGreaterThanOrEqual(0);
    expect(notices[0]!.reconnectAfterMs).toBeLessThanOrEqual(notices[0]!.reconnectWithinMs);
    // The listener is closed by the time the notice goes out: a new client cannot get in.
    const refused = await TestClient.connect(first.url, bobToken).then(
      (c) => (c.close(), false),
      () => true,
    );
    expect(refused).toBe(true);

    const exit = await first.exited;
    const exitMs = Date.now() - termAt;
    expect(exit.code).toBe(0); // the watchdog would have exited 1 past SHUTDOWN_TIMEOUT_MS
    expect(exitMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2000);
    expect(first.output()).toContain('"msg":"shut down"');
    // A transport close, not a Socket.IO disconnect: the client reconnects by itself.
    await waitFor(() => disconnects.length > 0, 5000, 'the disconnect');
    expect(disconnects[0]).toBe('transport close');
    expect(alice.active).toBe(true);

    const second = await processes.start(db, { ...env, PORT: port });
    await waitFor(() => readies === 2, 30_000, 'alice to reconnect by herself');
    stop = true;
    await sending;
    // Resend everything without an acknowledgement, with the same client ids, as the widget does.
    for (const [clientId, state] of outbox) if (!state.acked) await send(clientId);
    expect([...outbox.values()].every((s) => s.acked)).toBe(true);

    const bob = await TestClient.connect(second.url, bobToken);
    const inbox = messagesOf(await bob.syncAll(0)).filter((e) => e.message.senderId !== bob.ready.user.id);
    const stored = inbox.map((e) => e.message.clientId);
    expect(new Set(stored).size).toBe(stored.length); // once each
    expect(stored.sort()).toEqual([...outbox.keys()].sort()); // all of them
    for (const e of inbox) expect(e.message.id).toBe(outbox.get(e.message.clientId)!.id);
    console.log(
      `shutdown test: ${outbox.size} messages; answers ok ${answers.ok}, unavailable ${answers.unavailable}, ` +
        `none ${answers.none}; exit after ${exitMs} ms`,
    );
    expect(answers.other).toBe(0);
    bob.close();
    alice.close();
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 120_000);
});
