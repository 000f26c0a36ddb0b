// Scenario 8: wire encodings. The same Parley-shaped traffic (bench/wire/server.ts) with the
// default JSON parser, socket.io-msgpack-parser and JSON with permessage-deflate, one server per
// encoding: bytes per message on the wire and the server's CPU at the same offered rate.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { sampleProc } from '../lib/procstat.ts';
import { startWorker } from '../lib/rpc.ts';
import { repoRoot, startServer } from '../lib/servers.ts';
import { freePort, log, median, split } from '../lib/util.ts';
import { WIRE_ENCODINGS, type WireEncoding } from '../lib/wire.ts';
import type { WireRun } from '../workers/wire-worker.ts';

export interface WireRow {
  encoding: WireEncoding;
  messages: number;
  /** Complete exchanges (receipt back at the sender) of all sent. */
  complete: number;
  /** Bytes the server read and wrote on its TCP connections per message: client to server, server to client. */
  upPerMessage: number;
  downPerMessage: number;
  /** Server CPU per message (µs), and its mean use at the offered rate (1.0 = one core). */
  cpuUsPerMessage: number;
  serverCpu: number;
  /** The server's RSS growth per connection: from before the clients connected to after the traffic. */
  rssPerConnection: number;
  runs: number;
}

export interface WireResult {
  rate: number;
  seconds: number;
  pairs: number;
  bytes: number;
  rows: WireRow[];
  error?: string;
}

/** Bytes the server has read and written on its TCP connections so far (its /bytes; the fetch itself is a few hundred). */
async function socketBytes(url: string): Promise<{ read: number; written: number }> {
  const response = await fetch(`${url}/bytes`, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as { read: number; written: number };
}

const workerFile = new URL('../workers/wire-worker.ts', import.meta.url);

async function measure(
  encoding: WireEncoding,
  options: { rate: number; seconds: number; pairs: number; bytes: number },
): Promise<Omit<WireRow, 'runs'>> {
  const server = await startServer({
    name: `wire-${encoding}`,
    script: join(repoRoot, 'bench', 'wire', 'server.ts'),
    port: await freePort(),
    env: { WIRE_ENCODING: encoding },
    ready: { path: '/ready' },
  });
  const users = Array.from({ length: options.pairs * 2 }, () => randomUUID());
  const pairs = Array.from({ length: options.pairs }, (_, i): [string, string] => [users[2 * i]!, users[2 * i + 1]!]);
  const parts = split(pairs, 2);
  const workers = parts.map((_, i) => startWorker(workerFile, `wire-${encoding}-${i}`));
  try {
    const rssBefore = sampleProc(server.pid)?.rss ?? NaN;
    await Promise.all(
      workers.map((w, i) =>
        w.call('init', {
          url: server.url,
          encoding,
          pairs: parts[i],
          localAddress: `127.0.0.${40 + i}`,
          bytes: options.bytes,
        }),
      ),
    );
    await Promise.all(workers.map((w) => w.call('connect', {}, 90_000)));
    // A second of the same traffic first: code loaded and compiled, buffers and zlib contexts made.
    await Promise.all(
      workers.map((w) => w.call<WireRun>('run', { rate: options.rate / workers.length, ms: 1000 }, 60_000)),
    );
    const before = await socketBytes(server.url);
    const cpuBefore = sampleProc(server.pid)!;
    const runs = await Promise.all(
      workers.map((w) =>
        w.call<WireRun>(
          'run',
          { rate: options.rate / workers.length, ms: options.seconds * 1000 },
          options.seconds * 1000 + 120_000,
        ),
      ),
    );
    const cpuAfter = sampleProc(server.pid)!;
    const after = await socketBytes(server.url);
    const messages = runs.reduce((a, r) => a + r.sent, 0);
    const complete = runs.reduce((a, r) => a + Math.min(r.sent, r.receipts), 0);
    const cpuSeconds = cpuAfter.cpuSeconds - cpuBefore.cpuSeconds;
    const row = {
      encoding,
      messages,
      complete,
      upPerMessage: (after.read - before.read) / Math.max(1, messages),
      downPerMessage: (after.written - before.written) / Math.max(1, messages),
      cpuUsPerMessage: (cpuSeconds * 1e6) / Math.max(1, messages),
      serverCpu: cpuSeconds / ((cpuAfter.at - cpuBefore.at) / 1000),
      rssPerConnection: (cpuAfter.rss - rssBefore) / (options.pairs * 2),
    };
    log(
      `wire ${encoding}: ${complete}/${messages} complete, ${row.upPerMessage.toFixed(0)} B up + ${row.downPerMessage.toFixed(0)} B down per message, ` +
        `server ${row.cpuUsPerMessage.toFixed(0)} µs CPU per message (${(row.serverCpu * 100).toFixed(0)}%)`,
    );
    return row;
  } finally {
    await Promise.all(workers.map((w) => w.call('close', {}, 10_000).catch(() => undefined)));
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
  }
}

/**
 * Each encoding `runs` times, interleaved (json, msgpack, deflate, json, …) so that a busy spell of
 * the shared machine does not land on one encoding only; the row holds the medians.
 */
export async function runWire(options: {
  rate: number;
  seconds: number;
  pairs: number;
  bytes: number;
  runs: number;
}): Promise<WireResult> {
  const result: WireResult = {
    rate: options.rate,
    seconds: options.seconds,
    pairs: options.pairs,
    bytes: options.bytes,
    rows: [],
  };
  const all = new Map<WireEncoding, Omit<WireRow, 'runs'>[]>(WIRE_ENCODINGS.map((e) => [e, []]));
  try {
    for (let run = 0; run < options.runs; run++) {
      for (const encoding of WIRE_ENCODINGS) all.get(encoding)!.push(await measure(encoding, options));
    }
    for (const [encoding, measured] of all) {
      // A run whose exchanges did not all finish undercounts bytes: use it only if no run finished.
      const whole = measured.filter((r) => r.complete === r.messages);
      const rows = whole.length ? whole : measured;
      const mid = (f: (r: Omit<WireRow, 'runs'>) => number) => median(rows.map(f));
      result.rows.push({
        encoding,
        messages: rows.reduce((a, r) => a + r.messages, 0),
        complete: rows.reduce((a, r) => a + r.complete, 0),
        upPerMessage: mid((r) => r.upPerMessage),
        downPerMessage: mid((r) => r.downPerMessage),
        cpuUsPerMessage: mid((r) => r.cpuUsPerMessage),
        serverCpu: mid((r) => r.serverCpu),
        rssPerConnection: mid((r) => r.rssPerConnection),
        runs: rows.length,
      });
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
    log(`wire: ${result.error}`);
  }
  return result;
}
