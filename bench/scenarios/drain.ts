// Scenario 3: offline drain, one user at a time with 100, 1,000 and 10,000 waiting, then many
// users with 100 each connecting at once (split over two generator processes).
import { mergeHistograms, summarize, type LatencySummary } from '../lib/hist.ts';
import { startWorker } from '../lib/rpc.ts';
import type { Peer } from '../lib/seed.ts';
import { log, split } from '../lib/util.ts';
import type { DrainResult } from '../workers/drain-worker.ts';

export interface DrainSingle {
  waiting: number;
  /** Connect start to the last entry received. */
  ms: number;
  readyMs: number;
  pages: number;
  verified: boolean;
  problems: string[];
}

export interface DrainMany {
  users: number;
  each: number;
  /** From the first connection attempt until every user had everything. */
  spanMs: number;
  perUser: LatencySummary;
  verified: number;
  complete: number;
  problems: string[];
}

export interface DrainScenario {
  singles: DrainSingle[];
  many: DrainMany | null;
  error?: string;
}

const workerFile = new URL('../workers/drain-worker.ts', import.meta.url);

export async function runDrain(options: {
  url: string;
  singles: { peer: Peer; count: number }[];
  many: { peer: Peer; count: number }[];
  timeoutMs: number;
}): Promise<DrainScenario> {
  const result: DrainScenario = { singles: [], many: null };
  const workers = [startWorker(workerFile, 'drain-0'), startWorker(workerFile, 'drain-1')];
  try {
    for (const single of options.singles) {
      const r = await workers[0]!.call<DrainResult>(
        'drain',
        { url: options.url, users: [single], localAddress: '127.0.0.30', timeoutMs: options.timeoutMs },
        options.timeoutMs + 30_000,
      );
      const total = summarize(mergeHistograms([r.total]));
      const ready = summarize(mergeHistograms([r.ready]));
      result.singles.push({
        waiting: single.count,
        ms: total.max,
        readyMs: ready.max,
        pages: r.pages,
        verified: r.verified === 1,
        problems: r.problems,
      });
      log(
        `drain ${single.count}: ${total.max} ms (${r.pages} pages), ${r.verified === 1 ? 'in order, once' : r.problems.join('; ')}`,
      );
    }
    if (options.many.length) {
      const parts = split(options.many, workers.length);
      const t0 = performance.now();
      const outcomes = await Promise.all(
        workers.map((w, i) =>
          w.call<DrainResult>(
            'drain',
            { url: options.url, users: parts[i], localAddress: `127.0.0.${31 + i}`, timeoutMs: options.timeoutMs },
            options.timeoutMs + 30_000,
          ),
        ),
      );
      const spanMs = Math.max(...outcomes.map((o) => o.spanMs));
      result.many = {
        users: options.many.length,
        each: options.many[0]!.count,
        spanMs,
        perUser: summarize(mergeHistograms(outcomes.map((o) => o.total))),
        verified: outcomes.reduce((a, o) => a + o.verified, 0),
        complete: outcomes.reduce((a, o) => a + o.complete, 0),
        problems: outcomes.flatMap((o) => o.problems).slice(0, 10),
      };
      log(
        `drain ${options.many.length} users x ${options.many[0]!.count} at once: ${spanMs.toFixed(0)} ms ` +
          `(coordinator saw ${(performance.now() - t0).toFixed(0)} ms), verified ${result.many.verified}`,
      );
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
    log(`drain: ${result.error}`);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  return result;
}
