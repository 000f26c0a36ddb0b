// Scenario 3: users with messages waiting connect and page through `inbox:sync` until they have
// everything; each inbox is checked for order (seq 1…n, bodies #1…#n in sending order) and
// uniqueness (no seq or message id twice).
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@parley/backend/protocol';
import type { ErrorBody, InboxEntry, Result, ReplyData, SessionReady } from '@parley/backend/protocol';
import { encodeHistogram, newHistogram, recordMs } from '../lib/hist.ts';
import { serveRpc } from '../lib/rpc.ts';
import { SITE, type Peer } from '../lib/seed.ts';

export interface DrainArgs {
  url: string;
  users: { peer: Peer; count: number }[];
  localAddress?: string;
  timeoutMs: number;
}

export interface DrainResult {
  users: number;
  complete: number;
  /** Users whose inbox arrived complete, in order and without duplicates. */
  verified: number;
  problems: string[];
  entries: number;
  pages: number;
  /** Time from the first connection attempt until the last user had everything. */
  spanMs: number;
  /** Per user: connect start to session:ready, and to the last entry (µs histograms). */
  ready: string;
  total: string;
}

function drainOne(args: DrainArgs, peer: Peer, count: number, ready: ReturnType<typeof newHistogram>) {
  return new Promise<{ entries: InboxEntry[]; pages: number; ms: number }>((resolve, reject) => {
    const t0 = performance.now();
    const socket: Socket = io(args.url, {
      auth: { v: PROTOCOL_VERSION, site: SITE, token: peer.token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: args.timeoutMs,
      ...(args.localAddress ? { localAddress: args.localAddress } : {}),
    });
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`${peer.username}: not drained within ${args.timeoutMs} ms`));
    }, args.timeoutMs);
    socket.once('connect_error', (err: Error & { data?: ErrorBody }) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`${peer.username}: ${err.data?.code ?? err.message}`));
    });
    socket.once('session:ready', async (session: SessionReady) => {
      recordMs(ready, performance.now() - t0);
      try {
        if (session.inboxHead !== count)
          throw new Error(`${peer.username}: inboxHead ${session.inboxHead}, expected ${count}`);
        const entries: InboxEntry[] = [];
        let after = 0;
        let pages = 0;
        for (; pages < 10_000;) {
          const result = (await socket.timeout(args.timeoutMs).emitWithAck('inbox:sync', { after })) as Result<
            ReplyData['inbox:sync']
          >;
          pages++;
          if (!result.ok) throw new Error(`${peer.username}: inbox:sync ${result.error.code}`);
          entries.push(...result.data.entries);
          after = result.data.entries.at(-1)?.seq ?? after;
          if (!result.data.hasMore) break;
        }
        const ms = performance.now() - t0;
        clearTimeout(timer);
        socket.close();
        resolve({ entries, pages, ms });
      } catch (err) {
        clearTimeout(timer);
        socket.close();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function verify(peer: Peer, count: number, entries: InboxEntry[]): string | null {
  if (entries.length !== count) return `${peer.username}: ${entries.length} entries, expected ${count}`;
  const ids = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.seq !== i + 1) return `${peer.username}: entry ${i} has seq ${e.seq}`;
    if (e.kind !== 'message') return `${peer.username}: entry ${i + 1} is a ${e.kind}, not a message`;
    if (ids.has(e.message.id)) return `${peer.username}: message ${e.message.id} twice`;
    ids.add(e.message.id);
    const k = Number(/#(\d+) /.exec('text' in e.message.content ? (e.message.content.text ?? '') : '')?.[1]);
    if (k !== i + 1) return `${peer.username}: entry ${i + 1} holds message #${k}`;
    if (e.message.recipientId !== peer.id) return `${peer.username}: entry ${i + 1} is for someone else`;
  }
  return null;
}

async function drain(args: DrainArgs): Promise<DrainResult> {
  const ready = newHistogram();
  const total = newHistogram();
  const problems: string[] = [];
  let complete = 0;
  let verified = 0;
  let entries = 0;
  let pages = 0;
  const t0 = performance.now();
  await Promise.all(
    args.users.map(async ({ peer, count }) => {
      try {
        const got = await drainOne(args, peer, count, ready);
        complete++;
        entries += got.entries.length;
        pages += got.pages;
        recordMs(total, got.ms);
        const problem = verify(peer, count, got.entries);
        if (problem) problems.push(problem);
        else verified++;
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }),
  );
  return {
    users: args.users.length,
    complete,
    verified,
    problems: problems.slice(0, 10),
    entries,
    pages,
    spanMs: performance.now() - t0,
    ready: encodeHistogram(ready),
    total: encodeHistogram(total),
  };
}

serveRpc({ drain });
