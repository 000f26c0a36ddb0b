import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type InboxEntry, type Presence } from '../../src/protocol/index.js';
import { PrismaStore } from '../../src/store/prisma-store.js';
import { parseDatabaseUrl } from '../../src/store/database-url.js';
import { repoRoot } from '../../src/paths.js';
import {
  createPostgresDatabase,
  dropRedisPrefix,
  TEST_REDIS_URL,
  testRedisPrefix,
  type TestDatabase,
} from '../services.js';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import sharp from 'sharp';
import { v7 as uuidv7 } from 'uuid';
import type { FileUrls } from '../../src/protocol/index.js';
import {
  addUser,
  codeOf,
  createUpload,
  login,
  messagesOf,
  patchUpload,
  sleep,
  spawnServer,
  tempDir,
  TestClient,
  waitFor,
  type ServerProcess,
} from '../support.js';
import { startS3, type TestS3 } from '../s3.js';

/**
 * Three real node processes (`main.ts`) on one fresh PostgreSQL database and one fresh Redis key
 * prefix, as docs/deployment.md describes. Clients connect to chosen nodes; one node is killed
 * with SIGKILL during traffic.
 */
const EXPIRY_MS = 3000;
const GRACE_MS = 300;
const MAX_CONNECTIONS = 5;

let database: TestDatabase;
let prefix: string;
let store: PrismaStore;
/** Cluster mode stores files on S3: an S3-compatible server in this process, shared by the nodes. */
let s3: TestS3;
let s3Dir: string;
const nodes: ServerProcess[] = [];
const open: TestClient[] = [];

function startNode(): Promise<ServerProcess> {
  return spawnServer(database, {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    PRESENCE_EXPIRY_MS: String(EXPIRY_MS),
    PRESENCE_GRACE_MS: String(GRACE_MS),
    MAX_CONNECTIONS_PER_USER: String(MAX_CONNECTIONS),
    ...s3.env,
  });
}

beforeAll(async () => {
  database = await createPostgresDatabase();
  prefix = testRedisPrefix();
  s3Dir = tempDir();
  s3 = await startS3(join(s3Dir, 's3'));
  // The first node migrates and seeds; the other two start together on the ready database.
  nodes.push(await startNode());
  nodes.push(...(await Promise.all([startNode(), startNode()])));
  store = await PrismaStore.open(parseDatabaseUrl(database.url, repoRoot));
});

afterAll(async () => {
  for (const c of open) c.close();
  for (const node of nodes)
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.exited));
  await store?.close();
  await database?.drop();
  if (prefix) await dropRedisPrefix(prefix);
  await s3?.close();
  if (s3Dir) rmSync(s3Dir, { recursive: true, force: true });
});

/** Fresh users for each test (all mutual buddies of each other), so tests do not meet. */
async function people<const N extends string>(...names: N[]) {
  const tag = Math.random().toString(36).slice(2, 7);
  const ids = {} as Record<N, string>;
  const done: string[] = [];
  for (const name of names) {
    const username = `${name}${tag}`;
    ids[name] = (await addUser(store, username, { buddies: done })).id;
    done.push(username);
  }
  const tokens = {} as Record<N, string>;
  for (const name of names) tokens[name] = (await login(nodes[0]!.url, `${name}${tag}`, `${name}${tag}-pass`)).token;
  const connect = async (name: N, node: ServerProcess) => {
    const client = await TestClient.connect(node.url, tokens[name]);
    open.push(client);
    return client;
  };
  return { ids, tokens, connect };
}

const presenceOf = (client: TestClient, userId: string): Presence | undefined =>
  client.presence.filter((p) => p.userId === userId).at(-1)?.presence;
const changesOf = (client: TestClient, userId: string, state: Presence['state']) =>
  client.presence.filter((p) => p.userId === userId && p.presence.state === state).length;

describe('three nodes', () => {
  it('report themselves healthy, each with its own node id', async () => {
    const ids = await Promise.all(
      nodes.map(async (n) => {
        const body = (await (await fetch(`${n.url}/healthz`)).json()) as { data: { database: string; node: string } };
        expect(body.data.database).toBe('postgres');
        return body.data.node;
      }),
    );
    expect(new Set(ids).size).toBe(3);
  });

  it('carry chat, presence, offline messages and receipts between users on different nodes', async () => {
    const { ids, connect } = await people('ann', 'ben', 'cat');
    const [n1, n2, n3] = nodes as [ServerProcess, ServerProcess, ServerProcess];

    const ann = await connect('ann', n1);
    const ben = await connect('ben', n2);
    // Ann learns that Ben came online although he is on another node, exactly once.
    await waitFor(() => presenceOf(ann, ids.ben)?.state === 'online', 10_000, 'ben online at ann');
    // And Ben's buddy list, built on node 2, shows Ann online on node 1.
    expect(ben.ready.roster.find((e) => e.user.id === ids.ann)?.presence.state).toBe('online');

    // A second tab of Ben's on a third node is no news to anyone.
    const benTab3 = await connect('ben', n3);
    await sleep(500);
    expect(changesOf(ann, ids.ben, 'online')).toBe(1);

    // A message from node 1 reaches both of Ben's tabs (nodes 2 and 3).
    const sent = await ann.send(ids.ben, 'across the cluster');
    for (const tab of [ben, benTab3]) {
      await waitFor(() => tab.messages.some((e) => e.message.id === sent.message.id), 10_000, 'live delivery');
    }
    // Ben reads it on node 3; Ann, on node 1, gets the receipt.
    await benTab3.ok('conversation:read', { in: { kind: 'direct', id: ids.ann }, kind: 'read', upTo: sent.message.id });
    await waitFor(
      () => ann.receipts.some((r) => r.kind === 'read' && r.upTo === sent.message.id && r.readerId === ids.ben),
      10_000,
      'read receipt at ann',
    );

    // A chosen state crosses nodes too.
    await ben.ok('presence:set', { state: 'away', status: 'lunch' });
    await waitFor(() => presenceOf(ann, ids.ben)?.state === 'away', 10_000, 'ben away at ann');
    expect(presenceOf(ann, ids.ben)?.status).toBe('lunch');

    // Cat is offline: Ann writes to her, then Cat connects to node 3 and finds everything, once.
    const waiting: string[] = [];
    for (let i = 0; i < 5; i++) waiting.push((await ann.send(ids.cat, `while away ${i}`)).message.id);
    const cat = await connect('cat', n3);
    const synced = messagesOf(await cat.syncAll(0)).filter((e) => e.message.senderId === ids.ann);
    expect(synced.map((e) => e.message.id)).toEqual(waiting);
    await cat.ok('conversation:read', { in: { kind: 'direct', id: ids.ann }, kind: 'delivered', upTo: waiting.at(-1) });
    await waitFor(
      () => ann.receipts.some((r) => r.kind === 'delivered' && r.upTo === waiting.at(-1) && r.readerId === ids.cat),
      10_000,
      'delivered receipt at ann',
    );

    // Ben closes one tab: nothing; the last one: offline once, after the grace period.
    ben.close();
    await sleep(GRACE_MS + 700);
    expect(changesOf(ann, ids.ben, 'offline')).toBe(0);
    benTab3.close();
    await waitFor(() => presenceOf(ann, ids.ben)?.state === 'offline', 10_000, 'ben offline at ann');
    await sleep(EXPIRY_MS / 2);
    expect(changesOf(ann, ids.ben, 'offline')).toBe(1);
  });

  it('applies a roster change made on one node to the caches of the others', async () => {
    const { ids, connect } = await people('dan', 'eve');
    const dan = await connect('dan', nodes[0]!);
    const eve = await connect('eve', nodes[2]!);
    // Node 3 caches Eve's buddies while she talks to Dan.
    await eve.send(ids.dan, 'hello');
    // Dan, on node 1, removes her.
    await dan.ok('roster:remove', { userId: ids.eve });
    await waitFor(() => eve.rosterChanges.some((c) => 'removed' in c && c.removed === ids.dan), 10_000, 'removal');
    // Node 3 no longer lets her message him.
    await waitFor(
      async () => {
        const result = await eve.trySend(ids.dan, 'x', `late-${Date.now()}`);
        return !result.ok && result.error.code === ErrorCode.Forbidden;
      },
      10_000,
      'node 3 to refuse the message',
    );
  });

  it('share one rate limit per user across nodes', async () => {
    const { ids, connect } = await people('fay', 'gus');
    const tabs = [await connect('fay', nodes[0]!), await connect('fay', nodes[1]!)];
    // Typing indicators: 5 a second, bursts of 10, whatever the node.
    const started = performance.now();
    const results = await Promise.all(
      tabs.flatMap((tab) =>
        Array.from({ length: 30 }, () =>
          tab.request('typing:set', { in: { kind: 'direct', id: ids.gus }, typing: true }),
        ),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const allowed = results.filter((r) => r.ok).length;
    expect(results.filter((r) => !r.ok && r.error.code === ErrorCode.RateLimited)).toHaveLength(60 - allowed);
    // One shared bucket lets through its burst plus what refilled; two separate ones, twice that.
    expect(allowed).toBeGreaterThanOrEqual(10);
    expect(allowed).toBeLessThanOrEqual(10 + Math.ceil(5 * seconds) + 1);
  });
});

describe('a call across nodes', () => {
  it('rings devices on two other nodes, is answered on one, relays signalling and logs the call', async () => {
    const { ids, connect } = await people('cal', 'dee');
    const [n1, n2, n3] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const cal = await connect('cal', n1);
    const dee2 = await connect('dee', n2);
    const dee3 = await connect('dee', n3);
    const heard = (client: TestClient) => {
      const events: { event: string; data: unknown }[] = [];
      for (const event of ['call:incoming', 'call:accepted', 'call:signal', 'call:ended'] as const)
        client.socket.on(event, (data: unknown) => events.push({ event, data }));
      return events;
    };
    const [atCal, at2, at3] = [heard(cal), heard(dee2), heard(dee3)];
    const { callId } = await cal.ok('call:invite', { to: ids.dee, kind: 'audio' });
    for (const events of [at2, at3])
      await waitFor(() => events.some((e) => e.event === 'call:incoming'), 10_000, 'ring on nodes 2 and 3');

    // Answered on node 3: node 1's caller hears it, node 2's device stops ringing.
    await dee3.ok('call:answer', { callId, accept: true });
    await waitFor(() => atCal.some((e) => e.event === 'call:accepted'), 10_000, 'accepted at cal');
    await waitFor(() => at2.some((e) => e.event === 'call:ended'), 10_000, 'answered elsewhere on node 2');
    expect(at2.find((e) => e.event === 'call:ended')!.data).toEqual({ callId, reason: 'answered_elsewhere' });
    expect(await codeOf(dee2.request('call:answer', { callId, accept: true }))).toBe(ErrorCode.NotFound);
    // Nobody can call either of them meanwhile, whichever node they ask.
    expect(await codeOf(dee2.request('call:invite', { to: ids.cal, kind: 'video' }))).toBe(ErrorCode.CalleeBusy);

    const offer = { type: 'offer', sdp: 'v=0\r\n' };
    await cal.ok('call:signal', { callId, signal: offer });
    await waitFor(() => at3.some((e) => e.event === 'call:signal'), 10_000, 'offer on node 3');
    await dee3.ok('call:signal', { callId, signal: { type: 'answer', sdp: 'v=0\r\n' } });
    await waitFor(() => atCal.some((e) => e.event === 'call:signal'), 10_000, 'answer on node 1');
    expect(await codeOf(dee2.request('call:signal', { callId, signal: offer }))).toBe(ErrorCode.NotFound);
    expect(at2.some((e) => e.event === 'call:signal')).toBe(false);

    // The callee's device on node 3 goes away: the caller on node 1 hears it; the log says failed.
    dee3.close();
    await waitFor(() => atCal.some((e) => e.event === 'call:ended'), 10_000, 'disconnected at cal');
    expect(atCal.find((e) => e.event === 'call:ended')!.data).toMatchObject({ callId, reason: 'disconnected' });
    await waitFor(
      () => cal.messages.some((e) => e.message.content.kind === 'call' && e.message.content.call.outcome === 'failed'),
      10_000,
      'the call log at cal',
    );
    // Free again on every node.
    const again = await dee2.ok('call:invite', { to: ids.cal, kind: 'video' });
    await dee2.ok('call:hangup', { callId: again.callId });
  });
});

describe('a file across nodes', () => {
  it('is uploaded through two nodes, sent on one and downloaded through another: the same bytes', async () => {
    const [n1, n2, n3] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const { ids, tokens, connect } = await people('pia', 'rex');
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#2266cc' } })
      .png()
      .toBuffer();
    // Created on node 1; the first half through node 1, the rest through node 2 (shared staging).
    const created = await createUpload({ url: n1.url }, tokens.pia, png.length, {
      name: 'blue.png',
      conversation: `direct:${ids.rex}`,
    });
    expect(created.status).toBe(201);
    const half = Math.floor(png.length / 2);
    const first = await patchUpload({ url: n1.url }, tokens.pia, created.location!, png.subarray(0, half));
    expect(first).toMatchObject({ status: 204, offset: half });
    const rest = await patchUpload({ url: n2.url }, tokens.pia, created.location!, png.subarray(half), half);
    expect(rest.status).toBe(204);
    const fileId = created.location!.split('/').pop()!;

    const pia = await connect('pia', n1);
    const rex = await connect('rex', n2);
    const sent = await pia.request('message:send', {
      in: { kind: 'direct', id: ids.rex },
      clientId: uuidv7(),
      content: { kind: 'file', fileId },
    });
    expect(sent.ok).toBe(true);
    await waitFor(() => rex.messages.find((m) => m.message.content.kind === 'file'), 10_000, 'rex gets the file');
    const asked = await rex.request('file:urls', { in: { kind: 'direct', id: ids.pia }, fileId });
    expect(asked.ok).toBe(true);
    const urls = (asked as { data: FileUrls }).data;
    // Fetched through node 3, which neither received the upload nor signed the URL.
    const original = await fetch(new URL(urls.url, n3.url));
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await original.arrayBuffer());
    const fromNode1 = Buffer.from(await (await fetch(new URL(urls.url, n1.url))).arrayBuffer());
    expect(bytes.equals(fromNode1)).toBe(true);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', width: 640, height: 480 });
    // Re-encoded, so not the uploaded file byte for byte, but the same pixels (PNG is lossless).
    expect((await sharp(bytes).raw().toBuffer()).equals(await sharp(png).raw().toBuffer())).toBe(true);
    const thumb = await fetch(new URL(urls.thumbUrl!, n3.url));
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
  });
});

describe('connections per user', () => {
  it('are counted over all nodes together', async () => {
    const { tokens, connect } = await people('ivo');
    const tabs = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) tabs.push(await connect('ivo', nodes[i % 2]!));
    const refusal = (node: ServerProcess) =>
      TestClient.connect(node.url, tokens.ivo).then(
        (c) => (open.push(c), 'connected'),
        (err: { data?: { code: string } }) => err.data?.code,
      );
    // Three tabs on one node and two on another: the sixth is refused on the third node too.
    expect(await refusal(nodes[2]!)).toBe(ErrorCode.RateLimited);
    tabs[0]!.close();
    expect(await waitFor(async () => ((await refusal(nodes[2]!)) === 'connected' ? 'connected' : undefined))).toBe(
      'connected',
    );
  });
});

describe('a node that loses its Redis connections for a moment', () => {
  it('still delivers the live events broadcast meanwhile (the stream adapter resumes)', async () => {
    const { ids, connect } = await people('lou', 'max');
    const [n1, n2] = nodes as [ServerProcess, ServerProcess];
    const lou = await connect('lou', n1);
    const max = await connect('max', n2);
    await waitFor(() => presenceOf(lou, ids.max)?.state === 'online', 10_000, 'max online at lou');

    // Drop every Redis connection of node 2 (its commands, the stream reader and the subscribers).
    const admin = new Redis(TEST_REDIS_URL);
    try {
      const list = (await admin.client('LIST')) as string;
      const mine = list.split('\n').filter((line) => new RegExp(`name=parley-[a-z]+-${n2.child.pid} `).test(line));
      expect(mine.length).toBeGreaterThanOrEqual(3);
      for (const line of mine) await admin.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
    } finally {
      admin.disconnect();
    }
    // Broadcast right away from node 1, while node 2 reconnects: Max gets them live, no sync.
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await lou.send(ids.max, `during the blip ${i}`)).message.id);
    await lou.ok('presence:set', { state: 'busy', status: 'blip' });
    await waitFor(
      () => sent.every((id) => max.messages.some((e) => e.message.id === id)),
      15_000,
      'the messages sent during the blip, live',
    );
    await waitFor(() => presenceOf(max, ids.lou)?.status === 'blip', 15_000, 'the presence change, live');
  });
});

describe('a node killed with SIGKILL during traffic', () => {
  it('takes its users offline within the expiry, lets them reconnect elsewhere, and loses no acknowledged message', async () => {
    const { ids, tokens, connect } = await people('hal', 'ida', 'jon', 'kim');
    const [n1, n2, victim] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const ida = await connect('ida', n1); // receives the traffic
    const jon = await connect('jon', n2); // watches presence
    const kim = await connect('kim', victim); // on the node that dies, does not come back by herself
    let hal = await connect('hal', victim); // sends the traffic from the node that dies
    await waitFor(() => presenceOf(jon, ids.kim)?.state === 'online', 10_000, 'kim online at jon');

    // Five lanes keep sending, each waiting for its acknowledgement, until the node dies.
    const acked: { id: string; clientId: string }[] = [];
    const unacked = new Map<string, string>(); // clientId → body, in flight when the node died
    let stop = false;
    const lanes = Array.from({ length: 5 }, async (_, lane) => {
      for (let i = 0; !stop; i++) {
        const clientId = `k${lane}-${i}`;
        const body = `kill ${lane}-${i}`;
        unacked.set(clientId, body);
        const result = await hal
          .request('message:send', {
            in: { kind: 'direct', id: ids.ida },
            clientId,
            content: { kind: 'text', text: body },
          })
          .catch(() => null);
        if (!result?.ok) return;
        unacked.delete(clientId);
        acked.push({ id: result.data.message.id, clientId });
      }
    });
    await waitFor(() => acked.length >= 40, 30_000, '40 acknowledged messages');
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    stop = true;
    await Promise.all(lanes);
    nodes.splice(nodes.indexOf(victim), 1);

    // Hal's client reconnects to another node and sends again what was not acknowledged, with
    // the same client ids: each is stored once whether or not the dead node had written it.
    hal.close();
    hal = await TestClient.connect(n2.url, tokens.hal);
    open.push(hal);
    const reconnectedIn = Date.now() - killedAt;
    for (const [clientId, body] of unacked) {
      const again = await hal.ok('message:send', {
        in: { kind: 'direct', id: ids.ida },
        clientId,
        content: { kind: 'text', text: body },
      });
      acked.push({ id: again.message.id, clientId });
    }

    // Kim's connection died with the node: Jon sees her go offline within the expiry (plus one
    // heartbeat of the survivors, and slack for a busy machine), exactly once.
    await waitFor(() => presenceOf(jon, ids.kim)?.state === 'offline', EXPIRY_MS * 3, 'kim offline at jon');
    const offlineAfter = Date.now() - killedAt;
    expect(offlineAfter).toBeLessThan(EXPIRY_MS * 3);
    await sleep(EXPIRY_MS / 2);
    expect(changesOf(jon, ids.kim, 'offline')).toBe(1);
    // Hal came back before the expiry, so his buddies never saw him leave.
    if (reconnectedIn < EXPIRY_MS / 2) expect(changesOf(jon, ids.hal, 'offline')).toBe(0);
    const jonAgain = await connect('jon', n1);
    expect(jonAgain.ready.roster.find((e) => e.user.id === ids.hal)?.presence.state).toBe('online');
    expect(jonAgain.ready.roster.find((e) => e.user.id === ids.kim)?.presence.state).toBe('offline');

    // Kim reconnects to a surviving node and is online again.
    kim.close();
    await connect('kim', n2);
    await waitFor(() => presenceOf(jon, ids.kim)?.state === 'online', 10_000, 'kim back online at jon');

    // Ida's inbox holds every acknowledged message exactly once, in one gapless sequence.
    const entries: InboxEntry[] = await ida.syncAll(0);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    const fromHal = messagesOf(entries).filter((e) => e.message.senderId === ids.hal);
    const storedIds = fromHal.map((e) => e.message.id);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect(new Set(fromHal.map((e) => e.message.clientId)).size).toBe(fromHal.length);
    expect(storedIds).toEqual(expect.arrayContaining(acked.map((a) => a.id)));
    expect(fromHal).toHaveLength(acked.length);
  });
});
