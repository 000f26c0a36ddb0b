import { describe, expect, it } from 'vitest';
import { login, messagesOf, TestClient, useServerProcesses, waitFor } from './support.js';

/**
 * The real server process is stopped (SIGTERM, and SIGKILL mid-traffic) and started again on the
 * same database (an SQLite file, or PostgreSQL under PARLEY_TEST_DB=postgres): every user and
 * every acknowledged message must still be there.
 */
const { database: tempDatabase, start } = useServerProcesses();

async function bobHistory(url: string, aliceId: string) {
  const { token } = await login(url, 'bob');
  const bob = await TestClient.connect(url, token);
  const ids: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await bob.request('message:history', {
      in: { kind: 'direct', id: aliceId },
      limit: 100,
      ...(before ? { before } : {}),
    });
    if (!page.ok) throw new Error(page.error.message);
    ids.push(...page.data.messages.map((m) => m.id));
    if (!page.data.hasMore) break;
    before = page.data.messages.at(-1)!.id;
  }
  const entries = messagesOf(await bob.syncAll(0));
  bob.close();
  return { ids, entries };
}

// Each test starts the server process twice; on a busy machine a start can take tens of seconds.
describe('stopping and starting the server', { timeout: 240_000 }, () => {
  it('keeps users and acknowledged messages across SIGTERM', async () => {
    const db = await tempDatabase();
    const first = await start(db);
    const { token } = await login(first.url, 'alice');
    const alice = await TestClient.connect(first.url, token);
    const bobId = alice.ready.roster.find((r) => r.user.username === 'bob')!.user.id;
    const acked = [];
    for (let i = 0; i < 20; i++) acked.push((await alice.send(bobId, `before sigterm ${i}`)).message.id);

    first.child.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit.code).toBe(0);
    expect(first.output()).toContain('shutting down');

    const second = await start(db);
    // The old session token still works: sessions are stored too.
    const again = await TestClient.connect(second.url, token);
    expect(again.ready.user.username).toBe('alice');
    again.close();
    const { ids } = await bobHistory(second.url, alice.ready.user.id);
    expect(ids).toEqual(expect.arrayContaining(acked));
    second.child.kill('SIGTERM');
    await second.exited;
  });

  it('keeps every acknowledged message across SIGKILL during traffic, each once and in order', async () => {
    const db = await tempDatabase();
    const first = await start(db);
    const { token } = await login(first.url, 'alice');
    const alice = await TestClient.connect(first.url, token);
    const bobId = alice.ready.roster.find((r) => r.user.username === 'bob')!.user.id;

    // Keep sending, several in flight at once, until the process is killed under us.
    const acked: { id: string; seq: number }[] = [];
    let stop = false;
    const senders = Array.from({ length: 5 }, async (_, lane) => {
      for (let i = 0; !stop; i++) {
        const result = await alice.request('message:send', {
          in: { kind: 'direct', id: bobId },
          clientId: `k${lane}-${i}`,
          content: { kind: 'text', text: `kill ${lane}-${i}` },
        });
        if (!result.ok) return;
        acked.push({ id: result.data.message.id, seq: result.data.seq! });
      }
    }).map((p) => p.catch(() => undefined)); // the ack timeout after the kill ends each lane
    await waitFor(() => acked.length >= 30, 20_000, '30 acknowledged messages');
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    alice.socket.close();
    await Promise.all(senders);

    const second = await start(db);
    const { ids, entries } = await bobHistory(second.url, alice.ready.user.id);
    expect(ids).toEqual(expect.arrayContaining(acked.map((a) => a.id)));
    expect(new Set(ids).size).toBe(ids.length);
    // Bob's inbox holds each message once, in one gapless sequence.
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(new Set(entries.map((e) => e.message.id)).size).toBe(entries.length);
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
