import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallIncoming } from '../src/protocol/index.js';
import { turnCredential } from '../src/services/calls/ice.js';
import { ensureCoturn, startCoturn, turnAllocate, type Coturn } from '../src/testing-turn.js';
import { addUser, startServer, TestClient, login, waitFor, type TestServer } from './support.js';

/**
 * The TURN credentials Parley hands out work against a real coturn with the same shared secret
 * (`use-auth-secret`): an allocation succeeds with them and fails with an expired or forged one.
 * coturn is installed by the test when missing (Debian `coturn`, as root); where that is impossible
 * outside CI the test is skipped with a message saying how to install it.
 */
let missing: string | null = null;
try {
  ensureCoturn();
} catch (err) {
  if (process.env.CI) throw err;
  missing = (err as Error).message;
  console.warn(`turn.test.ts skipped: ${missing}`);
}

describe.skipIf(missing !== null)('TURN credentials against coturn', () => {
  let turn: Coturn;
  let server: TestServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    turn = await startCoturn();
    server = await startServer({
      config: { ice: { stunUrls: [], turnUrls: [turn.url], turnSecret: turn.secret, turnTtlSeconds: 600 } },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
    await turn?.stop();
  });

  it('a relay allocation succeeds with the credentials of call:ice and call:incoming, and fails with expired or forged ones', async () => {
    await addUser(server, 'tina');
    const tom = await addUser(server, 'tom', { buddies: ['tina'] });
    const connect = async (name: string) => {
      const client = await TestClient.connect(server.url, (await login(server.url, name, `${name}-pass`)).token);
      clients.push(client);
      return client;
    };
    const tina = await connect('tina');
    const tomDevice = await connect('tom');
    const rings: CallIncoming[] = [];
    tomDevice.socket.on('call:incoming', (c) => rings.push(c));

    const ice = await tina.ok('call:ice', {});
    const tinaTurn = ice.iceServers.find((s) => s.urls.includes(turn.url))!;
    expect(tinaTurn.username).toMatch(new RegExp(`^\\d+:${tina.ready.user.id}$`));
    const allocation = await turnAllocate(turn, { username: tinaTurn.username!, credential: tinaTurn.credential! });
    expect(allocation, turn.output().slice(-2000)).toMatchObject({ ok: true, relayed: { address: '127.0.0.1' } });

    // The callee's credentials, from the ring, work too.
    const { callId } = await tina.ok('call:invite', { to: tom.id, kind: 'audio' });
    await waitFor(() => rings.length === 1, 5000, 'the ring');
    const tomTurn = rings[0]!.ice.iceServers.find((s) => s.urls.includes(turn.url))!;
    expect(await turnAllocate(turn, { username: tomTurn.username!, credential: tomTurn.credential! })).toMatchObject({
      ok: true,
    });
    await tina.ok('call:hangup', { callId });

    // Expired (the same scheme, a time in the past) and forged (another secret) are refused.
    const now = Math.floor(Date.now() / 1000);
    expect(await turnAllocate(turn, turnCredential(turn.secret, tina.ready.user.id, now - 5))).toMatchObject({
      ok: false,
      code: 401,
    });
    expect(await turnAllocate(turn, turnCredential('not-the-secret', tina.ready.user.id, now + 600))).toMatchObject({
      ok: false,
      code: 401,
    });
  });
});
