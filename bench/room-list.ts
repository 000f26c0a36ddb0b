// room:list for a user at the room caps (issue 12, finding 2): 200 rooms held and 50 invitations
// waiting, each room with 20 members and 30 messages. Seeds a fresh SQLite file, starts the real
// server (`backend/src/main.ts`) in its own process, and times room:list over a real socket from
// this process: the first page (the default size and the largest), and paging through everything.
//
//   npm run bench:room-list [-- --keep]   (ROOM_LIST_RUNS=N: timed calls; --keep: keep the database)
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { Limits, PROTOCOL_VERSION, type ReplyData, type Result } from '@parley/backend/protocol';
import { migrate } from '@parley/backend/testing';
import { startParley } from './lib/servers.ts';
import { freePort, median } from './lib/util.ts';

const HELD = 200;
const INVITED = 50;
const MEMBERS_PER_ROOM = 20;
const MESSAGES_PER_ROOM = 30;
const OTHER_USERS = 500;
const RUNS = Number(process.env.ROOM_LIST_RUNS ?? 50);
/** What issue 12 asks of the first page on the project's machine. */
const BUDGET_MS = 50;

const iso = (d: Date) => d.toISOString().replace('Z', '+00:00');

async function seed(dbPath: string): Promise<{ token: string }> {
  await migrate({ kind: 'sqlite', url: dbPath });
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  const now = new Date();
  const at = iso(now);
  const token = randomBytes(32).toString('base64url');
  db.transaction(() => {
    db.prepare(
      'INSERT OR IGNORE INTO "Site" (id, name, secret, origins, settings, createdAt) VALUES (?, ?, ?, ?, ?, ?)',
    ).run('demo', 'Demo', 'bench-secret', JSON.stringify(['http://localhost:*']), '{}', at);
    const user = db.prepare(
      'INSERT INTO "User" (id, siteId, username, displayName, avatarUrl, passwordHash, inboxSeq, createdAt) VALUES (?, ?, ?, ?, NULL, NULL, 0, ?)',
    );
    const me = uuidv7();
    user.run(me, 'demo', 'bench-lister', 'Bench Lister', at);
    db.prepare('INSERT INTO "Session" (id, userId, createdAt, expiresAt) VALUES (?, ?, ?, ?)').run(
      createHash('sha256').update(token).digest('hex'),
      me,
      at,
      iso(new Date(now.getTime() + 24 * 3600_000)),
    );
    const others = Array.from({ length: OTHER_USERS }, (_, i) => {
      const id = uuidv7();
      user.run(id, 'demo', `bench-member-${i}`, `Member ${i}`, at);
      return id;
    });
    const room = db.prepare(
      'INSERT INTO "Room" (id, siteId, name, public, ownerId, closedAt, createdAt) VALUES (?, ?, ?, 0, ?, NULL, ?)',
    );
    const member = db.prepare(
      'INSERT INTO "RoomMember" (roomId, userId, role, invitedBy, createdAt) VALUES (?, ?, ?, ?, ?)',
    );
    const message = db.prepare(
      'INSERT INTO "Message" (id, siteId, senderId, conversationId, recipientId, clientId, body, createdAt) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)',
    );
    const marker = db.prepare(
      'INSERT INTO "ReadMarker" (userId, conversationId, readUpTo, updatedAt) VALUES (?, ?, ?, ?)',
    );
    for (let r = 0; r < HELD + INVITED; r++) {
      const id = uuidv7();
      const inRoom = Array.from({ length: MEMBERS_PER_ROOM - 1 }, (_, k) => others[(r * 7 + k) % OTHER_USERS]!);
      room.run(id, 'demo', `Room ${r}`, inRoom[0], at);
      member.run(id, inRoom[0], 'owner', null, at);
      for (const other of inRoom.slice(1)) member.run(id, other, 'member', null, at);
      const invited = r >= HELD;
      member.run(id, me, invited ? 'invited' : 'member', invited ? inRoom[0] : null, at);
      const ids: string[] = [];
      for (let m = 0; m < MESSAGES_PER_ROOM; m++) {
        const messageId = uuidv7();
        ids.push(messageId);
        message.run(messageId, 'demo', inRoom[m % inRoom.length], `room:${id}`, `seed-${r}-${m}`, `Message ${m}`, at);
      }
      if (!invited && r % 2 === 0) marker.run(me, `room:${id}`, ids[MESSAGES_PER_ROOM / 2], at);
    }
  })();
  db.close();
  return { token };
}

type ListReply = Result<ReplyData['room:list']>;

function list(socket: Socket, payload: Record<string, unknown>): Promise<ReplyData['room:list']> {
  return (socket.timeout(10_000).emitWithAck as (e: string, p: unknown) => Promise<ListReply>)(
    'room:list',
    payload,
  ).then((result) => {
    if (!result.ok) throw new Error(`room:list failed: ${result.error.code} ${result.error.message}`);
    return result.data;
  });
}

async function timed<T>(
  runs: number,
  fn: () => Promise<T>,
): Promise<{ p50: number; p95: number; max: number; last: T }> {
  const times: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    last = await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: median(times), p95: times[Math.floor(times.length * 0.95)]!, max: times.at(-1)!, last };
}

const folder = mkdtempSync(join(tmpdir(), 'parley-room-list-'));
const dbPath = join(folder, 'bench.db');
const { token } = await seed(dbPath);
const server = await startParley({ dbPath, port: await freePort(), env: { ACTION_RATE: '1000000' } });
const socket: Socket = io(server.url, {
  auth: { v: PROTOCOL_VERSION, site: 'demo', token },
  transports: ['websocket'],
  reconnection: false,
});
try {
  await new Promise<void>((resolve, reject) => {
    socket.once('session:ready', () => resolve());
    socket.once('connect_error', reject);
  });
  for (let i = 0; i < 5; i++) await list(socket, {}); // warm up (JIT, SQLite page cache)

  const first = await timed(RUNS, () => list(socket, {}));
  const largest = await timed(RUNS, () => list(socket, { limit: Limits.roomListPageMax }));
  const all = await timed(Math.max(3, Math.round(RUNS / 10)), async () => {
    let rooms = 0;
    let after: string | undefined;
    for (;;) {
      const page = await list(socket, after ? { after } : {});
      rooms += page.rooms.length;
      if (!page.hasMore) return rooms;
      after = page.rooms.at(-1)!.room.id;
    }
  });
  const bytes = Buffer.byteLength(JSON.stringify(first.last));
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(
    `room:list for a user holding ${HELD} rooms and ${INVITED} invitations (${MEMBERS_PER_ROOM} members, ${MESSAGES_PER_ROOM} messages each), ${RUNS} calls each, over a socket to the real server:`,
  );
  console.log(
    `  first page (${first.last.rooms.length} rooms, ${(bytes / 1024).toFixed(0)} KB): p50 ${f(first.p50)}, p95 ${f(first.p95)}, max ${f(first.max)}`,
  );
  console.log(
    `  first page of ${largest.last.rooms.length} rooms (the largest):  p50 ${f(largest.p50)}, p95 ${f(largest.p95)}, max ${f(largest.max)}`,
  );
  console.log(`  every page (${all.last} rooms):            p50 ${f(all.p50)}, max ${f(all.max)}`);
  const verdict = first.p50 < BUDGET_MS ? 'within' : 'OVER';
  console.log(`  first page p50 is ${verdict} the ${BUDGET_MS} ms budget`);
  if (all.last !== HELD + INVITED) throw new Error(`paging found ${all.last} rooms, expected ${HELD + INVITED}`);
  if (first.p50 >= BUDGET_MS) process.exitCode = 1;
} finally {
  socket.close();
  await server.stop();
  if (process.argv.includes('--keep')) console.log(`  database kept: ${dbPath}`);
  else rmSync(folder, { recursive: true, force: true });
}
